//! srtfu's startup and cleanup under every libsrt version's counting: `srtfu::cleanup()`
//! never pulls libsrt down under live srtfu sockets, and libsrt starts again for the next
//! socket after a cleanup. One test in its own binary (its own process): a cleanup ends
//! libsrt for the whole process.

use srtfu::{Epoll, Error, SockStatus, SrtSocket, TransType};
use std::thread;
use std::time::Duration;

/// A connected caller/accepted pair on 127.0.0.1, in live mode.
fn pair() -> (SrtSocket, SrtSocket, SrtSocket) {
    let l = SrtSocket::new_raw().unwrap();
    l.setsockflag(srtfu::SRTO_TRANSTYPE, TransType::Live)
        .unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(2).unwrap();
    let addr = l.getsockname().unwrap();
    let c = SrtSocket::new_raw().unwrap();
    c.connect(addr).unwrap();
    let (a, _) = l.accept().unwrap();
    (l, c, a)
}

fn exchange(c: &SrtSocket, a: &SrtSocket) {
    thread::sleep(Duration::from_millis(50));
    c.sendmsg2(b"hello", None).unwrap();
    let mut buf = [0u8; 1500];
    let n = a.recvmsg(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello");
}

#[test]
fn cleanup_refuses_while_sockets_live_and_libsrt_restarts_after_it() {
    let (l, c, a) = pair();
    exchange(&c, &a);
    let ep = Epoll::new().unwrap();

    // Four srtfu objects alive: libsrt stays up, whatever this version's startup counting.
    match srtfu::cleanup() {
        Err(Error::InUse { live, .. }) => assert_eq!(live, 4),
        other => panic!("cleanup with live sockets: {other:?}"),
    }
    assert_eq!(c.getsockstate(), SockStatus::Connected);
    exchange(&c, &a);

    drop(ep);
    drop((l, c, a));
    srtfu::cleanup().expect("cleanup once nothing is alive");
    // A second cleanup has nothing of srtfu's to end.
    srtfu::cleanup().expect("a cleanup after a cleanup");

    // The next socket starts libsrt again, and it works end to end.
    let (_l, c, a) = pair();
    exchange(&c, &a);
}
