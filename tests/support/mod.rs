//! Helpers shared by the integration tests.
#![allow(dead_code)]

use srtfu::{SrtSocket, TransType, SRTO_TRANSTYPE};
use std::net::SocketAddr;
use std::path::Path;
use std::thread;

/// A listener bound to 127.0.0.1:0 and listening.
pub fn listener(transtype: TransType) -> (SrtSocket, SocketAddr) {
    listener_with(transtype, |_| {})
}

/// A listener with `set` applied to it before it binds to 127.0.0.1:0 and listens.
pub fn listener_with(transtype: TransType, set: impl Fn(&SrtSocket)) -> (SrtSocket, SocketAddr) {
    let l = SrtSocket::new_raw().expect("socket");
    l.setsockflag(SRTO_TRANSTYPE, transtype).expect("transtype");
    set(&l);
    l.bind("127.0.0.1:0").expect("bind");
    l.listen(4).expect("listen");
    let addr = l.getsockname().expect("sockname");
    (l, addr)
}

/// A connected (caller, accepted) pair over loopback.
pub fn pair(transtype: TransType) -> (SrtSocket, SrtSocket) {
    let (l, addr) = listener(transtype);
    let acceptor = thread::spawn(move || l.accept().expect("accept").0);
    let c = caller_with(transtype, addr, |_| {});
    (c, acceptor.join().expect("accept thread"))
}

/// A caller with `set` applied to it before it connects to `addr`.
pub fn caller_with(transtype: TransType, addr: SocketAddr, set: impl Fn(&SrtSocket)) -> SrtSocket {
    let c = SrtSocket::new_raw().expect("socket");
    c.setsockflag(SRTO_TRANSTYPE, transtype).expect("transtype");
    set(&c);
    c.connect(addr).expect("connect");
    c
}

/// Runs every data and peer call on `s` (send, sendmsg, sendmsg2, recv, recvmsg, recvmsg2,
/// sendfile, recvfile, getpeername, accept), the file calls on files in `dir`; returns each
/// call's name and result.
pub fn data_calls(s: &SrtSocket, dir: &Path) -> Vec<(&'static str, srtfu::Result<()>)> {
    let mut buf = [0u8; 1500];
    let file = dir.join("f");
    std::fs::write(&file, b"0123456789").unwrap();
    vec![
        ("send", s.send(b"x").map(drop)),
        ("sendmsg", s.sendmsg(b"x", None, true).map(drop)),
        ("sendmsg2", s.sendmsg2(b"x", None).map(drop)),
        ("recv", s.recv(&mut buf).map(drop)),
        ("recvmsg", s.recvmsg(&mut buf).map(drop)),
        ("recvmsg2", s.recvmsg2(&mut buf).map(drop)),
        ("sendfile", s.sendfile(&file, 0, 10, 1 << 20).map(drop)),
        (
            "recvfile",
            s.recvfile(&dir.join("out"), 0, 10, 1 << 20).map(drop),
        ),
        ("getpeername", s.getpeername().map(drop)),
        ("accept", s.accept().map(drop)),
    ]
}

/// Every call failed, each with a non-empty message (printed).
pub fn assert_all_fail(results: Vec<(&str, srtfu::Result<()>)>, what: &str) {
    for (name, r) in results {
        match r {
            Ok(()) => panic!("{what}: {name} succeeded"),
            Err(e) => {
                let text = e.to_string();
                assert!(!text.is_empty(), "{what}: {name}: empty error");
                eprintln!("{what}: {name}: {text}");
            }
        }
    }
}

pub mod proxy;
pub mod reliability;
