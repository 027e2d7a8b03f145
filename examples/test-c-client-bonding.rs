//! test-c-client-bonding: a port of libsrt's examples/test-c-client-bonding.c to srtfu.
//!
//! Connects a socket group to every `<host> <port>` pair given and sends 100 messages over
//! it, one every millisecond, printing the C program's lines, with the group status after
//! each send (`srt sendmsg2 #0 >> ...`, ` ++ Group status [2]: [0] result=47 state=connected
//! ...`). The type is `broadcast` (the only one the C program names; `backup` is accepted
//! too). A last odd argument is the C program's option set: `n` connects and sends in
//! non-blocking mode, waiting on an epoll.
//!
//! Differences from the C program: its send loop reuses the loop counter for the status
//! lines, so it never reaches 100 with two members; this port sends 100. Before closing, it
//! waits for the group's latency, so the receiver gets the messages it still holds back.
//! On a libsrt without bonding it prints srtfu's error (how to get a libsrt with bonding)
//! and exits with 1.
//!
//! ```text
//! cargo run --example test-c-client-bonding -- broadcast 127.0.0.1 4200 127.0.0.1 4201
//! ```

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use srtfu::{Epoll, EpollEvents, GroupMember, GroupType, SockStatus, SrtGroup, SRTO_LATENCY};

/// The C program's message, with the NUL a C `sizeof` counts.
const MESSAGE: &[u8] = b"This message should be sent to the other side\0";

/// The C program's status line for the members reported with a message.
fn status_line(members: &[GroupMember]) -> String {
    let mut line = format!(" ++ Group status [{}]:", members.len());
    for (i, m) in members.iter().enumerate() {
        let state = match m.sockstate {
            SockStatus::Init
            | SockStatus::Opened
            | SockStatus::Listening
            | SockStatus::Connecting => "pending",
            SockStatus::Connected => "connected",
            _ => "broken",
        };
        line.push_str(&format!("[{i}] result={} state={state} ", m.result));
    }
    line
}

/// Waits for write-readiness (connected, or room to send), as the C program's
/// WaitForWriteReady; false after printing the error.
fn wait_for_write_ready(ep: &mut Epoll, g: &SrtGroup) -> bool {
    let mut buf = srtfu::EpollBuffers::new();
    match ep.uwait(&mut buf, None) {
        Ok(evs) => {
            if evs
                .iter()
                .any(|e| e.socket() == g.id() && e.events().contains(EpollEvents::ERR))
            {
                let reason = g.as_socket().getrejectreason();
                eprintln!(
                    "srt_epoll_wait: socket @{} reported error reason={}: {reason}",
                    g.id(),
                    reason.raw()
                );
                return false;
            }
            true
        }
        Err(e) => {
            eprintln!("srt_epoll_wait: {e}");
            false
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let prog = args.first().map_or("test-c-client-bonding", |s| s.as_str());
    if args.len() < 3 {
        eprintln!("Usage: {prog} <type> {{<host> <port>}}... ");
        return ExitCode::from(1);
    }
    let gtype = match args[1].parse::<GroupType>() {
        Ok(t) => t,
        // The C program falls back to broadcast for a name it does not know.
        Err(_) => GroupType::Broadcast,
    };
    let mut nmemb = args.len() - 2;
    if nmemb < 2 {
        eprintln!("Usage error: no members specified");
        return ExitCode::from(1);
    }
    let mut nonblocking = false;
    if nmemb % 2 == 1 {
        nmemb -= 1;
        nonblocking = args[args.len() - 1].contains('n');
    }
    nmemb /= 2;

    println!("srt startup");
    if let Err(e) = srtfu::startup() {
        eprintln!("srt_startup: {e}");
        return ExitCode::from(1);
    }
    println!("srt group");
    let g = match SrtGroup::create_group(gtype) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("srt_create_group: {e}");
            return ExitCode::from(1);
        }
    };
    let mut endpoints = Vec::with_capacity(nmemb);
    for i in 0..nmemb {
        println!("srt remote address #{i}");
        let (host, port) = (&args[2 + 2 * i], &args[3 + 2 * i]);
        let Ok(ip) = host.parse::<IpAddr>() else {
            eprintln!("inet_pton: can't resolve address: {host}");
            return ExitCode::from(1);
        };
        let port: u16 = port.parse().unwrap_or(0);
        match SrtGroup::prepare_endpoint(None, SocketAddr::new(ip, port)) {
            Ok(ep) => endpoints.push(ep),
            Err(e) => {
                eprintln!("srt_prepare_endpoint: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let mut epoll = None;
    if nonblocking {
        let ep = g
            .as_socket()
            .setsockflag(srtfu::SRTO_RCVSYN, false)
            .and_then(|_| Epoll::create());
        match ep.and_then(|ep| {
            g.epoll_add_usock(&ep, EpollEvents::OUT | EpollEvents::ERR)?;
            Ok(ep)
        }) {
            Ok(ep) => epoll = Some(ep),
            Err(e) => {
                eprintln!("srt_epoll_create: {e}");
                return ExitCode::from(1);
            }
        }
    }

    println!("srt connect (group)");
    if let Err(e) = g.connect_group(&mut endpoints) {
        eprintln!("srt_connect: {e}");
        return ExitCode::from(1);
    }
    if let Some(ep) = epoll.as_mut() {
        println!("srt wait for socket reporting connection success");
        if !wait_for_write_ready(ep, &g) {
            return ExitCode::from(1);
        }
        if let Err(e) = g.as_socket().setsockflag(srtfu::SRTO_SNDSYN, false) {
            eprintln!("srt_setsockflag: {e}");
            return ExitCode::from(1);
        }
    }

    println!("sleeping 1s to make it probable all links are established");
    thread::sleep(Duration::from_secs(1));

    let text = String::from_utf8_lossy(&MESSAGE[..MESSAGE.len() - 1]);
    let mut members = Vec::with_capacity(nmemb);
    for i in 0..100 {
        println!("srt sendmsg2 #{i} >> {text}");
        if let Some(ep) = epoll.as_mut() {
            if !wait_for_write_ready(ep, &g) {
                return ExitCode::from(1);
            }
        }
        let before = members.capacity();
        if let Err(e) = g.sendmsg2_members(MESSAGE, None, &mut members) {
            eprintln!("srt_sendmsg: {e}");
            return ExitCode::from(1);
        }
        if members.is_empty() && members.capacity() > before {
            println!(
                " ++ Group status [{}]: (ERROR: array too small!)",
                members.capacity()
            );
        } else {
            println!("{}", status_line(&members));
        }
        thread::sleep(Duration::from_millis(1));
    }

    // Let the receiver deliver what it holds back for the latency before the close.
    let latency = g.getsockflag(SRTO_LATENCY).unwrap_or(120).max(0) as u64;
    thread::sleep(Duration::from_millis(latency + 50));
    println!("srt close");
    if let Err(e) = g.close() {
        eprintln!("srt_close: {e}");
        return ExitCode::from(1);
    }
    drop(epoll);
    println!("srt cleanup");
    let _ = srtfu::cleanup();
    ExitCode::SUCCESS
}
