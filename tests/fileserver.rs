//! `FileServer`: refuses every name that leaves its root (answering -1), keeps serving, and
//! serves many clients at once.

mod filesupport;

use filesupport::{make_file, names_in, raw_request, server, sha256_file, url};
use srtfu::{fetch, Error, Fetch, FileServer};
use std::os::unix::fs::symlink;

#[test]
fn every_escape_is_refused_and_the_server_keeps_serving() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), b"secret").unwrap();
    let src = tempfile::tempdir().unwrap();
    let root = src.path();
    std::fs::write(root.join("ok.txt"), b"fine").unwrap();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::fs::write(root.join("sub/inner.txt"), b"inner").unwrap();
    symlink(outside.path().join("secret"), root.join("link-out")).unwrap();
    symlink(outside.path(), root.join("dir-out")).unwrap();
    symlink(root.join("ok.txt"), root.join("link-in")).unwrap();
    let fifo = root.join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: c is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let secret_abs = outside.path().join("secret");
    let ok_abs = root.canonicalize().unwrap().join("ok.txt");

    let h = server(root);
    let addr = h.local_addr();
    let long = "a".repeat(1024);
    let refused: Vec<(&str, Vec<u8>)> = vec![
        ("parent", b"../secret".to_vec()),
        ("nested parent", b"sub/../../secret".to_vec()),
        ("parent then back", b"sub/../ok.txt".to_vec()),
        (
            "absolute outside",
            secret_abs.to_str().unwrap().as_bytes().to_vec(),
        ),
        (
            "absolute inside",
            ok_abs.to_str().unwrap().as_bytes().to_vec(),
        ),
        ("symlink to a file outside", b"link-out".to_vec()),
        (
            "through a symlinked dir outside",
            b"dir-out/secret".to_vec(),
        ),
        ("NUL byte", b"ok.txt\0../secret".to_vec()),
        ("non-UTF-8", b"ok\xff.txt".to_vec()),
        ("1024 bytes", long.into_bytes()),
        ("directory", b"sub".to_vec()),
        ("root itself", b".".to_vec()),
        ("FIFO", b"fifo".to_vec()),
        ("missing", b"nope.txt".to_vec()),
    ];
    for (what, name) in &refused {
        let size = raw_request(addr, name.len() as i32, name);
        assert_eq!(size, -1, "{what} must be refused");
        // Still serving after each refusal.
        assert_eq!(raw_request(addr, 6, b"ok.txt"), 4, "after {what}");
    }
    // Lengths the protocol cannot carry: 0, negative, over 1023 (no name follows).
    for len in [0, -1, i32::MIN, 1024, 1 << 20] {
        assert_eq!(raw_request(addr, len, b""), -1, "length {len}");
    }
    // Inside the root: nested paths, ./ prefixes and symlinks that stay inside are served.
    assert_eq!(raw_request(addr, 13, b"sub/inner.txt"), 5);
    assert_eq!(raw_request(addr, 8, b"./ok.txt"), 4);
    assert_eq!(raw_request(addr, 7, b"link-in"), 4);
    // The stream id form goes through the same checks.
    let dst = tempfile::tempdir().unwrap();
    for name in ["../secret", "link-out", "sub"] {
        let e = Fetch::new()
            .request_by_streamid(true)
            .url(&url(&h), name, dst.path().join("x"))
            .unwrap_err();
        assert!(matches!(e, Error::RemoteNotFound { .. }), "{name}: {e:?}");
    }
    let s = fetch(&url(&h), "sub/inner.txt", dst.path().join("inner")).unwrap();
    assert_eq!(s.bytes, 5);
    assert_eq!(names_in(dst.path()), ["inner"]);
}

#[test]
fn eight_concurrent_fetches_of_different_files() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let mut want = Vec::new();
    for i in 0..8u64 {
        let size = 1_000_000 + i * 333_333;
        want.push(make_file(&src.path().join(format!("f{i}")), size, 100 + i));
    }
    let h = server(src.path());
    let u = url(&h);
    std::thread::scope(|s| {
        let joins: Vec<_> = (0..8)
            .map(|i| {
                let u = &u;
                let d = dst.path();
                s.spawn(move || fetch(u, &format!("f{i}"), d.join(format!("f{i}"))))
            })
            .collect();
        for (i, j) in joins.into_iter().enumerate() {
            let summary = j.join().unwrap().expect("fetch");
            assert_eq!(summary.bytes, 1_000_000 + i as u64 * 333_333);
        }
    });
    for (i, w) in want.iter().enumerate() {
        assert_eq!(&sha256_file(&dst.path().join(format!("f{i}"))), w, "f{i}");
    }
}

#[test]
fn bind_refuses_a_bad_root_and_a_caller_url() {
    let e = FileServer::bind("srt://127.0.0.1:0", "/no/such/dir").unwrap_err();
    assert!(e.to_string().contains("/no/such/dir"), "{e}");
    let f = tempfile::NamedTempFile::new().unwrap();
    assert!(FileServer::bind("srt://127.0.0.1:0", f.path()).is_err());
    let d = tempfile::tempdir().unwrap();
    let e = FileServer::bind("srt://127.0.0.1:9000?mode=caller", d.path()).unwrap_err();
    assert!(matches!(e, Error::InvalidUrl { .. }), "{e:?}");
}

#[test]
fn stop_ends_the_accept_loop() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a"), b"x").unwrap();
    let h = server(d.path());
    let u = format!("{}?conntimeo=500", url(&h));
    assert_eq!(raw_request(h.local_addr(), 1, b"a"), 1);
    let t = std::time::Instant::now();
    h.stop().unwrap();
    assert!(t.elapsed() < std::time::Duration::from_secs(2));
    let e = fetch(&u, "a", d.path().join("b")).unwrap_err();
    assert!(e.srt().is_some(), "connect must fail after stop: {e:?}");
}
