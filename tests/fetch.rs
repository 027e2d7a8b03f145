//! `fetch` against srtfu's own file server over loopback: sizes, missing files, broken
//! transfers, progress, stream id requests.

mod filesupport;

use filesupport::{make_file, names_in, server, sha256_file, url};
use srtfu::{fetch, Error, Fetch, SrtSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// 1 GiB with SRTFU_SOAK=1; 128 MiB otherwise (1 GiB takes longer than a normal test
/// should on a 2-core box shared with other jobs).
fn big_size() -> u64 {
    if std::env::var("SRTFU_SOAK").as_deref() == Ok("1") {
        1 << 30
    } else {
        128 << 20
    }
}

#[test]
fn big_file_arrives_byte_identical_with_progress() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let size = big_size();
    let want = make_file(&src.path().join("big.bin"), size, 1);
    let h = server(src.path());
    let local = dst.path().join("big.bin");
    let calls = Mutex::new(Vec::new());
    let t = Instant::now();
    let summary = Fetch::new()
        .progress(|done, total| calls.lock().unwrap().push((done, total)))
        .url(&url(&h), "big.bin", &local)
        .expect("fetch");
    let elapsed = t.elapsed();
    eprintln!(
        "fetched {size} bytes in {elapsed:?} ({:.0} MB/s)",
        summary.megabytes_per_second()
    );
    assert_eq!(summary.bytes, size);
    assert_eq!(summary.local, local);
    assert!(
        summary.stats.byte_recv_total >= size,
        "stats: {:?}",
        summary.stats
    );
    assert_eq!(sha256_file(&local), want);
    let calls = calls.into_inner().unwrap();
    assert_eq!(calls.first(), Some(&(0, size)));
    assert_eq!(calls.last(), Some(&(size, size)));
    assert!(calls.windows(2).all(|w| w[0].0 < w[1].0 && w[1].1 == size));
    assert_eq!(names_in(dst.path()), ["big.bin"]);
}

fn fetch_size(size: u64) {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let want = make_file(&src.path().join("f"), size, size);
    let h = server(src.path());
    let local = dst.path().join("f");
    let s = fetch(&url(&h), "f", &local).expect("fetch");
    assert_eq!(s.bytes, size);
    assert_eq!(std::fs::metadata(&local).unwrap().len(), size);
    assert_eq!(sha256_file(&local), want);
    assert_eq!(names_in(dst.path()), ["f"]);
}

#[test]
fn empty_file() {
    fetch_size(0);
}

#[test]
fn one_byte_file() {
    fetch_size(1);
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[test]
fn size_a_multiple_of_the_payload_size_and_of_both_chunk_sizes() {
    // The payload per packet in file mode, as libsrt reports it after a connection.
    let (c, a) = {
        let l = SrtSocket::new_raw().unwrap();
        l.filecc().unwrap();
        l.bind("127.0.0.1:0").unwrap();
        l.listen(1).unwrap();
        let addr = l.getsockname().unwrap();
        let t = std::thread::spawn(move || l.accept().unwrap().0);
        let c = SrtSocket::new_raw().unwrap();
        c.filecc().unwrap();
        c.connect(addr).unwrap();
        (c, t.join().unwrap())
    };
    let reported = c.payload_size().unwrap();
    drop((c, a));
    // SRTO_PAYLOADSIZE 0 in file mode means "as much as fits": MSS 1500 - 28 (UDP/IP) -
    // 16 (SRT header).
    let payload = if reported == 0 { 1456 } else { reported as u64 };
    eprintln!("file-mode SRTO_PAYLOADSIZE reports {reported}; payload {payload}");
    let chunk = srtfu::FETCH_BUFFER_SIZE as u64;
    assert_eq!(chunk, srtfu::SEND_CHUNK_SIZE as u64);
    let size = payload / gcd(payload, chunk) * chunk;
    assert_eq!(size % payload, 0);
    assert_eq!(size % chunk, 0);
    fetch_size(size);
}

#[test]
fn missing_file_is_remote_not_found_and_writes_nothing() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let h = server(src.path());
    let local = dst.path().join("out");
    match fetch(&url(&h), "no/such/file.bin", &local) {
        Err(Error::RemoteNotFound { path }) => assert_eq!(path, "no/such/file.bin"),
        other => panic!("expected RemoteNotFound, got {other:?}"),
    }
    assert!(names_in(dst.path()).is_empty());
    // The error's io::ErrorKind is NotFound too.
    let e = fetch(&url(&h), "nope", &local).unwrap_err();
    assert_eq!(std::io::Error::from(e).kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn server_aborted_mid_transfer_gives_incomplete_and_no_file() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let size: u64 = 64 << 20;
    make_file(&src.path().join("big"), size, 7);
    let h = Mutex::new(Some(server(src.path())));
    let u = url(h.lock().unwrap().as_ref().unwrap());
    let local = dst.path().join("big");
    // An older version of the file must survive the failed fetch untouched.
    std::fs::write(&local, b"old contents").unwrap();
    let aborted = AtomicBool::new(false);
    let res = Fetch::new()
        .progress(|done, _| {
            if done >= 8 << 20 && !aborted.swap(true, Ordering::SeqCst) {
                h.lock().unwrap().take().unwrap().abort().unwrap();
            }
        })
        .url(&u, "big", &local);
    assert!(aborted.load(Ordering::SeqCst));
    match res {
        Err(Error::Incomplete {
            path,
            received,
            expected,
            source,
        }) => {
            eprintln!("incomplete: {received} of {expected}: {source}");
            assert_eq!(path, "big");
            assert_eq!(expected, size);
            assert!(received >= 8 << 20 && received < size, "{received}");
        }
        other => panic!("expected Incomplete, got {other:?}"),
    }
    assert_eq!(std::fs::read(&local).unwrap(), b"old contents");
    assert_eq!(names_in(dst.path()), ["big"], "no partial file left");
}

#[test]
fn socket_fetch_connects_a_new_socket_from_its_url() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let size = 8_000_000;
    let want = make_file(&src.path().join("a.bin"), size, 3);
    let h = server(src.path());
    // No transtype in the URL: fetch sets file mode and keeps the URL's other options. The
    // latency is read while the transfer runs: once the server has closed, libsrt 1.5.3+
    // may already have collected the socket (SRT_EINVSOCK).
    let sock = SrtSocket::new(&format!("{}?latency=300", url(&h))).unwrap();
    let done = AtomicBool::new(false);
    let (s, seen) = std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let t0 = Instant::now();
            while !done.load(Ordering::Acquire) && t0.elapsed() < std::time::Duration::from_secs(30)
            {
                if sock.getsockstate() == srtfu::SockStatus::Connected {
                    if let Ok(v) = sock.getsockflag(srtfu::SRTO_LATENCY) {
                        return Some(v);
                    }
                }
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            None
        });
        let s = sock.fetch("a.bin", dst.path().join("a.bin"));
        done.store(true, Ordering::Release);
        (s, watcher.join().unwrap())
    });
    let s = s.expect("fetch");
    assert_eq!(s.bytes, size);
    assert_eq!(sha256_file(&dst.path().join("a.bin")), want);
    assert_eq!(seen, Some(300), "latency while connected");
}

#[test]
fn socket_fetch_on_a_connected_socket() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let want = make_file(&src.path().join("b"), 100_000, 4);
    let h = server(src.path());
    let sock = SrtSocket::new_raw().unwrap();
    sock.filecc().unwrap();
    sock.connect(h.local_addr()).unwrap();
    sock.fetch("b", dst.path().join("b")).expect("fetch");
    assert_eq!(sha256_file(&dst.path().join("b")), want);
    // The server closed after one file: a second fetch on the same socket fails.
    assert!(sock.fetch("b", dst.path().join("c")).is_err());
    assert_eq!(names_in(dst.path()), ["b"]);
}

#[test]
fn fetch_by_streamid() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    std::fs::create_dir(src.path().join("sub")).unwrap();
    let want = make_file(&src.path().join("sub/c.bin"), 600_001, 5);
    let h = server(src.path());
    let s = Fetch::new()
        .request_by_streamid(true)
        .url(&url(&h), "sub/c.bin", dst.path().join("c.bin"))
        .expect("fetch by streamid");
    assert_eq!(s.bytes, 600_001);
    assert_eq!(sha256_file(&dst.path().join("c.bin")), want);
    let e = Fetch::new()
        .request_by_streamid(true)
        .url(&url(&h), "../c.bin", dst.path().join("x"))
        .unwrap_err();
    assert!(matches!(e, Error::RemoteNotFound { .. }), "{e:?}");
}

#[test]
fn bad_names_are_refused_before_connecting() {
    let dst = tempfile::tempdir().unwrap();
    // Nothing listens on this port; the name is checked first.
    let sock = SrtSocket::new_raw().unwrap();
    sock.filecc().unwrap();
    for name in [String::new(), "x".repeat(1024), "a\0b".to_string()] {
        let e = fetch(
            "srt://127.0.0.1:9?conntimeo=300",
            &name,
            dst.path().join("x"),
        );
        assert!(e.is_err());
    }
    let e = sock.fetch("x", dst.path().join("x")).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
    assert!(names_in(dst.path()).is_empty());
}
