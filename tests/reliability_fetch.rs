//! `fetch` and `FileServer` under impairment and attack: lossy transfers through the proxy
//! are byte-identical, and the server's path-escape refusals hold for a fuzzed list of names
//! (length-prefixed and stream-id requests alike).

mod support;

use srtfu::{fetch, Error, Fetch, FileServer, ServerHandle};
use std::path::Path;
use support::proxy::{Impair, Proxy};
use support::reliability::{assert_link_lost, pattern, soak};

/// A file server for `root` on 127.0.0.1, port 0, serving in its own thread.
fn serve(root: &Path) -> ServerHandle {
    FileServer::bind("srt://127.0.0.1:0", root)
        .unwrap()
        .spawn()
        .unwrap()
}

fn lossy_fetch(p: f64, size: usize) {
    let root = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let data = pattern(size, size as u64);
    std::fs::write(root.path().join("f.bin"), &data).unwrap();
    let server = serve(root.path());
    let proxy = Proxy::start(server.local_addr(), Impair::lossy(p), Impair::lossy(p));
    let local = dst.path().join("f.bin");
    let summary = fetch(&format!("srt://{}", proxy.addr()), "f.bin", &local)
        .unwrap_or_else(|e| panic!("fetch at {p}: {e}; {}", proxy.report()));
    eprintln!(
        "fetch {:.0} % loss: {size} bytes in {:?} = {:.2} MB/s; {}",
        p * 100.0,
        summary.duration,
        summary.megabytes_per_second(),
        proxy.report()
    );
    assert_eq!(summary.bytes, size as u64);
    assert!(std::fs::read(&local).unwrap() == data, "content differs");
    // The link really was lossy: otherwise this would prove nothing about loss.
    let (c2s, s2c) = proxy.counters();
    let lost = c2s.lost.load(std::sync::atomic::Ordering::Relaxed)
        + s2c.lost.load(std::sync::atomic::Ordering::Relaxed);
    assert!(lost > 0, "the proxy dropped nothing: {}", proxy.report());
    server.stop().unwrap();
}

#[test]
fn fetch_at_1_percent_loss_is_byte_identical() {
    lossy_fetch(0.01, 1_000_000);
}

#[test]
fn fetch_at_5_percent_loss_is_byte_identical() {
    lossy_fetch(0.05, 150_000);
}

#[test]
fn fetch_at_10_percent_loss_is_byte_identical() {
    lossy_fetch(0.10, 100_000);
}

/// A root with `ok.txt` inside, `secret.txt` next to the root (outside it), and a symlink
/// inside pointing at the secret.
fn jail() -> (tempfile::TempDir, std::path::PathBuf) {
    let top = tempfile::tempdir().unwrap();
    let root = top.path().join("root");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("ok.txt"), b"public").unwrap();
    std::fs::write(root.join("sub/ok2.txt"), b"public2").unwrap();
    std::fs::write(top.path().join("secret.txt"), b"SECRET").unwrap();
    std::os::unix::fs::symlink(top.path().join("secret.txt"), root.join("link")).unwrap();
    std::os::unix::fs::symlink(top.path(), root.join("updir")).unwrap();
    (top, root)
}

/// Fetches `name` both ways; returns what each delivered (None on refusal).
fn try_both(url: &str, name: &str, out: &Path) -> [Option<Vec<u8>>; 2] {
    let mut res = [None, None];
    for (i, by_sid) in [false, true].into_iter().enumerate() {
        let local = out.join(format!("o{i}"));
        let _ = std::fs::remove_file(&local);
        let r = Fetch::new()
            .request_by_streamid(by_sid)
            .url(url, name, &local);
        if r.is_ok() {
            res[i] = Some(std::fs::read(&local).unwrap());
        } else {
            assert!(
                !local.exists() || std::fs::read(&local).unwrap() != b"SECRET",
                "{name:?}: a refused fetch left the secret behind"
            );
        }
    }
    res
}

#[test]
fn path_escapes_are_refused_under_a_fuzzed_list_of_names() {
    let (top, root) = jail();
    let server = serve(&root);
    let url = format!("srt://{}", server.local_addr());
    let out = tempfile::tempdir().unwrap();
    let secret_abs = top.path().join("secret.txt");
    let fixed: Vec<String> = vec![
        "../secret.txt".into(),
        "./../secret.txt".into(),
        "sub/../../secret.txt".into(),
        "sub/../ok.txt/../../secret.txt".into(),
        "..".into(),
        ".".into(),
        "sub".into(),
        "/etc/passwd".into(),
        secret_abs.to_string_lossy().into_owned(),
        "link".into(),
        "updir/secret.txt".into(),
        "updir/root/ok.txt".into(),
        "%2e%2e/secret.txt".into(),
        "..\\secret.txt".into(),
        "\u{2024}\u{2024}/secret.txt".into(),
        "ok.txt\0../secret.txt".into(),
        "//secret.txt".into(),
        "sub//..//..//secret.txt".into(),
        "x".repeat(2000),
        String::new(),
    ];
    // The legitimate names work both ways.
    assert_eq!(
        try_both(&url, "ok.txt", out.path()),
        [Some(b"public".to_vec()), Some(b"public".to_vec())]
    );
    assert_eq!(
        try_both(&url, "sub/ok2.txt", out.path()),
        [Some(b"public2".to_vec()), Some(b"public2".to_vec())]
    );
    // Fuzzed names: components joined at random (seeded, printed).
    let parts = [
        "..",
        ".",
        "ok.txt",
        "secret.txt",
        "sub",
        "link",
        "updir",
        "root",
        "",
        "%2e",
        "\\",
        "\0",
        "~",
        "ok2.txt",
    ];
    let seed = std::env::var("SRTFU_NAMES_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
        | 1;
    eprintln!("fuzzed names seed {seed} (replay with SRTFU_NAMES_SEED={seed})");
    let mut x = seed;
    let mut rnd = move |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    let count = if soak() { 600 } else { 60 };
    // Every fixed escape attempt is refused outright, both ways (only "updir/root/ok.txt",
    // which leaves the root through a symlink and comes back in, may be served: it is
    // inside the root once resolved).
    for name in fixed.iter().filter(|n| n.as_str() != "updir/root/ok.txt") {
        assert_eq!(
            try_both(&url, name, out.path()),
            [None, None],
            "{name:?} was served"
        );
    }
    let mut names = fixed;
    for _ in 0..count {
        let k = 1 + rnd(6);
        names.push(
            (0..k)
                .map(|_| parts[rnd(parts.len())])
                .collect::<Vec<_>>()
                .join("/"),
        );
    }
    // A refused request can take libsrt's ~5 s to surface (see RELIABILITY.md), so the
    // names are tried in parallel, 40 at a time (the server serves 64 at once).
    for (batch_no, batch) in names.chunks(40).enumerate() {
        std::thread::scope(|sc| {
            for (i, name) in batch.iter().enumerate() {
                let dir = out.path().join(format!("b{batch_no}-{i}"));
                std::fs::create_dir_all(&dir).unwrap();
                let url = &url;
                sc.spawn(move || {
                    for got in try_both(url, name, &dir).into_iter().flatten() {
                        assert_ne!(got, b"SECRET", "{name:?} escaped the root");
                    }
                });
            }
        });
    }
    server.stop().unwrap();
}

/// `fetch` with `retries=N` in the URL gets through 1.3 s of lost handshakes; without it the
/// same loss is a typed timeout.
#[test]
fn fetch_connects_through_lost_handshakes_with_retries() {
    let root = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("a.txt"), b"retried").unwrap();
    let server = serve(root.path());
    let proxy = Proxy::start(server.local_addr(), Impair::default(), Impair::default());
    proxy.drop_handshakes(true);
    let t0 = std::time::Instant::now();
    let res = std::thread::scope(|sc| {
        sc.spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(1300));
            proxy.drop_handshakes(false);
        });
        fetch(
            &format!("srt://{}?conntimeo=1000&retries=3", proxy.addr()),
            "a.txt",
            dst.path().join("a.txt"),
        )
    });
    let summary = res.unwrap_or_else(|e| panic!("fetch with retries: {e}; {}", proxy.report()));
    assert!(t0.elapsed() >= std::time::Duration::from_secs(1));
    assert_eq!(summary.bytes, 7);
    assert_eq!(std::fs::read(dst.path().join("a.txt")).unwrap(), b"retried");

    proxy.drop_handshakes(true);
    let err = fetch(
        &format!("srt://{}?conntimeo=1000", proxy.addr()),
        "a.txt",
        dst.path().join("b.txt"),
    )
    .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(!dst.path().join("b.txt").exists());
    server.stop().unwrap();
}

/// A 2 MB/s link (the server's direction): a 20 MB transfer lasts ~10 s unless cut.
fn two_mb_per_s() -> Impair {
    Impair {
        bandwidth: 2_000_000,
        queue_limit: std::time::Duration::from_millis(100),
        ..Impair::default()
    }
}

/// A fetch cut by a dead link: a typed link error within 7 s of the cut, and nothing left
/// in the destination directory (neither the file at `local` nor a temporary one).
fn failed_cleanly(err: &Error, took: std::time::Duration, local: &Path, dst: &Path) {
    assert_link_lost(err);
    assert!(took < std::time::Duration::from_secs(7), "{took:?}");
    assert!(
        !local.exists(),
        "a partial file was left at the destination"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dst).unwrap().collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// A blackout that outlasts the peer idle timeout in the middle of a fetch: a typed error in
/// bounded time, and no partial file left where the download was going.
#[test]
fn fetch_cut_by_a_blackout_fails_cleanly_without_a_partial_file() {
    let root = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let size = 20_000_000;
    std::fs::write(root.path().join("big.bin"), pattern(size, 3)).unwrap();
    let server = serve(root.path());
    let proxy = Proxy::start(server.local_addr(), Impair::default(), two_mb_per_s());
    let local = dst.path().join("big.bin");
    let mut cut_at = None;
    let mut blackout_since = None;
    let res = Fetch::new()
        .progress(|done, _total| {
            if done > 1_000_000 && cut_at.is_none() {
                proxy.blackout(true);
                cut_at = Some(done);
                blackout_since = Some(std::time::Instant::now());
            }
        })
        .url(&format!("srt://{}", proxy.addr()), "big.bin", &local);
    let took = blackout_since.expect("the blackout started").elapsed();
    let err = res.expect_err("a dead link cannot complete the fetch");
    eprintln!("fetch cut at {cut_at:?} bytes; error after {took:?}: {err}");
    // Typed: Incomplete, with the counts, caused by the broken link.
    match &err {
        Error::Incomplete {
            received, expected, ..
        } => {
            assert_eq!(*expected, size as u64);
            assert!(*received >= cut_at.unwrap() && *received < *expected);
        }
        other => panic!("expected Error::Incomplete, got {other:?}"),
    }
    failed_cleanly(&err, took, &local, dst.path());
    drop(proxy);
    server.abort().unwrap();
}

/// The file server's process is SIGKILLed in the middle of a fetch: the fetch ends with a
/// typed error in bounded time and leaves no partial file. The server runs in a child
/// process (this test binary, re-run in server mode) so it can really be killed.
#[test]
fn fetch_from_a_killed_server_process_fails_cleanly() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    const CHILD: &str = "SRTFU_FILESERVER_CHILD";
    if let Some(root) = std::env::var_os(CHILD) {
        // Server mode: serve `root` for at most 30 s; tell the parent the port.
        let server = FileServer::bind("srt://127.0.0.1:0", &root).unwrap();
        println!("PORT={}", server.local_addr().unwrap().port());
        let _ = server.serve_for(std::time::Duration::from_secs(30));
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let size = 20_000_000;
    std::fs::write(root.path().join("big.bin"), pattern(size, 5)).unwrap();
    let mut child = support::proxy::ChildGuard(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "fetch_from_a_killed_server_process_fails_cleanly",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, root.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port: u16 = loop {
        match lines.next() {
            Some(Ok(l)) => {
                // libtest may have written "test NAME ... " on the same line first.
                if let Some(i) = l.find("PORT=") {
                    break l[i + 5..].trim().parse().unwrap();
                }
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the server child did not report its port");
            }
        }
    };
    // A 2 MB/s link, so the transfer is still going when the server dies.
    let proxy = Proxy::start(
        ([127, 0, 0, 1], port).into(),
        Impair::default(),
        two_mb_per_s(),
    );
    let local = dst.path().join("big.bin");
    let mut killed_at = None;
    let res = Fetch::new()
        .progress(|done, _| {
            if done > 1_000_000 && killed_at.is_none() {
                let _ = child.kill(); // SIGKILL
                let _ = child.wait();
                killed_at = Some(std::time::Instant::now());
            }
        })
        .url(&format!("srt://{}", proxy.addr()), "big.bin", &local);
    // Reaped in the hook already; again here for the paths where the hook never fired.
    let _ = child.kill();
    let _ = child.wait();
    let took = killed_at.expect("the server was killed").elapsed();
    let err = res.expect_err("a killed server cannot complete the fetch");
    eprintln!("server killed; fetch ended after {took:?}: {err}");
    assert!(
        matches!(err, Error::Incomplete { .. }),
        "expected Incomplete: {err:?}"
    );
    failed_cleanly(&err, took, &local, dst.path());
}
