//! The async `fetch` against srtfu's sync FileServer (and so the protocol of libsrt's
//! examples) over loopback: byte-identical files of several sizes, fetches running at once
//! on one runtime, a missing file, a bad name, and no partial file left behind.
#![cfg(feature = "tokio")]

mod async_support;
mod filesupport;

use async_support::LIMIT;
use filesupport::{make_file, names_in, server, sha256_file, url};
use srtfu::Error;
use tokio::time::timeout;

#[tokio::test]
async fn files_arrive_byte_identical() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let sizes = [0u64, 1, 1316, (1 << 20) + 7, 24 << 20];
    let mut want = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        want.push(make_file(&src.path().join(format!("f{i}")), size, size + 3));
    }
    let h = server(src.path());
    for (i, &size) in sizes.iter().enumerate() {
        let local = dst.path().join(format!("f{i}"));
        let summary = timeout(
            LIMIT,
            srtfu::tokio::fetch(&url(&h), &format!("f{i}"), &local),
        )
        .await
        .expect("fetch within the limit")
        .unwrap_or_else(|e| panic!("fetch of {size} bytes: {e}"));
        assert_eq!(summary.bytes, size);
        assert_eq!(sha256_file(&local), want[i], "file of {size} bytes");
    }
    let mut names = names_in(dst.path());
    names.sort();
    assert_eq!(names, ["f0", "f1", "f2", "f3", "f4"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_fetches_on_one_runtime() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let want = make_file(&src.path().join("shared.bin"), 4 << 20, 9);
    let h = server(src.path());
    let u = url(&h);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (u, local) = (u.clone(), dst.path().join(format!("copy{i}")));
        tasks.push(tokio::spawn(async move {
            srtfu::tokio::fetch(&u, "shared.bin", &local)
                .await
                .map(|_| local)
        }));
    }
    for t in tasks {
        let local = timeout(LIMIT, t).await.unwrap().unwrap().unwrap();
        assert_eq!(sha256_file(&local), want, "{local:?}");
    }
}

#[tokio::test]
async fn a_missing_file_or_bad_name_is_a_clear_error_and_leaves_no_file() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let h = server(src.path());
    let local = dst.path().join("nothing");
    let err = timeout(LIMIT, srtfu::tokio::fetch(&url(&h), "no-such-file", &local))
        .await
        .unwrap()
        .expect_err("missing file");
    assert!(
        matches!(err, Error::RemoteNotFound { ref path } if path == "no-such-file"),
        "{err:?}"
    );
    let err = timeout(LIMIT, srtfu::tokio::fetch(&url(&h), "bad\0name", &local))
        .await
        .unwrap()
        .expect_err("NUL in the name");
    assert!(err.to_string().contains("NUL"), "{err}");
    assert!(
        names_in(dst.path()).is_empty(),
        "{:?}",
        names_in(dst.path())
    );
}
