//! datagramer over loopback with real libsrt sockets: exact payloads, clean close, broken
//! link, timeout, reconnect, listener mode, and the TS-packet view.
mod support;

use srtfu::*;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A payload of `len` bytes carrying its sequence number in the first 4 bytes and a pattern
/// derived from it in the rest.
fn payload(seq: u32, len: usize) -> Vec<u8> {
    let mut p: Vec<u8> = (0..len)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(seq) as u8)
        .collect();
    let n = len.min(4);
    p[..n].copy_from_slice(&seq.to_be_bytes()[..n]);
    p
}

/// Accepts one caller on `l` and sends `count` payloads of the sizes in `sizes` (cycled),
/// then closes after the latency.
fn serve(l: SrtSocket, count: u32, sizes: &'static [usize]) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let (s, _) = l.accept().expect("accept");
        for seq in 0..count {
            let p = payload(seq, sizes[seq as usize % sizes.len()]);
            s.sendmsg2(&p, None).expect("sendmsg2");
            thread::sleep(Duration::from_micros(300));
        }
        close_after_latency(s, Duration::from_millis(100)).expect("close");
    })
}

#[test]
fn every_payload_arrives_exactly_then_none_on_clean_close() {
    static SIZES: [usize; 6] = [1316, 188, 1, 1000, 700, 1316];
    let (l, addr) = support::listener(TransType::Live);
    let sender = serve(l, 300, &SIZES);
    let d = datagramer(&format!("srt://{addr}")).expect("datagramer");
    let mut got = 0u32;
    let mut d = d;
    for item in d.by_ref() {
        let p = item.expect("no error on a clean stream");
        let len = SIZES[got as usize % SIZES.len()];
        assert_eq!(p, payload(got, len), "payload {got} differs");
        assert_eq!(p.capacity(), p.len(), "owned item has no spare capacity");
        got += 1;
        assert!(got <= 300, "more payloads than sent");
    }
    sender.join().unwrap();
    assert_eq!(got, 300, "all payloads, in order, then None");
    // Ended for good: no spinning, no junk.
    assert!(d.next().is_none());
    assert!(d.next().is_none());
    assert!(d.socket().is_none());
}

#[test]
fn recv_into_and_recv_need_no_allocation_and_refuse_short_buffers() {
    static SIZES: [usize; 2] = [1316, 188];
    let (l, addr) = support::listener(TransType::Live);
    let sender = serve(l, 50, &SIZES);
    let mut d = datagramer(&format!("srt://{addr}")).expect("datagramer");
    let mut small = [0u8; 1316];
    let err = d.recv_into(&mut small).unwrap_err();
    assert!(
        err.to_string().contains("may cut a payload"),
        "clear error: {err}"
    );
    let mut buf = vec![0u8; d.min_buffer()];
    let mut seq = 0u32;
    while let Some(n) = d.recv_into(&mut buf).expect("recv_into") {
        assert_eq!(&buf[..n], &payload(seq, SIZES[seq as usize % 2])[..]);
        seq += 1;
        if seq == 25 {
            break;
        }
    }
    while let Some(p) = d.recv().expect("recv") {
        assert_eq!(p, &payload(seq, SIZES[seq as usize % 2])[..]);
        seq += 1;
    }
    sender.join().unwrap();
    assert_eq!(seq, 50);
    assert_eq!(d.recv_into(&mut buf).unwrap(), None);
}

#[test]
fn silence_past_the_timeout_yields_one_error_then_ends() {
    let (l, addr) = support::listener(TransType::Live);
    let hold = thread::spawn(move || {
        let (s, _) = l.accept().expect("accept");
        for seq in 0..3 {
            s.sendmsg2(&payload(seq, 1316), None).unwrap();
            thread::sleep(Duration::from_millis(10));
        }
        thread::sleep(Duration::from_millis(1500));
        drop(s);
    });
    let mut d = Datagramer::builder(&format!("srt://{addr}"))
        .timeout(Duration::from_millis(400))
        .open()
        .expect("datagramer");
    for seq in 0..3 {
        assert_eq!(d.next().unwrap().unwrap(), payload(seq, 1316));
    }
    let t0 = Instant::now();
    let err = d.next().expect("an item").expect_err("a timeout error");
    assert!(err.is_timeout() || err.is_would_block(), "timeout: {err}");
    assert!(
        t0.elapsed() < Duration::from_millis(1200),
        "{:?}",
        t0.elapsed()
    );
    assert!(d.next().is_none(), "ends after the error");
    hold.join().unwrap();
}

/// A UDP relay between a caller and a listener that can be cut, to break a link the way a
/// network failure does (no shutdown message reaches the receiver).
struct Relay {
    addr: SocketAddr,
    cut: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Relay {
    fn new(target: SocketAddr) -> Relay {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let addr = sock.local_addr().unwrap();
        let up = UdpSocket::bind("127.0.0.1:0").unwrap();
        up.set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (c2, s2) = (cut.clone(), stop.clone());
        let thread = thread::spawn(move || {
            let mut client: Option<SocketAddr> = None;
            let mut buf = [0u8; 2048];
            let deadline = Instant::now() + Duration::from_secs(30);
            while !s2.load(Ordering::Relaxed) && Instant::now() < deadline {
                if let Ok((n, from)) = sock.recv_from(&mut buf) {
                    client = Some(from);
                    if !c2.load(Ordering::Relaxed) {
                        let _ = up.send_to(&buf[..n], target);
                    }
                }
                while let Ok((n, _)) = up.recv_from(&mut buf) {
                    if let (Some(c), false) = (client, c2.load(Ordering::Relaxed)) {
                        let _ = sock.send_to(&buf[..n], c);
                    }
                    up.set_read_timeout(Some(Duration::from_millis(1))).unwrap();
                }
                up.set_read_timeout(Some(Duration::from_millis(1))).unwrap();
            }
        });
        Relay {
            addr,
            cut,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn a_broken_link_yields_one_error_then_ends() {
    let l = SrtSocket::new("srt://:0?peeridletimeo=1000").unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(1).unwrap();
    let addr = l.getsockname().unwrap();
    let relay = Relay::new(addr);
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let sender = thread::spawn(move || {
        let (s, _) = l.accept().expect("accept");
        for seq in 0..400u32 {
            if s.sendmsg2(&payload(seq, 1316), None).is_err() {
                break;
            }
            thread::sleep(Duration::from_millis(2));
            if rx.try_recv().is_ok() {
                break;
            }
        }
        // Keep the socket open until the test is done: the break comes from the relay.
        let _ = rx.recv_timeout(Duration::from_secs(5));
    });
    let mut d = datagramer(&format!("srt://{}?peeridletimeo=1000", relay.addr)).unwrap();
    let mut got = 0;
    let t0 = Instant::now();
    let mut cut_at = None;
    let err = loop {
        match d.next() {
            Some(Ok(p)) => {
                assert_eq!(p.len(), 1316);
                got += 1;
                if got == 20 {
                    relay.cut.store(true, Ordering::Relaxed);
                    cut_at = Some(Instant::now());
                }
            }
            Some(Err(e)) => break e,
            None => panic!("a broken link must not look like a clean close"),
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "bounded");
    };
    let waited = cut_at.unwrap().elapsed();
    // Measured with libsrt 1.5.1: about 5 s, even with SRTO_PEERIDLETIMEO at 1000 ms (libsrt
    // also waits for 16 expirations of its response timer before it gives up).
    assert_eq!(err.code(), Some(ErrorCode::ConnLost), "{err}");
    assert!(
        waited >= Duration::from_millis(800),
        "broke after {waited:?}"
    );
    assert!(d.next().is_none());
    let _ = tx.send(());
    let _ = tx.send(());
    sender.join().unwrap();
}

#[test]
fn file_transtype_is_refused_by_name() {
    let err = datagramer("srt://127.0.0.1:9?transtype=file").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("transtype"), "{msg}");
}

#[test]
fn listener_mode_waits_for_a_sender() {
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sender = thread::spawn(move || {
        let url = format!("srt://127.0.0.1:{port}?retries=5&conntimeo=1000");
        let s = SrtSocket::open(&url).expect("caller");
        for seq in 0..40 {
            s.sendmsg2(&payload(seq, 1316), None).unwrap();
        }
        close_after_latency(s, Duration::from_millis(100)).unwrap();
    });
    let d = datagramer(&format!("srt://127.0.0.1:{port}?mode=listener")).unwrap();
    let got: Vec<Vec<u8>> = d.map(|r| r.unwrap()).collect();
    sender.join().unwrap();
    assert_eq!(got.len(), 40);
    for (i, p) in got.iter().enumerate() {
        assert_eq!(p, &payload(i as u32, 1316));
    }
}

#[test]
fn reconnect_policy_brings_the_link_back_and_reports_each_drop() {
    let (l, addr) = support::listener(TransType::Live);
    let server = thread::spawn(move || {
        for round in 0..2u32 {
            let (s, _) = l.accept().expect("accept");
            // Data sent the instant srt_accept returns can reach the caller before its
            // srt_connect has finished, and libsrt drops it there; a short burst has no later
            // packet to reveal the gap, so it would be lost. Give the caller a moment.
            thread::sleep(Duration::from_millis(50));
            for i in 0..10 {
                s.sendmsg2(&payload(round * 100 + i, 1316), None).unwrap();
            }
            close_after_latency(s, Duration::from_millis(100)).unwrap();
        }
        // The listener goes away: reconnect attempts now fail.
    });
    let events = Arc::new(Mutex::new(Vec::<String>::new()));
    let ev = events.clone();
    let mut d = Datagramer::builder(&format!("srt://{addr}?conntimeo=300"))
        .reconnect(
            ReconnectPolicy::bounded(2)
                .backoff(Duration::from_millis(50), Duration::from_millis(100))
                .after_clean_close(true),
        )
        .on_link_event(move |e| {
            ev.lock().unwrap().push(match e {
                LinkEvent::Dropped { error: None } => "closed".to_string(),
                LinkEvent::Dropped { error: Some(_) } => "broken".to_string(),
                LinkEvent::AttemptFailed { attempt, .. } => format!("failed {attempt}"),
                LinkEvent::Reconnected { attempt } => format!("back {attempt}"),
                _ => "other".to_string(),
            })
        })
        .open()
        .unwrap();
    let mut got = Vec::new();
    let t0 = Instant::now();
    let last = loop {
        match d.next() {
            Some(Ok(p)) => got.push(u32::from_be_bytes(p[..4].try_into().unwrap())),
            Some(Err(e)) => break e,
            None => panic!("the policy gives up with an error, not a clean end"),
        }
        assert!(t0.elapsed() < Duration::from_secs(15));
    };
    server.join().unwrap();
    let expected: Vec<u32> = (0..10).chain(100..110).collect();
    assert_eq!(got, expected);
    assert_eq!(d.reconnects(), 1);
    // The listener is gone: the last attempt gets no answer, a typed timeout.
    assert!(last.is_timeout(), "{last}");
    assert!(d.next().is_none());
    let events = events.lock().unwrap().clone();
    assert_eq!(
        events,
        vec!["closed", "back 1", "closed", "failed 1", "failed 2"],
        "each drop and attempt reported"
    );
}

#[test]
fn wrong_passphrase_fails_with_a_clear_error() {
    let l = SrtSocket::new("srt://:0?passphrase=the-right-secret").unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(1).unwrap();
    let addr = l.getsockname().unwrap();
    let acc = thread::spawn(move || {
        l.setsockflag(SRTO_RCVSYN, false).unwrap();
        thread::sleep(Duration::from_millis(1500));
        drop(l);
    });
    let err = datagramer(&format!(
        "srt://{addr}?passphrase=a-wrong-secret&conntimeo=1000"
    ))
    .unwrap_err();
    assert_eq!(err.reject_reason(), Some(RejectReason::BadSecret), "{err}");
    acc.join().unwrap();
}

#[test]
fn ts_view_splits_and_checks_sync() {
    let mut p = vec![0u8; 1316];
    for (i, c) in p.chunks_mut(188).enumerate() {
        c[0] = 0x47;
        c[1] = 0x40 | 0x01;
        c[2] = 0x00;
        c[3] = 0x10 | i as u8;
    }
    let pk: Vec<_> = ts::packets(&p).unwrap().collect();
    assert_eq!(pk.len(), 7);
    assert!(pk
        .iter()
        .all(|k| k.pid() == 0x100 && k.payload_unit_start()));
    assert_eq!(pk[6].continuity_counter(), 6);
    p[188 * 3] = 0x48;
    let e = ts::packets(&p).unwrap_err().to_string();
    assert!(e.contains("packet 3") && e.contains("0x48"), "{e}");
    let e = ts::packets(&p[..1000]).unwrap_err().to_string();
    assert!(e.contains("1000 bytes"), "{e}");
    assert!(ts::packets(&[]).is_err());
}

#[test]
fn a_datagramer_can_move_to_another_thread() {
    fn send<T: Send>() {}
    send::<Datagramer>();
    send::<DatagramerBuilder>();
}

#[test]
fn a_caller_with_reconnect_retries_the_first_connect_too() {
    // Nobody listens: every attempt times out, each is reported, then the last error.
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let attempts = Arc::new(Mutex::new(0u32));
    let a = attempts.clone();
    let t0 = Instant::now();
    let err = Datagramer::builder(&format!("srt://127.0.0.1:{port}?conntimeo=200"))
        .reconnect(
            ReconnectPolicy::bounded(2)
                .backoff(Duration::from_millis(10), Duration::from_millis(20)),
        )
        .on_link_event(move |e| {
            if let LinkEvent::AttemptFailed { .. } = e {
                *a.lock().unwrap() += 1;
            }
        })
        .open()
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(*attempts.lock().unwrap(), 2);
    assert!(t0.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_link_that_breaks_comes_back_under_the_policy() {
    let l = SrtSocket::new("srt://:0?peeridletimeo=1000").unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(2).unwrap();
    let addr = l.getsockname().unwrap();
    let relay = Relay::new(addr);
    let server = thread::spawn(move || {
        let (first, _) = l.accept().expect("accept 1");
        let feeder = thread::spawn(move || {
            for seq in 0..800u32 {
                if first.sendmsg2(&payload(seq, 1316), None).is_err() {
                    break;
                }
                thread::sleep(Duration::from_millis(2));
            }
        });
        let (second, _) = l.accept().expect("accept 2");
        thread::sleep(Duration::from_millis(50));
        for seq in 0..10 {
            second.sendmsg2(&payload(1000 + seq, 1316), None).unwrap();
        }
        close_after_latency(second, Duration::from_millis(100)).unwrap();
        feeder.join().unwrap();
    });
    let cut = relay.cut.clone();
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    let mut d = Datagramer::builder(&format!(
        "srt://{}?peeridletimeo=1000&conntimeo=500",
        relay.addr
    ))
    .reconnect(
        ReconnectPolicy::bounded(5).backoff(Duration::from_millis(50), Duration::from_millis(200)),
    )
    .on_link_event(move |e| {
        if let LinkEvent::Dropped { error: Some(_) } = e {
            // The network comes back while the datagramer waits to reconnect.
            cut.store(false, Ordering::Relaxed);
        }
        ev.lock().unwrap().push(
            format!("{e:?}")
                .split([' ', '{'])
                .next()
                .unwrap()
                .to_string(),
        );
    })
    .open()
    .unwrap();
    let mut first_link = 0;
    let mut second_link = Vec::new();
    let t0 = Instant::now();
    for item in d.by_ref() {
        let p = item.expect("the policy hides the break");
        let seq = u32::from_be_bytes(p[..4].try_into().unwrap());
        if seq >= 1000 {
            second_link.push(seq);
        } else {
            first_link += 1;
            if first_link == 20 {
                relay.cut.store(true, Ordering::Relaxed);
            }
        }
        assert!(t0.elapsed() < Duration::from_secs(15), "bounded");
    }
    server.join().unwrap();
    assert!(first_link >= 20);
    assert_eq!(second_link, (1000..1010).collect::<Vec<_>>());
    assert_eq!(d.reconnects(), 1);
    let events = events.lock().unwrap().clone();
    assert_eq!(
        events.first().map(String::as_str),
        Some("Dropped"),
        "{events:?}"
    );
    assert!(events.contains(&"Reconnected".to_string()), "{events:?}");
}

#[test]
fn a_listener_with_a_timeout_stops_waiting_for_a_caller() {
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let t0 = Instant::now();
    let builder = Datagramer::builder(&format!(
        "srt://127.0.0.1:{port}?mode=listener&passphrase=do-not-print-me"
    ))
    .timeout(Duration::from_millis(400));
    assert!(!format!("{builder:?}").contains("do-not-print-me"));
    let err = builder.open().unwrap_err();
    assert!(!err.to_string().contains("do-not-print-me"), "{err}");
    let waited = t0.elapsed();
    assert!(err.is_timeout(), "{err}");
    assert!(err.to_string().contains("no caller connected"), "{err}");
    assert!(
        waited >= Duration::from_millis(350) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}
