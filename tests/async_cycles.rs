//! Async connect/close cycles: file descriptors, RSS and the reactor do not grow. 2 000
//! cycles by default, 10 000 with SRTFU_SOAK=1. One test in this binary, so the process's
//! fds and RSS are this test's own.
#![cfg(feature = "tokio")]

mod async_support;

use async_support::listener;
use srtfu::tokio::{reactor_sockets, reactor_threads, AsyncSrtSocket};
use srtfu::TransType;
use std::time::{Duration, Instant};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn trimmed_rss_kb() -> u64 {
    // SAFETY: malloc_trim only releases free memory of the allocator; no preconditions.
    unsafe { libc::malloc_trim(0) };
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// Waits (bounded) until at most `target` fds are open: libsrt's collector closes a closed
/// socket's UDP descriptor some time after the close.
fn fds_down_to(target: usize, max: Duration) -> usize {
    let end = Instant::now() + max;
    loop {
        let now = open_fds();
        if now <= target || Instant::now() > end {
            return now;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// What the first half may leave (fragmentation; measured here: 0 to 170 MB after 2 000
/// async cycles, varying from run to run, with libsrt's table empty and fds back).
const RSS_SLACK_KB: u64 = 64 * 1024;
/// What the second half may add: a leak of 96 KiB per cycle over 1 000 cycles. Measured in
/// clean runs: -38 to +47 MB, so RSS alone cannot see smaller leaks; the exact checks are
/// libsrt's socket table and the reactor's own table, both asserted empty.
const HALF_SLACK_KB: u64 = 96 * 1024;
/// A bound on the whole run: far below the 1.6 GB that leaking one socket's buffers per
/// cycle would keep after 2 000 cycles.
const RSS_BOUND_KB: u64 = 320 * 1024;

/// RSS after malloc_trim, given up to 15 s (libsrt's collector frees buffers over some
/// seconds) to come under `target`.
fn settled_rss_kb(target: u64) -> u64 {
    let settle = Instant::now();
    let mut rss = trimmed_rss_kb();
    while rss > target && settle.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(500));
        rss = trimmed_rss_kb();
    }
    rss
}

#[test]
fn async_connect_close_cycles_do_not_leak() {
    let cycles: u32 = match std::env::var("SRTFU_ASYNC_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(n) => n,
        None if std::env::var("SRTFU_SOAK").as_deref() == Ok("1") => 10_000,
        None => 2_000,
    };
    // One malloc arena for the threads to come (libsrt's, tokio's). With glibc's default
    // per-thread arenas, buffers freed on other threads than they were made on leave RSS
    // wandering by hundreds of MB between runs (seen: 10 MB -> 370 MB, 29 MB -> 214 MB in
    // the second half, on a machine where session 3's CI had passed), which no trim returns;
    // with one arena the same 2 000 cycles stay flat (45 -> 21 -> 52 MB), so a leak per
    // cycle stands out from the allocator's noise.
    // SAFETY: mallopt only sets an allocator parameter; M_ARENA_MAX is a valid one.
    unsafe { libc::mallopt(libc::M_ARENA_MAX, 1) };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (l, addr) = rt.block_on(async { listener(TransType::Live, 1024) });
    // The server's accept loop: any error ends it (as `accept().await?` would), and the
    // test then fails on it. Callers that close at once used to end it.
    let acceptor = rt.spawn(async move {
        let mut n = 0u64;
        loop {
            match l.accept().await {
                Ok((s, _)) => {
                    n += 1;
                    drop(s);
                }
                Err(e) => {
                    eprintln!("ACCEPT ERROR after {n}: {e:?}");
                    return (n, e);
                }
            }
        }
    });
    let url = format!("srt://127.0.0.1:{}?conntimeo=3000", addr.port());
    let mut failures = Vec::new();
    let mut ids = Vec::new();
    let mut run = |count: u32, failures: &mut Vec<(u32, Option<srtfu::ErrorCode>)>| {
        rt.block_on(async {
            for i in 0..count {
                // Bounded: conntimeo is 3 s, so a connect still pending after 10 s waits
                // for a wake-up that never comes.
                let attempt =
                    tokio::time::timeout(Duration::from_secs(10), AsyncSrtSocket::connect(&url))
                        .await
                        .unwrap_or_else(|_| panic!("connect {i} did not end within 10 s"));
                match attempt {
                    Ok(c) => {
                        ids.push(c.id());
                        if i % 2 == 0 {
                            // The server drops every accepted socket at once, so this one
                            // is broken, and libsrt (1.5.5) may already have closed and
                            // collected it itself: then srt_close says SRT_EINVSOCK (seen
                            // once in a loaded fresh-clone CI run). Any other error fails.
                            match c.close() {
                                Ok(()) => {}
                                Err(e) if e.code() == Some(srtfu::ErrorCode::InvalidSocket) => {}
                                Err(e) => panic!("close {i}: {e:?}"),
                            }
                        }
                    }
                    Err(e) => failures.push((i, e.code())),
                }
            }
        })
    };
    // Warm up (libsrt's threads and buffers, the allocator), then measure.
    run(200, &mut failures);
    let fd0 = fds_down_to(40, Duration::from_secs(20));
    let rss0 = trimmed_rss_kb();
    let t0 = Instant::now();
    // Two halves: allocator fragmentation (glibc's per-thread arenas after libsrt's
    // ~0.8 MiB per connection, freed on other threads) levels off during the first half,
    // a leak per cycle goes on growing in the second.
    run(cycles / 2, &mut failures);
    fds_down_to(fd0 + 4, Duration::from_secs(30));
    let rss_mid = settled_rss_kb(rss0 + RSS_SLACK_KB);
    run(cycles - cycles / 2, &mut failures);
    let took = t0.elapsed();
    let fd1 = fds_down_to(fd0 + 4, Duration::from_secs(30));
    let rss1 = settled_rss_kb(rss_mid + HALF_SLACK_KB);
    // libsrt has collected every socket of the loop. Its collector removes a closed socket
    // from the table some time after the close (a CI run found the last 4 still there when
    // the fds had come down), so it is given up to 20 s; a leaked socket stays for ever.
    let states = || -> Vec<(i32, srtfu::SockStatus)> {
        ids.iter()
            // SAFETY: srt_getsockstate takes any integer id.
            .map(|&id| {
                (
                    id,
                    srtfu::SockStatus::from_raw(unsafe { srtfu::sys::srt_getsockstate(id) } as i32),
                )
            })
            .filter(|(_, s)| *s != srtfu::SockStatus::NonExist)
            .collect()
    };
    let collect_start = Instant::now();
    let mut still = states();
    while !still.is_empty() && collect_start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(250));
        still = states();
    }
    let left = still.len();
    eprintln!(
        "sockets of the loop still in libsrt's table after {:?}: {left} {:?}",
        collect_start.elapsed(),
        &still[..left.min(10)]
    );
    // Only the listener is left: one reactor thread, watching one socket.
    assert_eq!(reactor_threads(), 1);
    assert_eq!(
        reactor_sockets(),
        1,
        "the reactor forgot every dropped socket"
    );
    assert_eq!(left, 0, "sockets of the loop left in libsrt's table");
    assert!(
        !acceptor.is_finished(),
        "the accept loop ended: {:?}",
        rt.block_on(acceptor)
    );
    acceptor.abort();
    drop(rt);
    eprintln!(
        "{cycles} async cycles in {took:?}; fds {fd0} -> {fd1}; \
         RSS {rss0} kB -> {rss_mid} kB (half) -> {rss1} kB; \
         {} failed connects, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
    assert!(
        failures.len() * 100 <= cycles as usize,
        "more than 1 % of connects failed"
    );
    assert!(
        failures.iter().all(|(_, code)| code.is_some()),
        "untyped failure"
    );
    assert!(fd1 <= fd0 + 4, "file descriptors grew: {fd0} -> {fd1}");
    assert!(
        rss1 <= rss_mid + HALF_SLACK_KB,
        "RSS grew in the second half: {rss_mid} kB -> {rss1} kB"
    );
    assert!(
        rss1 <= rss0 + RSS_BOUND_KB,
        "RSS grew: {rss0} kB -> {rss1} kB"
    );
    // The listener went with the runtime: the reactor ends.
    let t = Instant::now();
    while reactor_threads() > 0 && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        reactor_threads(),
        0,
        "the reactor ended after the last socket"
    );
}
