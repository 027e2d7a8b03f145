//! Encryption: passphrases, key lengths, and rejections that carry their reason.

mod support;

use srtfu::*;
use std::io;
use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

const SECRET: &str = "correct horse battery staple";

/// A listening socket on 127.0.0.1:0 with an optional passphrase and key length.
fn secure_listener(passphrase: Option<&str>, pbkeylen: i32) -> (SrtSocket, SocketAddr) {
    let l = SrtSocket::new_raw().unwrap();
    if let Some(p) = passphrase {
        l.setsockflag(SRTO_PASSPHRASE, p).unwrap();
    }
    l.setsockflag(SRTO_PBKEYLEN, pbkeylen).unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(4).unwrap();
    let addr = l.getsockname().unwrap();
    (l, addr)
}

fn caller(passphrase: Option<&str>, pbkeylen: i32) -> SrtSocket {
    let c = SrtSocket::new_raw().unwrap();
    if let Some(p) = passphrase {
        c.setsockflag(SRTO_PASSPHRASE, p).unwrap();
    }
    c.setsockflag(SRTO_PBKEYLEN, pbkeylen).unwrap();
    c.setsockflag(SRTO_CONNTIMEO, 2000).unwrap();
    c
}

fn exchange(a: &SrtSocket, b: &SrtSocket, msg: &[u8]) {
    b.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    a.sendmsg2(msg, None).unwrap();
    let mut buf = [0u8; 1500];
    let n = b.recvmsg(&mut buf).unwrap();
    assert_eq!(&buf[..n], msg);
}

#[test]
fn same_passphrase_connects_and_data_flows_encrypted() {
    let (l, addr) = secure_listener(Some(SECRET), 0);
    let t = thread::spawn(move || l.accept().expect("accept").0);
    let c = caller(Some(SECRET), 0);
    c.connect(addr).expect("connect with the right passphrase");
    let s = t.join().unwrap();
    for sock in [&c, &s] {
        assert_eq!(sock.getsockflag(SRTO_KMSTATE).unwrap(), KmState::Secured);
        assert_eq!(sock.getsockflag(SRTO_SNDKMSTATE).unwrap(), KmState::Secured);
        assert_eq!(sock.getsockflag(SRTO_RCVKMSTATE).unwrap(), KmState::Secured);
    }
    exchange(&c, &s, b"secret payload");
    exchange(&s, &c, b"secret reply");
    // Nothing failed to decrypt.
    assert_eq!(s.bstats(false).unwrap().pkt_rcv_undecrypt_total, 0);
}

#[test]
fn pbkeylen_16_24_32() {
    for len in [16, 24, 32] {
        let (l, addr) = secure_listener(Some(SECRET), len);
        let t = thread::spawn(move || l.accept().expect("accept").0);
        let c = caller(Some(SECRET), len);
        c.connect(addr)
            .unwrap_or_else(|e| panic!("pbkeylen {len}: {e}"));
        let s = t.join().unwrap();
        assert_eq!(c.getsockflag(SRTO_PBKEYLEN).unwrap(), len);
        assert_eq!(s.getsockflag(SRTO_PBKEYLEN).unwrap(), len);
        assert_eq!(s.getsockflag(SRTO_KMSTATE).unwrap(), KmState::Secured);
        exchange(&c, &s, format!("aes-{}", len * 8).as_bytes());
    }
}

#[test]
fn passphrase_by_url() {
    let (l, addr) = secure_listener(Some(SECRET), 0);
    let t = thread::spawn(move || l.accept().expect("accept").0);
    let url = SrtUrl::caller("127.0.0.1", addr.port())
        .with("passphrase", SECRET)
        .unwrap()
        .with("pbkeylen", 32)
        .unwrap();
    let c = SrtSocket::from_url(&url).unwrap();
    c.connect_url().unwrap();
    let s = t.join().unwrap();
    assert_eq!(c.getsockflag(SRTO_KMSTATE).unwrap(), KmState::Secured);
    assert_eq!(s.getsockflag(SRTO_PBKEYLEN).unwrap(), 32);
    exchange(&c, &s, b"via url");
}

#[test]
fn wrong_passphrase_is_rejected_with_badsecret() {
    let (l, addr) = secure_listener(Some(SECRET), 0);
    let c = caller(Some("not the right passphrase"), 0);
    let e = c
        .connect(addr)
        .expect_err("wrong passphrase must not connect");
    assert_eq!(e.code(), Some(ErrorCode::ConnRejected), "{e}");
    assert_eq!(e.reject_reason(), Some(RejectReason::BadSecret), "{e}");
    assert_eq!(c.getrejectreason(), RejectReason::BadSecret);
    assert!(
        e.to_string().contains("BADSECRET") || e.to_string().contains("secret"),
        "{e}"
    );
    assert_eq!(io::Error::from(e).kind(), io::ErrorKind::ConnectionRefused);
    drop(l);
}

#[test]
fn missing_passphrase_is_rejected_as_unsecure() {
    // The caller has none, the listener has one.
    let (_l, addr) = secure_listener(Some(SECRET), 0);
    let c = caller(None, 0);
    let e = c
        .connect(addr)
        .expect_err("unencrypted caller must not connect");
    assert_eq!(e.reject_reason(), Some(RejectReason::Unsecure), "{e}");
    assert_eq!(io::Error::from(e).kind(), io::ErrorKind::ConnectionRefused);
    // The caller has one, the listener none.
    let (_l2, addr2) = secure_listener(None, 0);
    let c = caller(Some(SECRET), 0);
    let e = c.connect(addr2).expect_err("listener without passphrase");
    assert_eq!(e.reject_reason(), Some(RejectReason::Unsecure), "{e}");
    // The same through open(): the reason survives.
    let e = SrtSocket::open(&format!("srt://127.0.0.1:{}?conntimeo=2000", addr.port()))
        .expect_err("open without passphrase");
    assert_eq!(e.reject_reason(), Some(RejectReason::Unsecure), "{e}");
}
