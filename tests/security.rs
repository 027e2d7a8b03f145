//! Security: with a passphrase no payload plaintext crosses the wire (the impairment proxy
//! searches every UDP packet for a marker), for AES-128/192/256; enforced encryption rejects
//! mismatched peers with the reason surfaced.

mod support;

use srtfu::*;
use std::thread;
use std::time::Duration;
use support::proxy::{Impair, Proxy};

const MARKER: &[u8] = b"SRTFU-PLAINTEXT-MARKER-7f3a";

/// Sends 200 messages (live) or 200 KB (file) carrying MARKER through a watching proxy;
/// returns how many packets on the wire contained it. Panics unless the receiver got every
/// message with the marker intact (so decryption really happened).
fn marker_on_wire(transtype: TransType, passphrase: Option<&str>, pbkeylen: i32) -> u64 {
    let set = move |s: &SrtSocket| {
        s.setsockflag(SRTO_TRANSTYPE, transtype).unwrap();
        if let Some(p) = passphrase {
            s.setsockflag(SRTO_PASSPHRASE, p).unwrap();
            s.setsockflag(SRTO_PBKEYLEN, pbkeylen).unwrap();
        }
    };
    let l = SrtSocket::new_raw().unwrap();
    set(&l);
    l.bind("127.0.0.1:0").unwrap();
    l.listen(1).unwrap();
    let proxy = Proxy::start(
        l.getsockname().unwrap(),
        Impair::default(),
        Impair::default(),
    );
    proxy.watch(Some(MARKER));
    let mut msg = vec![b'.'; 1000];
    msg[100..100 + MARKER.len()].copy_from_slice(MARKER);
    let count = 200usize;
    let expect = msg.clone();
    let receiver = thread::spawn(move || {
        let (s, _) = l.accept().expect("accept");
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut got = Vec::new();
        let mut buf = vec![0u8; 1500];
        while got.len() < count * expect.len() {
            let n = s.recv(&mut buf).expect("recv");
            got.extend_from_slice(&buf[..n]);
        }
        assert!(
            got.chunks(expect.len()).all(|c| c == expect.as_slice()),
            "payload altered"
        );
        (
            s.getsockflag(SRTO_KMSTATE).unwrap(),
            s.getsockflag(SRTO_PBKEYLEN).unwrap(),
        )
    });
    let c = SrtSocket::new_raw().unwrap();
    set(&c);
    c.connect(proxy.addr()).expect("connect");
    for _ in 0..count {
        let mut off = 0;
        while off < msg.len() {
            off += c.send(&msg[off..]).unwrap();
        }
        if transtype == TransType::Live {
            thread::sleep(Duration::from_micros(500));
        }
    }
    let (km, keylen) = receiver.join().unwrap();
    let sent_km = c.getsockflag(SRTO_SNDKMSTATE).unwrap();
    eprintln!(
        "{transtype:?} passphrase {} pbkeylen {pbkeylen}: km {km:?}/{sent_km:?} keylen {keylen}; {}",
        passphrase.is_some(),
        proxy.report()
    );
    if passphrase.is_some() {
        assert_eq!(km, KmState::Secured);
        assert_eq!(sent_km, KmState::Secured);
        assert_eq!(keylen, pbkeylen);
    } else {
        assert_eq!(km, KmState::Unsecured);
    }
    proxy.marker_hits()
}

#[test]
fn without_passphrase_the_marker_is_seen_on_the_wire() {
    // The control: proves the proxy's inspection works, so the zeros below mean something.
    let hits = marker_on_wire(TransType::Live, None, 0);
    assert!(hits >= 200, "only {hits} packets carried the marker");
}

#[test]
fn aes_128_live_no_plaintext_on_the_wire() {
    assert_eq!(
        marker_on_wire(TransType::Live, Some("passphrase-128-ok"), 16),
        0
    );
}

#[test]
fn aes_192_live_no_plaintext_on_the_wire() {
    assert_eq!(
        marker_on_wire(TransType::Live, Some("passphrase-192-ok"), 24),
        0
    );
}

#[test]
fn aes_256_live_no_plaintext_on_the_wire() {
    assert_eq!(
        marker_on_wire(TransType::Live, Some("passphrase-256-ok"), 32),
        0
    );
}

#[test]
fn aes_256_file_mode_no_plaintext_on_the_wire() {
    assert!(marker_on_wire(TransType::File, None, 0) > 0);
    assert_eq!(
        marker_on_wire(TransType::File, Some("passphrase-256-file"), 32),
        0
    );
}

/// Connects a caller to a listener with the given passphrases; returns the caller's result.
fn connect_with(listener_pw: Option<&str>, caller_pw: Option<&str>) -> Result<SrtSocket> {
    let l = SrtSocket::new_raw().unwrap();
    if let Some(p) = listener_pw {
        l.setsockflag(SRTO_PASSPHRASE, p).unwrap();
    }
    l.bind("127.0.0.1:0").unwrap();
    l.listen(1).unwrap();
    let addr = l.getsockname().unwrap();
    l.setsockflag(SRTO_RCVSYN, false).unwrap();
    let c = SrtSocket::new_raw().unwrap();
    c.setsockflag(SRTO_CONNTIMEO, 2000).unwrap();
    if let Some(p) = caller_pw {
        c.setsockflag(SRTO_PASSPHRASE, p).unwrap();
    }
    let res = c.connect(addr).map(|()| c);
    // Nothing may have been accepted when the connection was rejected.
    if res.is_err() {
        assert!(l.accept().is_err(), "listener accepted a rejected peer");
    }
    res
}

fn assert_rejected(res: Result<SrtSocket>, expect: &[RejectReason], what: &str) {
    let err = match res {
        Ok(s) => panic!("{what}: connected ({s:?}) though encryption is enforced"),
        Err(e) => e,
    };
    eprintln!("{what}: {err}");
    assert_eq!(err.code(), Some(ErrorCode::ConnRejected), "{what}: {err:?}");
    let reason = err.reject_reason().expect("a reject reason");
    assert!(expect.contains(&reason), "{what}: reason {reason:?}");
    // The reason is surfaced in the message too.
    assert!(err.to_string().contains("reject reason"), "{err}");
}

#[test]
fn enforced_encryption_rejects_unencrypted_caller() {
    assert_rejected(
        connect_with(Some("listener-secret"), None),
        &[RejectReason::Unsecure],
        "encrypted listener, plain caller",
    );
}

#[test]
fn enforced_encryption_rejects_encrypted_caller_to_plain_listener() {
    assert_rejected(
        connect_with(None, Some("caller-secret-1")),
        &[RejectReason::Unsecure],
        "plain listener, encrypted caller",
    );
}

#[test]
fn wrong_passphrase_is_rejected_as_bad_secret() {
    assert_rejected(
        connect_with(Some("listener-secret"), Some("another-secret")),
        &[RejectReason::BadSecret],
        "wrong passphrase",
    );
}

#[test]
fn same_passphrase_connects_secured() {
    let c = connect_with(Some("shared-secret-1"), Some("shared-secret-1")).expect("connect");
    assert_eq!(c.getsockflag(SRTO_KMSTATE).unwrap(), KmState::Secured);
}

#[test]
fn short_or_long_passphrases_are_refused_before_any_traffic() {
    let s = SrtSocket::new_raw().unwrap();
    for bad in ["short", &"x".repeat(80)] {
        let err = s.setsockflag(SRTO_PASSPHRASE, bad).unwrap_err();
        assert!(!err.to_string().is_empty());
        eprintln!("{} chars: {err}", bad.len());
    }
    for bad in [
        "srt://127.0.0.1:9000?passphrase=short",
        "srt://127.0.0.1:9000?pbkeylen=20",
    ] {
        let err = SrtSocket::new(bad).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("passphrase") || text.contains("pbkeylen"),
            "{bad}: {text}"
        );
    }
}
