//! Non-blocking mode (SRTO_RCVSYN/SRTO_SNDSYN off) end to end with `Epoll`: accept, connect,
//! send and recv never block, report would-block as `io::ErrorKind::WouldBlock`, and epoll
//! says when to try again. A connect to a port nobody listens on fails through epoll ERR
//! (and the connect callback) within SRTO_CONNTIMEO.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use srtfu::{
    ConnectFailure, Epoll, EpollBuffers, EpollEvents, ErrorCode, SockStatus, SrtSocket, TransType,
    SRTO_CONNTIMEO, SRTO_SNDBUF, SRTO_TRANSTYPE,
};

fn nb_listener(transtype: TransType) -> (SrtSocket, SocketAddr) {
    let l = SrtSocket::new_raw().unwrap();
    l.setsockflag(SRTO_TRANSTYPE, transtype).unwrap();
    l.set_blocking(false).unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(4).unwrap();
    let addr = l.getsockname().unwrap();
    (l, addr)
}

/// A non-blocking caller (not yet connected) whose connect callback sends every failure to
/// the returned channel, registered on a new epoll for OUT and ERR.
fn async_caller() -> (SrtSocket, mpsc::Receiver<ConnectFailure>, Epoll) {
    let mut c = SrtSocket::new_raw().unwrap();
    c.set_blocking(false).unwrap();
    let (tx, rx) = mpsc::channel();
    c.connect_callback(move |f| {
        let _ = tx.send(f.clone());
    })
    .unwrap();
    let ep = Epoll::new().unwrap();
    ep.add_usock(&c, EpollEvents::OUT | EpollEvents::ERR)
        .unwrap();
    (c, rx, ep)
}

/// Waits (bounded) until `sock` reports one of `want` on `ep`; returns what it reported.
fn wait_for(ep: &Epoll, sock: &SrtSocket, want: EpollEvents, limit: Duration) -> EpollEvents {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        for ev in ep
            .uwait(&mut EpollBuffers::new(), Some(Duration::from_millis(100)))
            .unwrap()
        {
            if ev.socket() == sock.id() && ev.events().intersects(want) {
                return ev.events();
            }
        }
    }
    panic!(
        "socket {} did not report {want:?} within {limit:?}",
        sock.id()
    );
}

/// A connected non-blocking pair made entirely through epoll.
fn nb_pair(transtype: TransType) -> (SrtSocket, SrtSocket) {
    let (l, addr) = nb_listener(transtype);
    let c = SrtSocket::new_raw().unwrap();
    c.setsockflag(SRTO_TRANSTYPE, transtype).unwrap();
    c.set_blocking(false).unwrap();
    let ep = Epoll::new().unwrap();
    ep.add_usock(&l, EpollEvents::IN).unwrap();
    ep.add_usock(&c, EpollEvents::OUT | EpollEvents::ERR)
        .unwrap();

    // A non-blocking connect returns at once, still connecting.
    let t = Instant::now();
    c.connect(addr).unwrap();
    assert!(t.elapsed() < Duration::from_millis(500));
    let ev = wait_for(
        &ep,
        &c,
        EpollEvents::OUT | EpollEvents::ERR,
        Duration::from_secs(3),
    );
    assert_eq!(ev & EpollEvents::ERR, EpollEvents::empty(), "{ev:?}");
    assert_eq!(c.getsockstate(), SockStatus::Connected);
    wait_for(&ep, &l, EpollEvents::IN, Duration::from_secs(3));
    let (s, from) = l.accept().unwrap();
    assert_eq!(from, c.getsockname().unwrap());
    (c, s)
}

#[test]
fn accept_with_nothing_pending_would_block() {
    let (l, _) = nb_listener(TransType::Live);
    let t = Instant::now();
    let err = l.accept().unwrap_err();
    assert!(t.elapsed() < Duration::from_millis(500));
    assert!(err.is_would_block(), "{err}");
    assert_eq!(err.code(), Some(ErrorCode::AsyncRecv));
    assert_eq!(io::Error::from(err).kind(), io::ErrorKind::WouldBlock);
}

#[test]
fn connect_accept_recv_and_send_through_epoll() {
    let (c, s) = nb_pair(TransType::Live);
    s.set_blocking(false).unwrap();
    let mut buf = [0u8; 1500];
    // Nothing sent yet: recv would block, also through io::Read.
    let err = s.recvmsg(&mut buf).unwrap_err();
    assert!(err.is_would_block(), "{err}");
    assert_eq!(err.code(), Some(ErrorCode::AsyncRecv));
    let ioerr = (&s).read(&mut buf).unwrap_err();
    assert_eq!(ioerr.kind(), io::ErrorKind::WouldBlock);

    let ep = Epoll::new().unwrap();
    ep.add_usock(&s, EpollEvents::IN | EpollEvents::ERR)
        .unwrap();
    (&c).write_all(b"through epoll").unwrap();
    wait_for(&ep, &s, EpollEvents::IN, Duration::from_secs(3));
    let n = s.recvmsg(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"through epoll");
    assert!(s.recvmsg(&mut buf).unwrap_err().is_would_block());
}

#[test]
fn send_would_block_when_the_buffer_is_full_and_out_says_when_to_retry() {
    let (l, addr) = nb_listener(TransType::File);
    let c = SrtSocket::new_raw().unwrap();
    c.setsockflag(SRTO_TRANSTYPE, TransType::File).unwrap();
    c.setsockflag(SRTO_SNDBUF, 64 * 1024).unwrap();
    // Watch the listener before the caller arrives: libsrt 1.5.1 does not report callers
    // already pending when a listener is added (see the test below).
    let lep = Epoll::new().unwrap();
    lep.add_usock(&l, EpollEvents::IN).unwrap();
    c.connect(addr).unwrap(); // blocking connect, then non-blocking data
    wait_for(&lep, &l, EpollEvents::IN, Duration::from_secs(3));
    let (s, _) = l.accept().unwrap();
    // Accepted sockets inherit the listener's non-blocking mode; this one reads blocking.
    assert!(!s.getsockflag(srtfu::SRTO_RCVSYN).unwrap());
    s.set_blocking(true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    c.set_blocking(false).unwrap();

    // The receiver does not read: the sender's buffer fills and send would block.
    let chunk = vec![7u8; 16 * 1024];
    let mut sent = 0usize;
    let mut blocked = None;
    for _ in 0..10_000 {
        match c.send(&chunk) {
            Ok(n) => sent += n,
            Err(e) => {
                blocked = Some(e);
                break;
            }
        }
    }
    let err = blocked.expect("send never reported would-block");
    assert!(err.is_would_block(), "{err}");
    assert_eq!(err.code(), Some(ErrorCode::AsyncSend));
    let ioerr = (&c).write(&chunk).unwrap_err();
    assert_eq!(ioerr.kind(), io::ErrorKind::WouldBlock);

    // Drain on the other side; OUT tells the sender it may go on, and every byte arrives.
    let ep = Epoll::new().unwrap();
    ep.add_usock(&c, EpollEvents::OUT | EpollEvents::ERR)
        .unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0usize;
    let deadline = Instant::now() + Duration::from_secs(10);
    while got < sent && Instant::now() < deadline {
        got += s.recv(&mut buf).unwrap();
    }
    assert_eq!(got, sent);
    let ev = wait_for(&ep, &c, EpollEvents::OUT, Duration::from_secs(3));
    assert!(!ev.contains(EpollEvents::ERR));
    assert_eq!(c.send(&chunk).unwrap(), chunk.len());
}

#[test]
fn connect_to_a_port_without_listener_fails_through_epoll_err_within_conntimeo() {
    // A UDP port that is bound (so nothing else takes it) but never answers SRT.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();

    let (c, rx, ep) = async_caller();
    c.setsockflag(SRTO_CONNTIMEO, 500).unwrap();

    let t = Instant::now();
    c.connect(addr).unwrap();
    let ev = wait_for(
        &ep,
        &c,
        EpollEvents::OUT | EpollEvents::ERR,
        Duration::from_secs(5),
    );
    let took = t.elapsed();
    assert!(ev.contains(EpollEvents::ERR), "{ev:?}");
    assert!(
        took >= Duration::from_millis(400),
        "failed too early: {took:?}"
    );
    assert!(
        took < Duration::from_millis(2000),
        "SRTO_CONNTIMEO 500 ms, took {took:?}"
    );
    assert_ne!(c.getsockstate(), SockStatus::Connected);

    // The connect callback reported the same failure, with the address tried.
    let failure = rx.recv_timeout(Duration::from_secs(2)).unwrap();
    assert_eq!(failure.socket, c.id());
    assert_eq!(failure.peer, Some(addr));
    assert_eq!(failure.error, ErrorCode::NoServer, "{failure:?}");
}

#[test]
fn a_rejected_async_connect_reaches_the_connect_callback_with_its_reason() {
    let mut l = SrtSocket::new_raw().unwrap();
    l.listen_callback(|_| Err(srtfu::RejectReason::Forbidden))
        .unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(4).unwrap();
    let addr = l.getsockname().unwrap();

    let (c, rx, ep) = async_caller();
    c.connect(addr).unwrap();
    let ev = wait_for(&ep, &c, EpollEvents::ERR, Duration::from_secs(3));
    assert!(ev.contains(EpollEvents::ERR));
    let failure = rx.recv_timeout(Duration::from_secs(2)).unwrap();
    assert_eq!(failure.peer, Some(addr));
    assert_eq!(
        failure.reject_reason,
        srtfu::RejectReason::Forbidden,
        "{failure:?}"
    );
    assert_eq!(c.getrejectreason(), srtfu::RejectReason::Forbidden);
}

#[test]
fn a_listener_added_after_callers_arrived_is_not_reported_until_the_next_one() {
    // libsrt 1.5.1 behaviour worth knowing: srt_epoll_add_usock on a listener does not look
    // at its backlog, so add listeners to the epoll before callers can arrive.
    let (l, addr) = nb_listener(TransType::Live);
    let c1 = SrtSocket::new_raw().unwrap();
    c1.connect(addr).unwrap();
    // The caller's connect returns before the listener side has queued it; let it settle.
    std::thread::sleep(Duration::from_millis(300));
    let ep = Epoll::new().unwrap();
    ep.add_usock(&l, EpollEvents::IN).unwrap();
    assert!(ep
        .uwait(&mut EpollBuffers::new(), Some(Duration::from_millis(300)))
        .unwrap()
        .is_empty());
    // Yet a caller is pending.
    let (_s1, from) = l.accept().unwrap();
    assert_eq!(from, c1.getsockname().unwrap());
    // The next caller raises IN as usual.
    let c2 = SrtSocket::new_raw().unwrap();
    c2.connect(addr).unwrap();
    wait_for(&ep, &l, EpollEvents::IN, Duration::from_secs(3));
    assert_eq!(l.accept().unwrap().1, c2.getsockname().unwrap());
}

/// The process's exit after this scenario (the socket closed while libsrt may still be in
/// the panicking closure) is checked in a child process by tests/callback_exit.rs.
#[test]
fn a_panicking_connect_callback_is_contained() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut c = SrtSocket::new_raw().unwrap();
    c.setsockflag(SRTO_CONNTIMEO, 300).unwrap();
    c.set_blocking(false).unwrap();
    let (tx, rx) = mpsc::channel();
    c.connect_callback(move |f| {
        tx.send(f.error).unwrap();
        panic!("connect callback bug");
    })
    .unwrap();
    let ep = Epoll::new().unwrap();
    ep.add_usock(&c, EpollEvents::OUT | EpollEvents::ERR)
        .unwrap();
    c.connect(silent.local_addr().unwrap()).unwrap();
    // The closure ran (and panicked on a libsrt thread); libsrt carried on and reported ERR.
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(3)).unwrap(),
        ErrorCode::NoServer
    );
    let ev = wait_for(&ep, &c, EpollEvents::ERR, Duration::from_secs(3));
    assert!(ev.contains(EpollEvents::ERR));
    // The process and libsrt still work: a fresh pair connects.
    let (a, b) = nb_pair(TransType::Live);
    drop((a, b));
}
