//! Helpers shared by the reliability tests: deterministic data, checksums, the soak switch,
//! and srt-live-transmit as a peer process that can be SIGKILLed.
#![allow(dead_code)]

use super::proxy::ChildGuard;
use std::process::{Command, Stdio};

/// True when `SRTFU_SOAK=1` asks for the long variants.
pub fn soak() -> bool {
    std::env::var("SRTFU_SOAK").is_ok_and(|v| v == "1")
}

/// Deterministic pseudo-random bytes (xorshift from `seed`).
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// FNV-1a, 64 bit: a payload checksum the application can verify.
pub fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Whether a tool is usable: missing tools fail under CI=true, else skip with a reason.
pub fn have_tool(name: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{name} is required under CI (install-libsrt.sh --with-tools)");
        }
        eprintln!("skipping: {name} not installed");
    }
    found
}

/// A free UDP port on 127.0.0.1 (bound, read, released).
pub fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// srt-live-transmit from `input` to `output`, its stdin as given, stdout and stderr
/// discarded; killed and reaped when the guard drops.
pub fn srt_live_transmit(input: &str, output: &str, stdin: Stdio) -> ChildGuard {
    ChildGuard(
        Command::new("srt-live-transmit")
            .arg(input)
            .arg(output)
            .stdin(stdin)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn srt-live-transmit"),
    )
}

/// The error a broken link must give: connection lost, or no connection any more.
pub fn assert_link_lost(err: &srtfu::Error) {
    assert!(
        matches!(
            err.code(),
            Some(srtfu::ErrorCode::ConnLost | srtfu::ErrorCode::NoConn)
        ),
        "{err:?}"
    );
}
