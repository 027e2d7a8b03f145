//! The listen callback: libsrt asks a Rust closure about every caller before the handshake
//! completes; the closure accepts, rejects with a reason the caller sees, or sets a
//! per-connection passphrase. A panicking closure rejects and the listener keeps serving.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use srtfu::{ErrorCode, RejectReason, SrtSocket, SRTO_CONNTIMEO, SRTO_PASSPHRASE, SRTO_STREAMID};

/// A listener on 127.0.0.1:0 whose callback is `f`.
fn listener_with<F>(f: F) -> (SrtSocket, SocketAddr)
where
    F: FnMut(&srtfu::IncomingCaller<'_>) -> Result<(), RejectReason> + Send + 'static,
{
    let mut l = SrtSocket::new_raw().unwrap();
    l.listen_callback(f).unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(8).unwrap();
    let addr = l.getsockname().unwrap();
    (l, addr)
}

fn caller(streamid: &str, passphrase: Option<&str>) -> SrtSocket {
    let c = SrtSocket::new_raw().unwrap();
    c.setsockflag(SRTO_STREAMID, streamid).unwrap();
    c.setsockflag(SRTO_CONNTIMEO, 3000).unwrap();
    if let Some(p) = passphrase {
        c.setsockflag(SRTO_PASSPHRASE, p).unwrap();
    }
    c
}

fn rejected_with(c: &SrtSocket, addr: SocketAddr) -> RejectReason {
    let err = c
        .connect(addr)
        .expect_err("connect should have been rejected");
    assert_eq!(err.code(), Some(ErrorCode::ConnRejected), "{err}");
    let reason = err
        .reject_reason()
        .expect("a rejected connect carries its reason");
    assert_eq!(c.getrejectreason(), reason);
    reason
}

#[test]
fn accepted_streamid_connects_and_the_callback_sees_the_caller() {
    let (tx, rx) = mpsc::channel();
    let (l, addr) = listener_with(move |c| {
        tx.send((c.peer_addr(), c.hs_version(), c.streamid().to_string()))
            .unwrap();
        if c.streamid() == "live/cam1" {
            Ok(())
        } else {
            Err(RejectReason::NotFound)
        }
    });
    let c = caller("live/cam1", None);
    c.connect(addr).unwrap();
    let (peer, hs, sid) = rx.recv_timeout(Duration::from_secs(1)).unwrap();
    assert_eq!(peer, Some(c.getsockname().unwrap()));
    assert_eq!(hs, 5, "SRT 1.5 callers use handshake v5");
    assert_eq!(sid, "live/cam1");

    let (s, from) = l.accept().unwrap();
    assert_eq!(from, c.getsockname().unwrap());
    assert_eq!(s.streamid().unwrap(), "live/cam1");
    c.sendmsg(b"hello", None, true).unwrap();
    let mut buf = [0u8; 1500];
    let n = s.recvmsg(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello");
}

#[test]
fn wrong_streamid_is_rejected_with_the_chosen_code() {
    let (_l, addr) = listener_with(|c| match c.streamid() {
        "ok" => Ok(()),
        "who" => Err(RejectReason::Unauthorized),
        "private" => Err(RejectReason::Forbidden),
        "custom" => Err(RejectReason::User(2042)),
        _ => Err(RejectReason::NotFound),
    });
    assert_eq!(
        rejected_with(&caller("nope", None), addr),
        RejectReason::NotFound
    );
    assert_eq!(rejected_with(&caller("private", None), addr).raw(), 1403);
    assert_eq!(rejected_with(&caller("who", None), addr).raw(), 1401);
    let r = rejected_with(&caller("custom", None), addr);
    assert_eq!(r, RejectReason::User(2042));
    assert_eq!(r.raw(), 2042);
    caller("ok", None).connect(addr).unwrap();
}

#[test]
fn a_passphrase_set_in_the_callback_applies_to_that_connection() {
    let (l, addr) = listener_with(|c| match c.streamid() {
        "alice" => c
            .socket()
            .setsockflag(SRTO_PASSPHRASE, "alice-secret-1")
            .map_err(|_| RejectReason::ServerError),
        "bob" => c
            .socket()
            .setsockflag(SRTO_PASSPHRASE, "bob-secret-22")
            .map_err(|_| RejectReason::ServerError),
        _ => Ok(()), // no passphrase: plain
    });
    // Right passphrase: connects, and data flows encrypted.
    let alice = caller("alice", Some("alice-secret-1"));
    alice.connect(addr).unwrap();
    let (s, _) = l.accept().unwrap();
    alice.sendmsg(b"for alice", None, true).unwrap();
    let mut buf = [0u8; 1500];
    let n = s.recvmsg(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"for alice");

    // Bob's stream with Alice's passphrase: bad secret.
    let wrong = caller("bob", Some("alice-secret-1"));
    assert_eq!(rejected_with(&wrong, addr), RejectReason::BadSecret);
    // Bob's stream with no passphrase: unsecured caller against a secured listener.
    let none = caller("bob", None);
    assert_eq!(rejected_with(&none, addr), RejectReason::Unsecure);
    // Bob with his own passphrase is fine; another stream stays unencrypted.
    caller("bob", Some("bob-secret-22")).connect(addr).unwrap();
    caller("plain", None).connect(addr).unwrap();
}

/// Keeps every error-level record, to prove that a caught panic is logged.
struct Capture;
static LOGGED: Mutex<Vec<String>> = Mutex::new(Vec::new());
impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Error
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            LOGGED.lock().unwrap().push(r.args().to_string());
        }
    }
    fn flush(&self) {}
}

#[test]
fn a_panicking_callback_rejects_and_the_listener_keeps_serving() {
    if log::set_logger(&Capture).is_ok() {
        log::set_max_level(log::LevelFilter::Error);
    }
    let calls = Arc::new(Mutex::new(0));
    let counted = calls.clone();
    let (l, addr) = listener_with(move |c| {
        *counted.lock().unwrap() += 1;
        if c.streamid() == "boom" {
            panic!("callback bug for {}", c.streamid());
        }
        Ok(())
    });
    let r = rejected_with(&caller("boom", None), addr);
    assert_eq!(r, RejectReason::ServerError);
    assert_eq!(r.raw(), 1500);

    let c = caller("fine", None);
    c.connect(addr).unwrap();
    let (s, _) = l.accept().unwrap();
    assert_eq!(s.streamid().unwrap(), "fine");
    // A second panic and a third caller: still serving.
    rejected_with(&caller("boom", None), addr);
    caller("fine", None).connect(addr).unwrap();
    assert_eq!(*calls.lock().unwrap(), 4);
    let logged = LOGGED.lock().unwrap();
    let hits = logged
        .iter()
        .filter(|m| m.contains("listen callback panicked") && m.contains("callback bug for boom"))
        .count();
    assert_eq!(hits, 2, "{logged:?}");
}

#[test]
fn the_callback_is_replaced_while_listening_only_where_libsrt_allows_it() {
    let mut l = SrtSocket::new_raw().unwrap();
    l.listen_callback(|_| Err(RejectReason::Forbidden)).unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(4).unwrap();
    let addr = l.getsockname().unwrap();
    assert_eq!(
        rejected_with(&caller("second", None), addr),
        RejectReason::Forbidden
    );
    let replaced = l.listen_callback(|c| {
        if c.streamid() == "second" {
            Ok(())
        } else {
            Err(RejectReason::Locked)
        }
    });
    if srtfu::version() >= (1, 5, 4) {
        // libsrt 1.5.4 and later refuse a callback on a listening socket; the first stays.
        let err = replaced.expect_err("libsrt >= 1.5.4 refuses a callback while listening");
        assert_eq!(err.code(), Some(ErrorCode::ConnectedSocket), "{err}");
        assert_eq!(
            rejected_with(&caller("second", None), addr),
            RejectReason::Forbidden
        );
    } else {
        // Earlier versions take it: new callers meet the second closure.
        replaced.unwrap();
        caller("second", None).connect(addr).unwrap();
        assert_eq!(
            rejected_with(&caller("x", None), addr),
            RejectReason::Locked
        );
    }
}

#[test]
fn a_libsrt_reason_below_1000_becomes_the_fallback_code() {
    let (_l, addr) = listener_with(|_| Err(RejectReason::BadSecret));
    let c = caller("any", None);
    let err = c.connect(addr).expect_err("rejected");
    assert_eq!(err.code(), Some(ErrorCode::ConnRejected), "{err}");
    // libsrt refuses internal codes from a callback; srtfu sends SRT_REJX_FALLBACK instead.
    assert_eq!(err.reject_reason(), Some(RejectReason::Fallback));
}

#[test]
fn an_ipv6_caller_is_seen_with_its_ipv6_address() {
    let (tx, rx) = mpsc::channel();
    let mut l = SrtSocket::new_raw().unwrap();
    l.listen_callback(move |c| {
        tx.send(c.peer_addr()).unwrap();
        Ok(())
    })
    .unwrap();
    if let Err(e) = l.bind("[::1]:0") {
        // Some containers have no IPv6 loopback at all.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "IPv6 loopback needed in CI: {e}"
        );
        eprintln!("skipping: no IPv6 loopback ({e})");
        return;
    }
    l.listen(4).unwrap();
    let addr = l.getsockname().unwrap();
    let c = caller("v6", None);
    c.connect(addr).unwrap();
    let peer = rx.recv_timeout(Duration::from_secs(1)).unwrap().unwrap();
    assert!(peer.is_ipv6(), "{peer}");
    assert_eq!(peer, c.getsockname().unwrap());
}
