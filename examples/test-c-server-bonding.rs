//! test-c-server-bonding: a port of libsrt's examples/test-c-server-bonding.c to srtfu.
//!
//! Listens on `<host> <port>` (`0` for any address) with SRTO_GROUPCONNECT, accepts one
//! connection, which must be a group, and receives 100 messages from it, printing the C
//! program's lines with the group status after each (`srt recvmsg #0... Got msg of len 46
//! << ... (group)`, ` ++ Group status [2]: [0] result=0 state=connected ...`). An optional
//! third argument containing `n` waits on an epoll in non-blocking mode, as the C program.
//!
//! On a libsrt without bonding it prints srtfu's error (how to get a libsrt with bonding)
//! and exits with 1, where the C program ignores the failed setsockflag.
//!
//! ```text
//! cargo run --example test-c-server-bonding -- 0 4200
//! ```

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use srtfu::{Accepted, Epoll, EpollEvents, GroupMember, SockStatus, SrtGroup, SrtSocket};

/// The room the C program prepares for the group data.
const N: usize = 10;

fn status_line(members: &[GroupMember]) -> String {
    let mut line = format!(" ++ Group status [{}]: ", members.len());
    for (z, m) in members.iter().enumerate() {
        let state = match m.sockstate {
            SockStatus::Init
            | SockStatus::Opened
            | SockStatus::Listening
            | SockStatus::Connecting => "pending",
            SockStatus::Connected => "connected",
            _ => "broken",
        };
        line.push_str(&format!("[{z}] result={} state={state} ", m.result));
    }
    line
}

/// Waits for read-readiness of `id`, as the C program's WaitForReadReady; false after
/// printing the error.
fn wait_for_read_ready(ep: &mut Epoll, id: srtfu::sys::SRTSOCKET) -> bool {
    let mut buf = srtfu::EpollBuffers::new();
    match ep.uwait(&mut buf, None) {
        Ok(evs) => {
            if evs
                .iter()
                .any(|e| e.socket() == id && e.events().contains(EpollEvents::ERR))
            {
                eprintln!("srt_epoll_wait: socket @{id} reported error");
                return false;
            }
            if !evs
                .iter()
                .any(|e| e.socket() == id && e.events().contains(EpollEvents::IN))
            {
                eprintln!("srt_epoll_wait: socket @{id} not reported ready");
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

fn receive(group: &SrtGroup, epoll: &mut Option<Epoll>) {
    let mut members = Vec::with_capacity(N);
    let mut msg = [0u8; 2048];
    for i in 0..100 {
        print!("srt recvmsg #{i}... ");
        if let Some(ep) = epoll.as_mut() {
            if !wait_for_read_ready(ep, group.id()) {
                return;
            }
        }
        let n = match group.recvmsg2_members(&mut msg, &mut members) {
            Ok((n, _)) => n,
            Err(e) => {
                println!();
                eprintln!("srt_recvmsg: {e}");
                return;
            }
        };
        // The C program prints the message as a C string: up to its NUL.
        let text = msg[..n].split(|&b| b == 0).next().unwrap_or_default();
        println!(
            "Got msg of len {n} << {} (group)",
            String::from_utf8_lossy(text)
        );
        if members.is_empty() && members.capacity() > N {
            println!(
                "Group status: [{}] members > {N}, can't handle.",
                members.capacity()
            );
        } else {
            println!("{}", status_line(&members));
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let prog = args.first().map_or("test-c-server-bonding", |s| s.as_str());
    if args.len() < 3 || args.len() > 4 {
        eprintln!("Usage: {prog} <host> <port> [options]");
        return ExitCode::from(1);
    }
    println!("srt startup");
    if let Err(e) = srtfu::startup() {
        eprintln!("srt_startup: {e}");
        return ExitCode::from(1);
    }
    println!("srt socket");
    let ss = match SrtSocket::new_raw() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("srt_socket: {e}");
            return ExitCode::from(1);
        }
    };
    let nonblocking = args.get(3).is_some_and(|o| o.contains('n'));
    println!("srt bind address");
    let ip = if args[1] == "0" {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        match args[1].parse::<Ipv4Addr>() {
            Ok(ip) => IpAddr::V4(ip),
            Err(_) => {
                eprintln!("srt_bind: Can't resolve address: {}", args[1]);
                return ExitCode::from(1);
            }
        }
    };
    let addr = SocketAddr::new(ip, args[2].parse().unwrap_or(0));
    println!("srt setsockflag: groupconnect");
    if let Err(e) = ss.set_groupconnect(true) {
        eprintln!("srt_setsockflag: {e}");
        return ExitCode::from(1);
    }
    println!("srt bind");
    if let Err(e) = ss.bind(addr) {
        eprintln!("srt_bind: {e}");
        return ExitCode::from(1);
    }
    let mut epoll = None;
    if nonblocking {
        let made = ss
            .setsockflag(srtfu::SRTO_RCVSYN, false)
            .and_then(|_| Epoll::create())
            .and_then(|ep| {
                ep.add_usock(&ss, EpollEvents::IN | EpollEvents::ERR)?;
                Ok(ep)
            });
        match made {
            Ok(ep) => epoll = Some(ep),
            Err(e) => {
                eprintln!("srt_epoll_create: {e}");
                return ExitCode::from(1);
            }
        }
    }
    println!("srt listen");
    if let Err(e) = ss.listen(10) {
        eprintln!("srt_listen: {e}");
        return ExitCode::from(1);
    }
    if let Some(ep) = epoll.as_mut() {
        println!("srt wait for listener socket reporting in a new connection");
        if !wait_for_read_ready(ep, ss.id()) {
            return ExitCode::from(1);
        }
    }
    println!("srt accept");
    let accepted = match ss.accept_group() {
        Err(e) => {
            eprintln!("srt_accept: {e}");
            None
        }
        Ok((acc, _)) => {
            println!("accepted socket: @{}", acc.id());
            match &acc {
                Accepted::Socket(s) => {
                    eprintln!("srt_accept: Accepted @{} is not a group???", s.id());
                }
                Accepted::Group(g) => {
                    if let Some(ep) = epoll.as_mut() {
                        let moved = g
                            .epoll_add_usock(ep, EpollEvents::IN | EpollEvents::ERR)
                            .and_then(|_| ep.remove_usock(&ss));
                        if let Err(e) = moved {
                            eprintln!("srt_epoll_add_usock: {e}");
                        }
                    }
                    receive(g, &mut epoll);
                }
            }
            Some(acc)
        }
    };
    println!("srt close");
    // Closing the accepted one is "just for a case", as in the C program.
    let closed = match accepted {
        Some(Accepted::Group(g)) => g.close(),
        Some(Accepted::Socket(s)) => s.close(),
        None => Ok(()),
    };
    if let Err(e) = closed {
        eprintln!("srt_close: {e}");
    }
    drop(epoll);
    if let Err(e) = ss.close() {
        eprintln!("srt_close: {e}");
    }
    println!("srt cleanup");
    let _ = srtfu::cleanup();
    ExitCode::SUCCESS
}
