//! Helpers shared by the integration tests.
#![allow(dead_code)]

use srtfu::{SrtSocket, TransType, SRTO_TRANSTYPE};
use std::net::SocketAddr;
use std::thread;

/// A listener bound to 127.0.0.1:0 and listening.
pub fn listener(transtype: TransType) -> (SrtSocket, SocketAddr) {
    let l = SrtSocket::new_raw().expect("socket");
    l.setsockflag(SRTO_TRANSTYPE, transtype).expect("transtype");
    l.bind("127.0.0.1:0").expect("bind");
    l.listen(4).expect("listen");
    let addr = l.getsockname().expect("sockname");
    (l, addr)
}

/// A connected (caller, accepted) pair over loopback.
pub fn pair(transtype: TransType) -> (SrtSocket, SrtSocket) {
    let (l, addr) = listener(transtype);
    let acceptor = thread::spawn(move || l.accept().expect("accept").0);
    let c = SrtSocket::new_raw().expect("socket");
    c.setsockflag(SRTO_TRANSTYPE, transtype).expect("transtype");
    c.connect(addr).expect("connect");
    (c, acceptor.join().expect("accept thread"))
}

pub mod proxy;
