//! The reactor's life: one thread for all async sockets, ended when the last one is gone,
//! also when a tokio runtime is shut down with sockets open; and the libsrt behaviour it
//! relies on to end (a wait on an epoll whose last socket is removed fails at once).
//!
//! One test function: the reactor is process-wide, so nothing else may run beside it.
#![cfg(feature = "tokio")]

mod async_support;

use async_support::{pair, LIMIT};
use srtfu::tokio::{reactor_threads, AsyncSrtSocket, REACTOR_THREAD_NAME};
use srtfu::{Epoll, EpollBuffers, EpollEvents, ErrorCode, SrtSocket, TransType};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Threads of this process named like the reactor, from /proc/self/task/*/comm.
fn reactor_tasks() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim_end() == REACTOR_THREAD_NAME)
        .count()
}

/// Waits (bounded) until no reactor thread is left, by srtfu's counter and by /proc.
fn assert_reactor_ends(what: &str) {
    let t0 = Instant::now();
    while (reactor_threads() > 0 || reactor_tasks() > 0) && t0.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(reactor_threads(), 0, "reactor still counted after {what}");
    assert_eq!(
        reactor_tasks(),
        0,
        "reactor thread still in /proc after {what}"
    );
    eprintln!("reactor ended {:?} after {what}", t0.elapsed());
}

/// libsrt (measured on 1.5.1): a thread waiting in srt_epoll_uwait on an epoll without
/// ENABLE_EMPTY fails with SRT_EPOLLEMPTY within about 10 ms once the last socket is
/// removed; closing a socket without removing it does not end the wait. The reactor removes
/// each socket it drops and ends on that error.
fn uwait_fails_when_last_socket_removed() {
    let ep = Arc::new(Epoll::new().unwrap());
    let s = SrtSocket::new_raw().unwrap();
    s.set_blocking(false).unwrap();
    ep.add_usock(&s, EpollEvents::IN | EpollEvents::ERR | EpollEvents::ET)
        .unwrap();
    let waiter = {
        let ep = Arc::clone(&ep);
        std::thread::spawn(move || {
            let mut buf = EpollBuffers::new();
            ep.uwait(&mut buf, Some(Duration::from_secs(5)))
                .map(|evs| evs.len())
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    let removed = Instant::now();
    ep.remove_usock(&s).unwrap();
    let r = waiter.join().unwrap();
    let took = removed.elapsed();
    let err = r.expect_err("the wait fails once the epoll is empty");
    assert_eq!(err.code(), Some(ErrorCode::PollEmpty), "{err}");
    assert!(
        took < Duration::from_secs(1),
        "the wait ended {took:?} after the removal"
    );
    eprintln!(
        "libsrt {:?}: uwait failed with SRT_EPOLLEMPTY {took:?} after the last removal",
        srtfu::version()
    );
}

#[test]
fn reactor_lifecycle() {
    uwait_fails_when_last_socket_removed();
    assert_eq!(reactor_threads(), 0, "no async socket yet");
    assert_eq!(reactor_tasks(), 0);

    // One socket starts the reactor; dropping it ends the reactor.
    let s = AsyncSrtSocket::new("srt://127.0.0.1:9?mode=caller").unwrap();
    assert_eq!(reactor_threads(), 1);
    // The new thread names itself as it starts: wait (bounded) for /proc to show it.
    let t0 = Instant::now();
    while reactor_tasks() == 0 && t0.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(reactor_tasks(), 1, "one thread named {REACTOR_THREAD_NAME}");
    drop(s);
    assert_reactor_ends("the only socket was dropped");

    // A runtime shut down while its tasks wait on open sockets (receive, accept, send):
    // the shutdown does not hang, the tasks' sockets are dropped, the reactor ends.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    rt.spawn(async move {
        let mut pairs = Vec::new();
        for _ in 0..4 {
            pairs.push(pair(TransType::Live).await);
        }
        let (l, _) = async_support::listener(TransType::Live, 4);
        let mut parked = Vec::new();
        for (a, b) in pairs {
            let a = Arc::new(a);
            let b = Arc::new(b);
            parked.push(tokio::spawn({
                let a = Arc::clone(&a);
                async move { a.recvmsg(&mut [0u8; 1500]).await.map(drop) }
            }));
            parked.push(tokio::spawn(async move {
                b.recvmsg(&mut [0u8; 1500]).await.map(drop)
            }));
        }
        parked.push(tokio::spawn(async move { l.accept().await.map(drop) }));
        ready_tx.send(parked.len()).unwrap();
        std::future::pending::<()>().await;
    });
    let parked = ready_rx.recv_timeout(LIMIT).expect("sockets set up");
    assert_eq!(parked, 9);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(reactor_threads(), 1);
    let t0 = Instant::now();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(rt);
        done_tx.send(()).unwrap();
    });
    done_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the runtime shut down with sockets open within 10 s");
    eprintln!(
        "runtime with 9 waiting tasks shut down in {:?}",
        t0.elapsed()
    );
    assert_reactor_ends("the runtime was shut down with sockets open");

    // And a new socket starts a new reactor.
    let s = AsyncSrtSocket::new("srt://127.0.0.1:9?mode=caller").unwrap();
    assert_eq!(reactor_threads(), 1);
    drop(s);
    assert_reactor_ends("the second reactor's socket was dropped");
}
