//! Helpers shared by the async tests: a listening async socket on 127.0.0.1:0 and a
//! connected async pair.
#![allow(dead_code)]

use srtfu::tokio::AsyncSrtSocket;
use srtfu::{SrtSocket, TransType, SRTO_RCVBUF, SRTO_SNDBUF, SRTO_TRANSTYPE};
use std::net::SocketAddr;
use std::time::Duration;

/// Bounds every await in the tests: nothing may hang.
pub const LIMIT: Duration = Duration::from_secs(20);

/// A listening async socket on 127.0.0.1 (free port) and its address.
pub fn listener(transtype: TransType, backlog: i32) -> (AsyncSrtSocket, SocketAddr) {
    let s = SrtSocket::new_raw().unwrap();
    s.setsockflag(SRTO_TRANSTYPE, transtype).unwrap();
    s.bind("127.0.0.1:0").unwrap();
    s.listen(backlog).unwrap();
    let addr = s.getsockname().unwrap();
    (AsyncSrtSocket::from_socket(s).unwrap(), addr)
}

/// The URL of a caller to `addr` with extra query options (`"&key=value..."` or "").
pub fn caller_url(addr: SocketAddr, transtype: TransType, extra: &str) -> String {
    let t = match transtype {
        TransType::File => "file",
        _ => "live",
    };
    format!("srt://127.0.0.1:{}?transtype={t}{extra}", addr.port())
}

/// A connected pair (accepted side, caller side), made with the async calls.
pub async fn pair(transtype: TransType) -> (AsyncSrtSocket, AsyncSrtSocket) {
    let (l, addr) = listener(transtype, 4);
    let url = caller_url(addr, transtype, "");
    let (acc, con) = tokio::time::timeout(LIMIT, async {
        tokio::join!(l.accept(), AsyncSrtSocket::connect(&url))
    })
    .await
    .expect("connect and accept within the limit");
    (acc.expect("accept").0, con.expect("connect"))
}

/// Smaller buffers than libsrt's 8 MB defaults, for many sockets in one process.
pub fn small_buffers(s: &SrtSocket) {
    s.setsockflag(SRTO_RCVBUF, 1024 * 1024).unwrap();
    s.setsockflag(SRTO_SNDBUF, 1024 * 1024).unwrap();
}

/// A payload that says which message it is: `i` in the first 4 bytes, then a pattern.
pub fn payload(i: u32, len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len)
        .map(|k| (k as u32 ^ i.wrapping_mul(31)) as u8)
        .collect();
    v[..4].copy_from_slice(&i.to_le_bytes());
    v
}
