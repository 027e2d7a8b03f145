//! libsrt's broadcast-group receive stall (issue 13 item 6), measured with the C reproducer
//! tests/c/group_stall.c compiled here against the libsrt srtfu is built with (its headers
//! and library directory, not whatever pkg-config finds now).
//!
//! The probe runs a listener with SRTO_GROUPCONNECT=1 and a caller broadcast group of two
//! members to it, waits for both members, sends 100 live messages and reads them on the
//! other group, in both directions (the caller's group receiving, and the listener's
//! accepted group receiving). On libsrt 1.5.5 a few runs stall: the receiving group stops
//! delivering although its member sockets received everything (RELIABILITY.md, "Broadcast
//! receive stall (libsrt 1.5.5)"). The stall is a race, so its rate is printed, not
//! asserted: what is asserted is what is deterministic — every run connects both members,
//! every run that does not stall delivers all 100 in order, a stalled run delivered what it
//! did in order, the per-direction counts add up, and every stalled run delivers the rest
//! in order when the group is read once more.
//!
//! Without bonding (srtfu::has_bonding() false, every distribution's libsrt) the probe must
//! find that srt_create_group fails, and says so.
//!
//! `SRTFU_GROUP_STALL_RUNS=N` sets the runs per direction (default 20; a stalled run costs
//! its 2 s receive timeout). `cc` is required: outside CI the test skips when it is missing;
//! with CI=true it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

fn probe() -> Option<PathBuf> {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("group_stall");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/group_stall.c");
    let mut cmd = Command::new("cc");
    cmd.args(["-Wall", "-Wextra", "-Werror", "-O2", "-pthread", "-o"])
        .arg(&out)
        .arg(&src);
    for dir in std::env::split_paths(env!("SRTFU_SRT_INCLUDE")) {
        cmd.arg(format!("-I{}", dir.display()));
    }
    for d in env!("SRTFU_SRT_DEFINES").split_whitespace() {
        cmd.arg(format!("-D{d}"));
    }
    let lib_dir = env!("SRTFU_SRT_LIB_DIR");
    if !lib_dir.is_empty() {
        cmd.arg(format!("-L{lib_dir}"))
            .arg(format!("-Wl,-rpath,{lib_dir}"));
    }
    cmd.arg("-lsrt");
    match cmd.status() {
        Ok(s) if s.success() => Some(out),
        Ok(s) => panic!("compiling {src:?} failed: {s}"),
        Err(e) => {
            assert!(!ci, "cannot run cc: {e}");
            eprintln!("SKIPPED: cannot run cc: {e}");
            None
        }
    }
}

/// The value of `key=` in a line of `key=value` words.
fn field(line: &str, key: &str) -> u32 {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"))
}

#[test]
fn broadcast_group_receive_stall_probe() {
    let Some(probe) = probe() else { return };
    let runs: u32 = std::env::var("SRTFU_GROUP_STALL_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let out = Command::new(&probe)
        .args([&runs.to_string(), "both", "1"])
        .output()
        .expect("run the group_stall probe");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !srtfu::has_bonding() {
        assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
        assert!(
            stdout.starts_with("no bonding: srt_create_group:"),
            "{stdout}\n{stderr}"
        );
        eprintln!("no bonding in this libsrt: {}", stdout.trim());
        return;
    }
    assert!(
        out.status.success(),
        "probe failed: {out:?}\n{stdout}\n{stderr}"
    );
    // Every run line: all 100 in order, or a stall that delivered in order.
    for line in stdout.lines().filter(|l| l.starts_with("run ")) {
        assert_eq!(field(line, "inorder"), 1, "{line}");
        let delivered = field(line, "delivered");
        if line.ends_with(" stall") {
            assert!(delivered < 100, "{line}");
        } else {
            assert_eq!(delivered, 100, "{line}");
        }
    }
    let mut summaries = 0;
    for line in stdout.lines().filter(|l| l.starts_with("summary ")) {
        summaries += 1;
        assert_eq!(field(line, "runs"), runs, "{line}");
        // Both members must connect in nearly every run: a loaded machine (CI, tests in
        // parallel) has let one of 20 runs miss the 5 s, as in tests/group.rs, which allows
        // 2 of 50 such runs. More than 2 of 20 is a failure.
        let connected = field(line, "connected");
        assert!(connected + 2 >= runs, "{line}\n{stderr}");
        assert_eq!(
            field(line, "complete") + field(line, "stalls"),
            connected,
            "{line}"
        );
        assert_eq!(field(line, "disorder"), 0, "{line}");
        // A stall lasts one group receive call: the next srt_recvmsg2 re-subscribes the
        // members to the group's poller, which re-checks their (by then long ready) buffers
        // and delivers the rest in order (RELIABILITY.md). 36 of 36 stalls so when measured.
        assert_eq!(field(line, "recovered"), field(line, "stalls"), "{line}");
        // The stall rate is documented (RELIABILITY.md), not asserted.
        eprintln!("{line}");
    }
    assert_eq!(summaries, 2, "one summary per direction:\n{stdout}");
    // The stalls with their member and group statistics.
    for line in stdout.lines() {
        let quiet =
            line.starts_with("summary ") || (line.starts_with("run ") && !line.ends_with(" stall"));
        if !quiet {
            eprintln!("{line}");
        }
    }
}
