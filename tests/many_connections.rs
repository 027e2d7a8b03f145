//! Many callers on one listener, served by one thread with one `Epoll`: every caller
//! connects (non-blocking), sends its own message, and gets it echoed back.
//!
//! 1 024 callers by default (about 2 s); `SRTFU_MANY=N` changes the number (soak runs).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use srtfu::{
    sys, Epoll, EpollBuffers, EpollEvents, SrtSocket, SRTO_CONNTIMEO, SRTO_RCVBUF, SRTO_SNDBUF,
};

fn callers() -> usize {
    std::env::var("SRTFU_MANY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}

/// Smaller buffers than libsrt's 8 MB defaults: hundreds of sockets in one test process.
fn small_buffers(s: &SrtSocket) {
    s.setsockflag(SRTO_RCVBUF, 1024 * 1024).unwrap();
    s.setsockflag(SRTO_SNDBUF, 1024 * 1024).unwrap();
}

/// The single-thread echo server: accepts every caller, echoes every message, drops broken
/// sockets. Returns (accepted, echoed messages) when `stop` is set or the time is up.
fn echo_server(listener: SrtSocket, stop: Arc<AtomicBool>, limit: Duration) -> (usize, usize) {
    let ep = Epoll::new().unwrap();
    ep.add_usock(&listener, EpollEvents::IN | EpollEvents::ERR)
        .unwrap();
    let mut clients: HashMap<sys::SRTSOCKET, SrtSocket> = HashMap::new();
    let (mut accepted, mut echoed) = (0, 0);
    let mut buf = [0u8; 1500];
    let mut ready_buf = EpollBuffers::new();
    let deadline = Instant::now() + limit;
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        let ready: Vec<_> = ep
            .uwait(&mut ready_buf, Some(Duration::from_millis(50)))
            .unwrap()
            .iter()
            .map(|e| (e.socket(), e.events()))
            .collect();
        for (id, ev) in ready {
            if id == listener.id() {
                // Take every pending caller: IN is raised once per arrival, not per caller.
                loop {
                    match listener.accept() {
                        Ok((s, _)) => {
                            ep.add_usock(&s, EpollEvents::IN | EpollEvents::ERR)
                                .unwrap();
                            clients.insert(s.id(), s);
                            accepted += 1;
                        }
                        Err(e) if e.is_would_block() => break,
                        Err(e) => panic!("accept: {e}"),
                    }
                }
                continue;
            }
            if ev.contains(EpollEvents::ERR) {
                clients.remove(&id);
                continue;
            }
            let Some(s) = clients.get(&id) else { continue };
            loop {
                match s.recvmsg(&mut buf) {
                    Ok(n) => {
                        s.sendmsg(&buf[..n], None, true).unwrap();
                        echoed += 1;
                    }
                    Err(e) if e.is_would_block() => break,
                    Err(_) => {
                        clients.remove(&id);
                        break;
                    }
                }
            }
        }
    }
    (accepted, echoed)
}

#[test]
fn hundreds_of_callers_each_exchange_data_with_a_single_thread_epoll_server() {
    let n = callers();
    let listener = SrtSocket::new_raw().unwrap();
    small_buffers(&listener);
    listener.set_blocking(false).unwrap();
    listener.bind("127.0.0.1:0").unwrap();
    listener.listen(n as i32).unwrap();
    let addr = listener.getsockname().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let server = {
        let stop = stop.clone();
        thread::spawn(move || echo_server(listener, stop, Duration::from_secs(60)))
    };

    // The callers, driven by this one thread through their own epoll.
    let started = Instant::now();
    let ep = Epoll::new().unwrap();
    let mut socks: HashMap<sys::SRTSOCKET, (usize, SrtSocket)> = HashMap::new();
    // All callers on one local port, so one libsrt multiplexer (SRTO_REUSEADDR is on by
    // default), as all the accepted sockets share the listener's: a port per caller brings
    // libsrt's two queue threads per caller, and 1 000 callers failed here with connect
    // timeouts that way.
    let mut local = None;
    for i in 0..n {
        let c = SrtSocket::new_raw().unwrap();
        small_buffers(&c);
        c.set_blocking(false).unwrap();
        // A thousand handshakes at once on 2 shared cores: more than the default 3 s.
        c.setsockflag(SRTO_CONNTIMEO, 20_000).unwrap();
        c.bind(local.unwrap_or("127.0.0.1:0".parse().unwrap()))
            .unwrap();
        local.get_or_insert_with(|| c.getsockname().unwrap());
        ep.add_usock(&c, EpollEvents::OUT | EpollEvents::ERR)
            .unwrap();
        c.connect(addr).unwrap();
        socks.insert(c.id(), (i, c));
    }
    let mut connected = 0;
    let mut done = vec![false; n];
    let mut failed = Vec::new();
    let mut buf = [0u8; 1500];
    let mut ready_buf = EpollBuffers::new();
    let deadline = Instant::now() + Duration::from_secs(40);
    while done.iter().any(|d| !d) && failed.is_empty() && Instant::now() < deadline {
        let ready: Vec<_> = ep
            .uwait(&mut ready_buf, Some(Duration::from_millis(100)))
            .unwrap()
            .iter()
            .map(|e| (e.socket(), e.events()))
            .collect();
        for (id, ev) in ready {
            let (i, c) = &socks[&id];
            if ev.contains(EpollEvents::ERR) {
                failed.push((*i, c.getrejectreason()));
                continue;
            }
            if ev.contains(EpollEvents::OUT) {
                // Connected: say who we are, then wait for the echo.
                connected += 1;
                let msg = format!("caller {i} of {n}");
                c.sendmsg(msg.as_bytes(), None, true).unwrap();
                ep.update_usock(c, EpollEvents::IN | EpollEvents::ERR)
                    .unwrap();
            } else if ev.contains(EpollEvents::IN) {
                let got = c.recvmsg(&mut buf).unwrap();
                assert_eq!(buf[..got], *format!("caller {i} of {n}").as_bytes());
                assert!(!done[*i], "caller {i} got two echoes");
                done[*i] = true;
            }
        }
    }
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (accepted, echoed) = server.join().unwrap();
    assert!(failed.is_empty(), "callers failed: {failed:?}");
    assert_eq!(connected, n);
    assert_eq!(
        done.iter().filter(|d| **d).count(),
        n,
        "echoes after {took:?}"
    );
    assert_eq!(accepted, n);
    assert_eq!(echoed, n);
    eprintln!("{n} callers connected and echoed in {took:?}");
}
