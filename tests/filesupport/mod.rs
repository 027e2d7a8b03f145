//! Helpers for the file tests: quick pseudo-random files, hashes, a server on loopback.
#![allow(dead_code)]

use sha2::{Digest, Sha256};
use srtfu::{FileServer, ServerHandle};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::OnceLock;

/// A 1 MiB block of xorshift64 output from `seed`.
fn block(seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(1 << 20);
    while out.len() < (1 << 20) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

/// Writes a file of `size` bytes: a pseudo-random 1 MiB block repeated, each copy stamped
/// with its index and the seed (so reordered or repeated chunks change the hash). Returns
/// the file's SHA-256.
pub fn make_file(path: &Path, size: u64, seed: u64) -> [u8; 32] {
    let mut b = block(seed);
    let mut f = File::create(path).expect("create test file");
    let mut h = Sha256::new();
    let mut left = size;
    let mut i = 0u64;
    while left > 0 {
        b[..8].copy_from_slice(&i.to_le_bytes());
        b[8..16].copy_from_slice(&seed.to_le_bytes());
        let n = (left as usize).min(b.len());
        f.write_all(&b[..n]).expect("write test file");
        h.update(&b[..n]);
        left -= n as u64;
        i += 1;
    }
    h.finalize().into()
}

/// SHA-256 of a file.
pub fn sha256_file(path: &Path) -> [u8; 32] {
    let mut f = File::open(path).expect("open for hashing");
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).expect("read for hashing");
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    h.finalize().into()
}

/// A file server on 127.0.0.1:0 serving `root`, running in the background.
pub fn server(root: &Path) -> ServerHandle {
    FileServer::bind("srt://127.0.0.1:0", root)
        .expect("bind file server")
        .spawn()
        .expect("spawn file server")
}

/// The caller URL for a server handle.
pub fn url(h: &ServerHandle) -> String {
    format!("srt://127.0.0.1:{}", h.local_addr().port())
}

/// Names in `dir` (to check that no temporary or partial file was left behind).
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Sends a raw request (`len` as native i32, then `name`) and returns the announced size.
pub fn raw_request(addr: std::net::SocketAddr, len: i32, name: &[u8]) -> i64 {
    let s = srtfu::SrtSocket::new_raw().expect("socket");
    s.filecc().expect("file mode");
    s.connect(addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("timeout");
    s.send(&len.to_ne_bytes()).expect("send len");
    if !name.is_empty() {
        s.send(name).expect("send name");
    }
    let mut size = [0u8; 8];
    let mut got = 0;
    while got < 8 {
        got += s.recv(&mut size[got..]).expect("recv size");
    }
    i64::from_ne_bytes(size)
}

/// Builds tests/c/file_peer.c once per test binary; None (after printing why) when the tools
/// are missing outside CI.
pub fn c_peer() -> Option<&'static Path> {
    static PEER: OnceLock<Option<PathBuf>> = OnceLock::new();
    PEER.get_or_init(|| {
        let ci = std::env::var("CI").as_deref() == Ok("true");
        let flags = match Command::new("pkg-config")
            .args(["--cflags", "--libs", "srt"])
            .output()
        {
            Ok(o) if o.status.success() => String::from_utf8(o.stdout).unwrap(),
            other => {
                let msg = format!("pkg-config --cflags --libs srt failed: {other:?}");
                assert!(!ci, "{msg}");
                eprintln!("skipping the C interop tests: {msg}");
                return None;
            }
        };
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("file_peer");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/file_peer.c");
        let status = Command::new("cc")
            .args(["-Wall", "-Wextra", "-Werror", "-O2", "-o"])
            .arg(&out)
            .arg(&src)
            .args(flags.split_whitespace())
            .status();
        match status {
            Ok(s) if s.success() => Some(out),
            Ok(s) => panic!("compiling {src:?} failed: {s}"),
            Err(e) => {
                assert!(!ci, "cannot run cc: {e}");
                eprintln!("skipping the C interop tests: cannot run cc: {e}");
                None
            }
        }
    })
    .as_deref()
}

/// Kills the child when the test ends, whatever happens.
pub struct Reap(pub Child);
impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
