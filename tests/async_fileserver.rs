//! The async file server (`srtfu::tokio::AsyncFileServer`) over loopback: files of several
//! sizes byte-identical to the sync and the async fetch, to libsrt-protocol C client
//! (tests/c/file_peer.c), requests by stream id, the refusals of the sync server, the
//! `max_clients` cap, and a shutdown that lets a transfer in progress finish.
#![cfg(feature = "tokio")]

mod async_support;
mod filesupport;

use async_support::LIMIT;
use filesupport::{c_peer, make_file, sha256_file};
use srtfu::tokio::AsyncFileServer;
use srtfu::{Error, Fetch};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// An async file server on 127.0.0.1:0 serving `root`, on this runtime, until the sender
/// is used or dropped.
fn start(
    root: &Path,
    config: impl FnOnce(AsyncFileServer) -> AsyncFileServer,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    JoinHandle<srtfu::Result<()>>,
) {
    let server = config(AsyncFileServer::bind("srt://127.0.0.1:0", root).unwrap());
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve_until(async move {
        let _ = stopped.await;
    }));
    (addr, stop, task)
}

fn url(addr: SocketAddr) -> String {
    format!("srt://127.0.0.1:{}", addr.port())
}

/// The sync fetch, on the blocking pool.
async fn sync_fetch(u: String, remote: &str, local: &Path) -> srtfu::Result<u64> {
    let (remote, local) = (remote.to_string(), local.to_path_buf());
    tokio::task::spawn_blocking(move || srtfu::fetch(&u, &remote, &local).map(|s| s.bytes))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_arrive_byte_identical_to_sync_and_async_fetch() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let sizes = [0u64, 1, 1316, (1 << 20) + 7, 24 << 20];
    let mut want = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        want.push(make_file(&src.path().join(format!("f{i}")), size, size + 5));
    }
    let (addr, stop, task) = start(src.path(), |s| s);
    for (i, &size) in sizes.iter().enumerate() {
        let a = dst.path().join(format!("async{i}"));
        let got = timeout(LIMIT, srtfu::tokio::fetch(&url(addr), &format!("f{i}"), &a))
            .await
            .expect("async fetch within the limit")
            .unwrap_or_else(|e| panic!("async fetch of {size} bytes: {e}"));
        assert_eq!(got.bytes, size);
        assert_eq!(sha256_file(&a), want[i], "async fetch, {size} bytes");
        let s = dst.path().join(format!("sync{i}"));
        let got = timeout(LIMIT, sync_fetch(url(addr), &format!("f{i}"), &s))
            .await
            .expect("sync fetch within the limit")
            .unwrap_or_else(|e| panic!("sync fetch of {size} bytes: {e}"));
        assert_eq!(got, size);
        assert_eq!(sha256_file(&s), want[i], "sync fetch, {size} bytes");
    }
    // Eight at once, on one runtime.
    let mut fetches = Vec::new();
    for i in 0..8 {
        let (u, local) = (url(addr), dst.path().join(format!("many{i}")));
        fetches.push(tokio::spawn(async move {
            srtfu::tokio::fetch(&u, "f3", &local).await.map(|_| local)
        }));
    }
    for f in fetches {
        let local = timeout(LIMIT, f).await.unwrap().unwrap().unwrap();
        assert_eq!(sha256_file(&local), want[3], "{local:?}");
    }
    stop.send(()).unwrap();
    timeout(LIMIT, task).await.unwrap().unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_requests_by_stream_id() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), b"secret").unwrap();
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let want = make_file(&src.path().join("ok.bin"), 100_000, 3);
    std::fs::create_dir(src.path().join("sub")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), src.path().join("out")).unwrap();
    let (addr, stop, task) = start(src.path(), |s| s);
    for bad in ["../secret", "sub/../../secret", "out", "sub", "missing.bin"] {
        let local = dst.path().join("x");
        let res = timeout(LIMIT, srtfu::tokio::fetch(&url(addr), bad, &local))
            .await
            .expect("answer within the limit");
        assert!(
            matches!(res, Err(Error::RemoteNotFound { .. })),
            "{bad:?}: {res:?}"
        );
        assert!(!local.exists(), "{bad:?} left a file");
    }
    // Still serving, and by stream id (the sync client's builder).
    let local = dst.path().join("ok.bin");
    let u = url(addr);
    let l2 = local.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        Fetch::new()
            .request_by_streamid(true)
            .url(&u, "ok.bin", &l2)
            .map(|s| s.bytes)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(bytes, 100_000);
    assert_eq!(sha256_file(&local), want);
    stop.send(()).unwrap();
    timeout(LIMIT, task).await.unwrap().unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_c_client_of_libsrts_protocol_is_served() {
    let Some(peer) = c_peer() else { return };
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let want = make_file(&src.path().join("c.bin"), 6_000_123, 21);
    let (addr, stop, task) = start(src.path(), |s| s);
    let port = addr.port().to_string();
    let local = dst.path().join("c.bin");
    let run = |remote: &'static str| {
        let (peer, port, local) = (peer.to_path_buf(), port.clone(), local.clone());
        tokio::task::spawn_blocking(move || {
            Command::new(peer)
                .args(["client", "127.0.0.1", &port, remote])
                .arg(&local)
                .output()
                .expect("run the C client")
        })
    };
    let out = timeout(LIMIT, run("c.bin")).await.unwrap().unwrap();
    assert!(out.status.success(), "C client: {out:?}");
    assert_eq!(sha256_file(&local), want);
    // A missing file: the C client sees -1 (exit status 2).
    let out = timeout(LIMIT, run("missing.bin")).await.unwrap().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    stop.send(()).unwrap();
    timeout(LIMIT, task).await.unwrap().unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_clients_1_serves_the_callers_one_after_another() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let want = make_file(&src.path().join("a.bin"), 2 << 20, 4);
    let (addr, stop, task) = start(src.path(), |s| s.max_clients(1));
    // Bounded generously. Before the sync fetch connected non-blocking, 3 runs of 8 here
    // stalled (the first packet lost after a blocking srt_connect, then FileCC's collapse:
    // BENCHMARKS.md, "File-mode stalls: cause"); the sync FileServer met it the same way.
    let mut fetches = Vec::new();
    for i in 0..3 {
        let (u, local) = (url(addr), dst.path().join(format!("a{i}")));
        // The sync fetch's progress hook is first called when the size answer arrives, i.e.
        // when the server took this caller, and last when the last byte is in (the fetch
        // returns later, after its fsync).
        fetches.push(tokio::task::spawn_blocking(move || {
            let (mut served, mut all_in) = (None, None);
            Fetch::new()
                .progress(|done, total| {
                    served.get_or_insert_with(Instant::now);
                    if done == total {
                        all_in = Some(Instant::now());
                    }
                })
                .url(&u, "a.bin", &local)
                .map(|_| (local, served.unwrap(), all_in.unwrap()))
        }));
    }
    let mut spans = Vec::new();
    for f in fetches {
        let (local, served, done) = timeout(LIMIT * 3, f).await.unwrap().unwrap().unwrap();
        assert_eq!(sha256_file(&local), want, "{local:?}");
        spans.push((served, done));
    }
    // Served one after another: no caller got its answer before the previous one had all.
    spans.sort();
    for w in spans.windows(2) {
        assert!(
            w[1].0 >= w[0].1,
            "two transfers overlapped with max_clients(1): {spans:?}"
        );
    }
    stop.send(()).unwrap();
    timeout(LIMIT, task).await.unwrap().unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_accepting_and_the_transfer_in_progress_finishes() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let want = make_file(&src.path().join("big.bin"), 64 << 20, 8);
    let (addr, stop, task) = start(src.path(), |s| s);
    let local = dst.path().join("big.bin");
    let u = url(addr);
    let l2 = local.clone();
    let transfer = tokio::spawn(async move { srtfu::tokio::fetch(&u, "big.bin", &l2).await });
    // Stop once the transfer is under way: the part file has data.
    let t0 = Instant::now();
    let part_has_data = || {
        std::fs::read_dir(dst.path())
            .unwrap()
            .any(|e| e.unwrap().metadata().map(|m| m.len() > 0).unwrap_or(false))
    };
    while !part_has_data() && !transfer.is_finished() && t0.elapsed() < LIMIT {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.send(()).unwrap();
    // A caller after the shutdown finds nobody listening (the listener is closed).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let late = dst.path().join("late.bin");
    let refused = timeout(
        LIMIT,
        srtfu::tokio::fetch(&format!("{}?conntimeo=1000", url(addr)), "big.bin", &late),
    )
    .await
    .expect("the late caller's attempt ends");
    // Nobody answers the handshake: a connect timeout, not a refusal by a server still there.
    let err = refused.expect_err("served after shutdown");
    assert!(err.is_timeout(), "{err:?}");
    // The transfer that was under way completes, and then serve_until returns.
    let summary = timeout(LIMIT * 3, transfer)
        .await
        .expect("transfer within the limit")
        .unwrap()
        .expect("the transfer in progress finishes");
    assert_eq!(summary.bytes, 64 << 20);
    assert_eq!(sha256_file(&local), want);
    timeout(LIMIT, task)
        .await
        .expect("serve_until returns after its transfers")
        .unwrap()
        .unwrap();
}
