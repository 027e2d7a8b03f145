//! The impairment proxy itself, checked with plain UDP (no SRT): its counters match what
//! arrives, the same seed replays the same fate for every packet, and each impairment does
//! what it says. The other reliability tests rely on it.

mod support;

use std::collections::BTreeMap;
use std::net::UdpSocket;
use std::sync::atomic::Ordering::Relaxed;
use std::thread;
use std::time::{Duration, Instant};
use support::proxy::{Impair, Proxy};

/// Sends `n` numbered datagrams (of `len` bytes) from a client through the proxy to a UDP
/// "server"; returns what the server got (number → copies, and the raw payloads in arrival
/// order) once nothing more arrives for 300 ms.
fn run(proxy_imp: Impair, n: u32, len: usize, seed: u64) -> (Proxy, Vec<Vec<u8>>) {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let proxy = Proxy::start_seeded(
        server.local_addr().unwrap(),
        proxy_imp,
        Impair::default(),
        seed,
    );
    // Read while sending, so the server's socket buffer never overflows.
    server
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let reader = thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = [0u8; 2048];
        let end = Instant::now() + Duration::from_secs(10);
        // Wait up to 2 s for the first datagram, then until 300 ms of silence.
        let mut started = false;
        loop {
            match server.recv(&mut buf) {
                Ok(k) => {
                    started = true;
                    got.push(buf[..k].to_vec());
                }
                Err(_) if !started && Instant::now() + Duration::from_secs(8) > end => {}
                Err(_) => break,
            }
            assert!(Instant::now() < end);
        }
        got
    });
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..n {
        let mut p = vec![0xA5u8; len];
        p[..4].copy_from_slice(&i.to_be_bytes());
        client.send_to(&p, proxy.addr()).unwrap();
        if i % 5 == 4 {
            thread::sleep(Duration::from_millis(1)); // let the proxy keep up
        }
    }
    let got = reader.join().unwrap();
    (proxy, got)
}

fn counts(got: &[Vec<u8>]) -> BTreeMap<u32, u32> {
    let mut m = BTreeMap::new();
    for p in got {
        *m.entry(u32::from_be_bytes(p[..4].try_into().unwrap()))
            .or_insert(0) += 1;
    }
    m
}

#[test]
fn counters_match_what_arrives_and_a_seed_replays_exactly() {
    let imp = Impair {
        loss: 0.1,
        duplicate: 0.05,
        reorder: 0.05,
        ..Impair::default()
    };
    let (p1, got1) = run(imp.clone(), 2000, 100, 42);
    let (c2s, _) = p1.counters();
    let lost = c2s.lost.load(Relaxed);
    let dup = c2s.duplicated.load(Relaxed);
    eprintln!("{}", p1.report());
    assert_eq!(c2s.received.load(Relaxed), 2000);
    assert_eq!(c2s.forwarded.load(Relaxed), 2000 - lost + dup);
    assert_eq!(got1.len() as u64, 2000 - lost + dup, "what arrived");
    // Roughly the asked rates (binomial, 2000 draws).
    assert!((120..=280).contains(&lost), "loss {lost}");
    assert!((50..=160).contains(&dup), "dup {dup}");
    let c1 = counts(&got1);
    assert_eq!(c1.values().filter(|&&v| v == 2).count() as u64, dup);
    // Reordering happened: arrival order is not sorted.
    let order: Vec<u32> = got1
        .iter()
        .map(|p| u32::from_be_bytes(p[..4].try_into().unwrap()))
        .collect();
    assert!(order.windows(2).any(|w| w[0] > w[1]), "nothing reordered");
    // Same seed: the same packets lost and duplicated.
    let (_p2, got2) = run(imp.clone(), 2000, 100, 42);
    assert_eq!(counts(&got2), c1, "seed 42 did not replay");
    // Another seed: a different pattern.
    let (_p3, got3) = run(imp, 2000, 100, 43);
    assert_ne!(counts(&got3), c1);
}

#[test]
fn corruption_blackout_and_marker_inspection() {
    let imp = Impair {
        corrupt: 1.0,
        corrupt_payload_only: true,
        ..Impair::default()
    };
    let (p, got) = run(imp, 100, 200, 7);
    assert_eq!(p.counters().0.corrupted.load(Relaxed), 100);
    for d in &got {
        // One flipped bit past the 16-byte header, the rest intact.
        let diff: u32 = d[16..].iter().map(|b| (b ^ 0xA5).count_ones()).sum();
        assert_eq!(diff, 1);
        assert!(d[4..16].iter().all(|&b| b == 0xA5));
    }

    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    server
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let proxy = Proxy::start(
        server.local_addr().unwrap(),
        Impair::default(),
        Impair::default(),
    );
    proxy.watch(Some(b"needle"));
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut buf = [0u8; 100];
    client.send_to(b"hay needle hay", proxy.addr()).unwrap();
    assert_eq!(server.recv(&mut buf).unwrap(), 14);
    proxy.blackout(true);
    client.send_to(b"lost in the dark", proxy.addr()).unwrap();
    assert!(
        server.recv(&mut buf).is_err(),
        "blackout let a packet through"
    );
    proxy.blackout(false);
    client.send_to(b"back", proxy.addr()).unwrap();
    assert_eq!(server.recv(&mut buf).unwrap(), 4);
    assert_eq!(proxy.marker_hits(), 1);
    assert_eq!(proxy.counters().0.blackout_dropped.load(Relaxed), 1);
}

#[test]
fn delay_and_bandwidth_cap() {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let imp = Impair {
        delay: Duration::from_millis(100),
        bandwidth: 100_000, // 100 KB/s
        queue_limit: Duration::from_millis(200),
        ..Impair::default()
    };
    let proxy = Proxy::start(server.local_addr().unwrap(), imp, Impair::default());
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    let t0 = Instant::now();
    client.send_to(&[1u8; 1000], proxy.addr()).unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut buf = [0u8; 1500];
    server.recv(&mut buf).unwrap();
    let first = t0.elapsed();
    assert!(first >= Duration::from_millis(100), "{first:?}");
    // 100 packets of 1000 B = 1 s at the cap; the queue holds 200 ms: most are dropped.
    // Sent over ~20 ms (5x the cap), paced so the kernel does not drop any on a busy machine.
    for i in 0..100 {
        client.send_to(&[2u8; 1000], proxy.addr()).unwrap();
        if i % 5 == 4 {
            thread::sleep(Duration::from_millis(1));
        }
    }
    server
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut n = 0;
    while server.recv(&mut buf).is_ok() {
        n += 1;
    }
    let bw = proxy.counters().0.bw_dropped.load(Relaxed);
    let rx = proxy.counters().0.received.load(Relaxed) - 1; // less the first packet
    eprintln!("capped: {n} through, {bw} dropped; {}", proxy.report());
    // Whatever reached the proxy went through or was dropped by the cap, nothing else.
    assert_eq!(n + bw, rx);
    assert!(rx >= 90, "the kernel dropped {} before the proxy", 100 - rx);
    assert!(
        (15..=45).contains(&n),
        "{n} through a 200 ms queue at 100 KB/s"
    );
}
