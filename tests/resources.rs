//! Bad use and resources: every method on a never-connected or broken socket returns an
//! error (never a panic), closing is harmless when repeated, create/connect/close cycles do
//! not grow file descriptors, RSS or libsrt's socket table, and one socket used from three
//! threads at once (send, recv, stats) behaves.

mod support;

use srtfu::*;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};
use support::reliability::soak;

/// Calls every data/peer method on `s`; each must be an `Err` with a non-empty message.
fn all_data_calls_fail(s: &SrtSocket, what: &str) {
    let tmp = tempfile::tempdir().unwrap();
    support::assert_all_fail(support::data_calls(s, tmp.path()), what);
    // Zero-length and oversized buffers are errors too, not UB.
    assert!(s.send(&[]).is_err(), "{what}: empty send");
    assert!(s.recv(&mut []).is_err(), "{what}: empty recv");
    // Calls that legitimately work on any live socket do not panic either.
    let _ = s.getsockstate();
    let _ = s.getsockname();
    let _ = s.bstats(false);
    let _ = s.bistats(true, true);
    let _ = s.getrejectreason();
    let _ = s.getsockflag(SRTO_LATENCY);
    let _ = s.streamid();
    let _ = s.payload_size();
    let _ = s.set_read_timeout(Some(Duration::from_millis(10)));
    let _ = s.set_write_timeout(Some(Duration::from_millis(10)));
    let _ = s.set_blocking(false);
}

#[test]
fn never_connected_socket_methods_return_errors() {
    let s = SrtSocket::new_raw().unwrap();
    assert_eq!(s.getsockstate(), SockStatus::Init);
    all_data_calls_fail(&s, "fresh");
    // listen before bind, and bad addresses, are errors.
    assert!(s.listen(1).is_err());
    assert!(SrtSocket::new_raw()
        .unwrap()
        .bind("not an address")
        .is_err());
    assert!(SrtSocket::new_raw()
        .unwrap()
        .connect("256.1.1.1:1")
        .is_err());
    assert!(SrtSocket::new_raw()
        .unwrap()
        .sendfile(Path::new("a\0b"), 0, 1, 1)
        .is_err());
    // A bound-but-not-listening socket: accept fails.
    let b = SrtSocket::new_raw().unwrap();
    b.bind("127.0.0.1:0").unwrap();
    all_data_calls_fail(&b, "bound");
    // A listening socket cannot send or receive.
    let (l, _) = support::listener(TransType::Live);
    l.setsockflag(SRTO_RCVSYN, false).unwrap();
    assert!(l.send(b"x").is_err());
    assert!(l.recv(&mut [0u8; 10]).is_err());
    assert!(l.accept().is_err(), "nothing to accept");
    // Connecting to a port where nothing listens fails with a timeout, in bounded time.
    let c = SrtSocket::new_raw().unwrap();
    c.setsockflag(SRTO_CONNTIMEO, 500).unwrap();
    let free = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let t0 = Instant::now();
    let err = c.connect(("127.0.0.1", port)).unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(5));
    eprintln!("connect to nothing: {err}");
    all_data_calls_fail(&c, "failed connect");
}

#[test]
fn peer_closed_socket_methods_return_errors() {
    for tt in [TransType::Live, TransType::File] {
        // The caller closes; the accepted socket must notice and then refuse everything.
        // (The other way round, libsrt 1.5.1 notices only after the idle timeout, ~5 s.)
        let (c, s) = support::pair(tt);
        s.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        c.close().unwrap();
        let t0 = Instant::now();
        let mut buf = [0u8; 1500];
        let mut eof_reads = 0;
        let err = loop {
            assert!(t0.elapsed() < Duration::from_secs(8), "{tt:?}: no error");
            match s.recv(&mut buf) {
                Err(e) if e.is_timeout() => {}
                Err(e) => break e,
                // File (stream) mode: after the peer's close, srt_recv returns 0 (end of
                // stream, as TCP does) until libsrt collects the socket.
                Ok(0) => {
                    eof_reads += 1;
                    thread::sleep(Duration::from_millis(10));
                }
                Ok(n) => panic!("{tt:?}: {n} bytes from nowhere"),
            }
        };
        eprintln!(
            "{tt:?}: peer close noticed after {:?} ({eof_reads} end-of-stream reads first): {err}",
            t0.elapsed()
        );
        if tt == TransType::File {
            assert!(eof_reads > 0, "file mode reports end of stream first");
        }
        assert!(t0.elapsed() < Duration::from_secs(3), "{tt:?}");
        assert_ne!(s.getsockstate(), SockStatus::Connected, "{tt:?}");
        all_data_calls_fail(&s, &format!("peer closed {tt:?}"));
        // Closing a broken (or already collected) socket is fine.
        let _ = s.close();
    }
}

#[test]
fn closing_twice_is_harmless() {
    let (c, s) = support::pair(TransType::Live);
    let id = c.id();
    c.close().unwrap();
    // SrtSocket::close consumes the socket, so srtfu cannot close an id twice; show that
    // even a stale id handed to libsrt again is refused without harm.
    // SAFETY: srt_close takes any integer id; a closed one is reported as an error.
    let rc = unsafe { srtfu::sys::srt_close(id) };
    eprintln!("second srt_close on a closed id: {rc}");
    assert!(rc == 0 || rc == -1, "{rc}");
    // SAFETY: srt_getsockstate takes any integer id.
    let st = SockStatus::from_raw(unsafe { srtfu::sys::srt_getsockstate(id) } as i32);
    assert!(
        matches!(
            st,
            SockStatus::NonExist | SockStatus::Closed | SockStatus::Closing
        ),
        "{st:?}"
    );
    // Dropping a socket that was already closed by its peer, and an explicit close of the
    // other end after that, are fine too.
    drop(s);
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// RSS after giving freed heap memory back to the system (glibc keeps it otherwise, and
/// libsrt frees tens of MB per closed connection: that would hide or fake a leak).
fn trimmed_rss_kb() -> u64 {
    // SAFETY: malloc_trim only releases free memory of the allocator; no preconditions.
    unsafe { libc::malloc_trim(0) };
    rss_kb()
}

/// Waits (at most `max`) until the fd count is at most `target` — libsrt's garbage
/// collector frees closed sockets (and their UDP descriptors) some seconds after close —
/// and returns the count.
fn fds_down_to(target: usize, max: Duration) -> usize {
    let end = Instant::now() + max;
    loop {
        let now = open_fds();
        if now <= target || Instant::now() > end {
            return now;
        }
        thread::sleep(Duration::from_millis(250));
    }
}

/// Create/connect/close cycles against one listener: descriptors, RSS and libsrt's sockets
/// do not grow. 2000 cycles by default, 10 000 with SRTFU_SOAK=1.
/// How much RSS may stay after the cycles, once libsrt's collector ran and malloc_trim
/// returned what it can. Leaking one socket's buffers per cycle (libsrt holds ~0.8 MiB per
/// connection) would leave over 1.5 GB after 2000 cycles, so 64 MB still catches any
/// per-cycle leak of 32 KiB or more. What remains in a clean run is glibc's per-thread arena
/// fragmentation after a ~1–2.5 GB peak: measured 0–40 MB, varying from run to run (a 16 MB
/// bound failed one CI dry run at +38 MB that did not shrink in 30 s). The exact check is the
/// libsrt socket table below: no socket of the loop is left.
const RSS_SLACK_KB: u64 = 64 * 1024;

#[test]
fn create_connect_close_cycles_do_not_leak() {
    // File descriptors and RSS are per process: run the body alone in a child process so
    // the other tests of this binary do not disturb the figures.
    const CHILD: &str = "SRTFU_CYCLES_CHILD";
    if std::env::var_os(CHILD).is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "create_connect_close_cycles_do_not_leak",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .output()
            .expect("run the child test");
        let text = String::from_utf8_lossy(&out.stderr);
        for l in text
            .lines()
            .filter(|l| !l.contains("no pending connection"))
        {
            eprintln!("child: {l}");
        }
        assert!(out.status.success(), "the cycles child failed");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("1 passed"),
            "the child ran no test"
        );
        return;
    }
    let cycles = if soak() { 10_000 } else { 2_000 };
    let l = SrtSocket::new_raw().unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(1024).unwrap();
    let addr = l.getsockname().unwrap();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let accepted = std::sync::Arc::new(AtomicU64::new(0));
    l.setsockflag(SRTO_RCVSYN, false).unwrap();
    let acceptor = {
        let (stop, accepted) = (stop.clone(), accepted.clone());
        thread::spawn(move || {
            while !stop.load(Relaxed) {
                match l.accept() {
                    Ok((s, _)) => {
                        accepted.fetch_add(1, Relaxed);
                        drop(s);
                    }
                    Err(_) => thread::sleep(Duration::from_micros(200)),
                }
            }
        })
    };
    // One cycle; a failed connect is counted, not fatal: under rapid cycling libsrt 1.5.1
    // occasionally fails a connect with SRT_ESCLOSED (a new caller reusing the ephemeral
    // UDP port of one just closed); the failure must still be a typed error.
    let failures = std::cell::RefCell::new(Vec::new());
    let cycle = |i: u32| {
        let c = SrtSocket::new_raw().unwrap();
        c.setsockflag(SRTO_CONNTIMEO, 3000).unwrap();
        match c.connect(addr) {
            // The server drops what it accepts, so this caller is broken, and libsrt (1.5.5)
            // may already have closed and collected it: srt_close then says SRT_EINVSOCK
            // (seen in a loaded matrix run). Any other error fails.
            Ok(()) if i % 2 == 0 => match c.close() {
                Ok(()) => {}
                Err(e) if e.code() == Some(srtfu::ErrorCode::InvalidSocket) => {}
                Err(e) => panic!("close {i}: {e:?}"),
            },
            Ok(()) => drop(c),
            Err(e) => failures.borrow_mut().push((i, e.code())),
        }
    };
    // Warm up (libsrt's threads, buffers, the allocator), then measure.
    for i in 0..200 {
        cycle(i);
    }
    let fd0 = fds_down_to(40, Duration::from_secs(20));
    let rss0 = trimmed_rss_kb();
    let t0 = Instant::now();
    let mut ids = Vec::new();
    for i in 0..cycles {
        let c = SrtSocket::new_raw().unwrap();
        ids.push(c.id());
        drop(c); // a never-connected socket, closed at once
        cycle(i);
        assert!(t0.elapsed() < Duration::from_secs(120), "too slow at {i}");
    }
    let took = t0.elapsed();
    // libsrt frees closed sockets in its garbage collector thread, a batch at a time.
    let fd1 = fds_down_to(fd0 + 4, Duration::from_secs(30));
    let rss_before_trim = rss_kb();
    // libsrt's garbage collector frees the closed sockets' buffers over the next seconds
    // (after a CI run, 70 MB were still held right after the fds were closed): give it up
    // to 30 s to come back under the bound, then judge.
    let settle = Instant::now();
    let mut rss1 = trimmed_rss_kb();
    while rss1 > rss0 + RSS_SLACK_KB && settle.elapsed() < Duration::from_secs(30) {
        thread::sleep(Duration::from_millis(500));
        rss1 = trimmed_rss_kb();
    }
    eprintln!("RSS settled in {:?}", settle.elapsed());
    eprintln!("RSS before malloc_trim {rss_before_trim} kB, after {rss1} kB");
    stop.store(true, Relaxed);
    acceptor.join().unwrap();
    eprintln!(
        "{cycles} cycles in {took:?}; accepted {}; fds {fd0} -> {fd1}; RSS {rss0} kB -> {rss1} kB",
        accepted.load(Relaxed)
    );
    let failures = failures.into_inner();
    eprintln!("failed connects: {failures:?}");
    assert!(
        failures.len() * 100 <= cycles as usize,
        "more than 1 % of connects failed"
    );
    assert!(failures.iter().all(|(_, code)| code.is_some()));
    assert!(fd1 <= fd0 + 4, "file descriptors grew: {fd0} -> {fd1}");
    assert!(
        rss1 <= rss0 + RSS_SLACK_KB,
        "RSS grew by more than {} MB: {rss0} -> {rss1} kB",
        RSS_SLACK_KB / 1024
    );
    // Every socket created in the loop is gone from libsrt's table.
    let alive = ids
        .iter()
        .filter(|&&id| {
            // SAFETY: srt_getsockstate takes any integer id.
            let st = SockStatus::from_raw(unsafe { srtfu::sys::srt_getsockstate(id) } as i32);
            !matches!(st, SockStatus::NonExist | SockStatus::Closed)
        })
        .count();
    assert_eq!(alive, 0, "{alive} sockets still open in libsrt");
}

/// One connected socket used by three threads at once: one sends, one receives (on the
/// peer), one reads stats of both; bounded in time, every message accounted for.
#[test]
fn concurrent_send_recv_stats() {
    let secs = if soak() { 30 } else { 2 };
    for tt in [TransType::Live, TransType::File] {
        let (c, s) = support::pair(tt);
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        c.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
        let stop = AtomicBool::new(false);
        let sent = AtomicU64::new(0);
        let (received, stats_reads) = thread::scope(|sc| {
            let sender = sc.spawn(|| {
                let msg = [0x5au8; 1316];
                let end = Instant::now() + Duration::from_secs(secs);
                while Instant::now() < end {
                    let n = c.send(&msg).expect("send");
                    sent.fetch_add(n as u64, Relaxed);
                    if tt == TransType::Live {
                        thread::sleep(Duration::from_micros(300));
                    }
                }
                stop.store(true, Relaxed);
            });
            let receiver = sc.spawn(|| {
                let mut buf = [0u8; 1500];
                let mut total = 0u64;
                loop {
                    match s.recv(&mut buf) {
                        Ok(n) => {
                            assert!(buf[..n].iter().all(|&b| b == 0x5a));
                            total += n as u64;
                        }
                        Err(e) if e.is_timeout() && stop.load(Relaxed) => break total,
                        Err(e) => panic!("recv: {e}"),
                    }
                    if stop.load(Relaxed) && total == sent.load(Relaxed) {
                        break total;
                    }
                }
            });
            let stats = sc.spawn(|| {
                let mut reads = 0u64;
                while !stop.load(Relaxed) {
                    let a = c.bstats(false).expect("stats");
                    let b = s.bistats(false, true).expect("stats");
                    assert!(a.pkt_sent_total >= 0 && b.pkt_recv_total >= 0);
                    let _ = c.getsockstate();
                    let _ = s.getsockflag(SRTO_RCVDATA);
                    reads += 1;
                    thread::sleep(Duration::from_millis(1));
                }
                reads
            });
            sender.join().unwrap();
            (receiver.join().unwrap(), stats.join().unwrap())
        });
        eprintln!(
            "{tt:?}: sent {} received {received} bytes; {stats_reads} stats reads",
            sent.load(Relaxed)
        );
        assert_eq!(received, sent.load(Relaxed), "{tt:?}");
        assert!(stats_reads > 10);
    }
}
