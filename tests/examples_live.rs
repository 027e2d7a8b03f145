//! The live examples run as programs: quickstart, livekabuki, test-c-server with
//! test-c-client, and srtscte35 on the SCTE-35 fixture.
mod live_support;

use live_support::{example, free_port, Proc};
use srtfu::{close_after_latency, SrtSocket};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

#[test]
fn every_example_has_help() {
    for name in [
        "quickstart",
        "livekabuki",
        "test-c-server",
        "test-c-client",
        "srtscte35",
    ] {
        let out = Proc::spawn(name, Command::new(example(name)).arg("--help"))
            .finish(Duration::from_secs(10));
        assert!(out.success(), "{name} --help: {out:?}");
        assert!(out.stdout_text().contains("Usage:"), "{name}: {out:?}");
    }
    // Bad arguments are refused with a message naming them, not a panic.
    let out = Proc::spawn(
        "test-c-server",
        Command::new(example("test-c-server")).args(["x", "9000"]),
    )
    .finish(Duration::from_secs(10));
    assert_eq!(out.status.and_then(|s| s.code()), Some(2), "{out:?}");
    assert!(
        out.stderr.contains("invalid value 'x' for '<HOST>'"),
        "{out:?}"
    );
    let out = Proc::spawn(
        "livekabuki",
        Command::new(example("livekabuki")).arg("http://x:1"),
    )
    .finish(Duration::from_secs(10));
    assert_eq!(out.status.and_then(|s| s.code()), Some(1), "{out:?}");
    assert!(out.stderr.contains("is not srt"), "{out:?}");
}

#[test]
fn quickstart_verifies_the_stream_and_reports_stats() {
    let out = Proc::spawn(
        "quickstart",
        Command::new(example("quickstart")).args(["--seconds", "1.5", "--mbps", "4"]),
    )
    .finish(Duration::from_secs(20));
    let text = out.stdout_text();
    assert!(out.success(), "quickstart failed: {text}\n{}", out.stderr);
    assert!(
        text.contains("OK: all 570 payloads arrived intact and in order"),
        "{text}"
    );
    assert!(
        text.contains("RTT") && text.contains("retransmitted"),
        "{text}"
    );
    assert!(text.contains("Mb/s"), "{text}");
}

/// Sends `count` payloads of 1316 bytes (with their index) to `port` as a caller.
fn send_payloads(port: u16, count: u32) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        // A latency of 1 s: on a loaded 2-core machine 120 ms is not always enough for a
        // retransmission, and libsrt drops what is too late in live mode.
        let s = SrtSocket::open(&format!(
            "srt://127.0.0.1:{port}?retries=10&conntimeo=500&latency=1000"
        ))
        .expect("connect to the example");
        thread::sleep(Duration::from_millis(50));
        let mut all = Vec::new();
        for i in 0..count {
            let mut p = vec![(i % 251) as u8; 1316];
            p[..4].copy_from_slice(&i.to_be_bytes());
            s.sendmsg2(&p, None).expect("send");
            all.extend_from_slice(&p);
            thread::sleep(Duration::from_micros(500));
        }
        close_after_latency(s, Duration::from_millis(100)).unwrap();
        all
    })
}

#[test]
fn livekabuki_writes_every_payload_to_stdout() {
    let port = free_port();
    let p = Proc::spawn(
        "livekabuki",
        Command::new(example("livekabuki")).arg(format!("srt://127.0.0.1:{port}?mode=listener")),
    );
    let sent = send_payloads(port, 300).join().unwrap();
    let out = p.finish(Duration::from_secs(10));
    assert!(out.success(), "{out:?}");
    assert_eq!(out.stdout.len(), sent.len());
    assert!(out.stdout == sent, "stdout is the payloads, in order");
    assert!(out.stderr.contains("300 payloads"), "{}", out.stderr);
}

#[test]
fn livekabuki_ends_quietly_when_stdout_closes() {
    let port = free_port();
    let mut cmd = Command::new(example("livekabuki"));
    cmd.arg(format!("srt://127.0.0.1:{port}?mode=listener"));
    // stdout is a pipe that we close after reading a little: a reader like `head -c`.
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut guard = KillOnDrop(
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let child = &mut guard.0;
    let mut stdout = child.stdout.take().unwrap();
    let sender = thread::spawn(move || {
        let s = SrtSocket::open(&format!("srt://127.0.0.1:{port}?retries=10&conntimeo=500"))
            .expect("connect");
        let p = [0x47u8; 1316];
        let t0 = Instant::now();
        // Keep sending until livekabuki has gone (its side closes) or 8 s pass.
        while t0.elapsed() < Duration::from_secs(8) {
            if s.sendmsg2(&p, None).is_err() {
                break;
            }
            thread::sleep(Duration::from_millis(1));
        }
    });
    let mut first = [0u8; 5000];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if t0.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.and_then(|s| s.code()), Some(0), "stderr: {err}");
    assert!(
        err.contains("stdout closed") && !err.contains("panicked"),
        "{err}"
    );
    sender.join().unwrap();
}

const MSG_LINE: &str = "Got msg of len 46 << This message should be sent to the other side";

#[test]
fn test_c_client_sends_100_messages_to_test_c_server() {
    let port = free_port();
    let server = Proc::spawn(
        "test-c-server",
        Command::new(example("test-c-server")).args(["127.0.0.1", &port.to_string()]),
    );
    thread::sleep(Duration::from_millis(300));
    let client = Proc::spawn(
        "test-c-client",
        Command::new(example("test-c-client")).args(["127.0.0.1", &port.to_string()]),
    )
    .finish(Duration::from_secs(15));
    let server = server.finish(Duration::from_secs(10));
    assert!(client.success(), "client: {client:?}");
    assert!(server.success(), "server: {server:?}");
    let ctext = client.stdout_text();
    let stext = server.stdout_text();
    for line in [
        "srt startup",
        "srt socket",
        "srt remote address",
        "srt setsockflag",
        "srt connect",
        "srt close",
        "srt cleanup",
    ] {
        assert!(
            ctext.lines().any(|l| l == line),
            "client line {line:?}: {ctext}"
        );
    }
    for i in 0..100 {
        let l = format!("srt sendmsg2 #{i} >> This message should be sent to the other side");
        assert!(ctext.lines().any(|x| x == l), "client line {l:?}");
    }
    assert_eq!(stext.matches(MSG_LINE).count(), 100, "server: {stext}");
    assert!(
        stext.contains("srt recvmsg #99... Got msg of len 46"),
        "{stext}"
    );
    for line in [
        "srt startup",
        "srt socket",
        "srt bind address",
        "srt setsockflag",
        "srt bind",
        "srt listen",
        "srt accept",
        "srt close",
        "srt cleanup",
    ] {
        assert!(
            stext.lines().any(|l| l.ends_with(line)),
            "server line {line:?}: {stext}"
        );
    }
}

/// Streams the SCTE-35 fixture as 1316-byte payloads at about 8 Mb/s, after `junk`
/// payloads that are not TS.
pub fn stream_fixture(port: u16, junk: usize) -> thread::JoinHandle<()> {
    stream_ts(port, junk, fixture())
}

/// The SCTE-35 fixture's bytes.
fn fixture() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/scte35.ts")).expect("fixture")
}

/// Streams `data` as [`stream_fixture`] does.
fn stream_ts(port: u16, junk: usize, data: Vec<u8>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let s = SrtSocket::open(&format!("srt://127.0.0.1:{port}?retries=10&conntimeo=500"))
            .expect("connect");
        thread::sleep(Duration::from_millis(50));
        for _ in 0..junk {
            s.sendmsg2(&[0u8; 1000], None).expect("send");
        }
        for chunk in data.chunks(1316) {
            s.sendmsg2(chunk, None).expect("send");
            thread::sleep(Duration::from_micros(1300));
        }
        close_after_latency(s, Duration::from_millis(100)).unwrap();
    })
}

/// The cue list next to the fixture: (packet pts, pid, command, splice pts, cue).
pub fn cue_list() -> Vec<(f64, String, String, String, String)> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/scte35.cues.csv"
    ))
    .unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 5, "cue list line {l:?}");
            (
                f[0].parse().unwrap(),
                f[1].to_string(),
                f[2].to_string(),
                f[3].to_string(),
                f[4].to_string(),
            )
        })
        .collect()
}

/// Checks srtscte35's stdout and sidecar against the cue list.
pub fn check_cues(stdout: &str, sidecar: &str) {
    let expected = cue_list();
    assert_eq!(expected.len(), 4, "the fixture has 4 cues");
    let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("pts=")).collect();
    assert_eq!(lines.len(), expected.len(), "one line per cue: {stdout}");
    let side: Vec<&str> = sidecar.lines().collect();
    assert_eq!(side.len(), expected.len(), "sidecar: {sidecar}");
    for ((line, side), (pts, pid, command, splice_pts, cue)) in
        lines.iter().zip(&side).zip(&expected)
    {
        let field = |k: &str| {
            line.split(' ')
                .find_map(|f| f.strip_prefix(&format!("{k}=")))
                .unwrap_or_else(|| panic!("no {k} in {line}"))
                .to_string()
        };
        let got_pts: f64 = field("pts").parse().unwrap();
        assert!(
            (got_pts - pts).abs() < 0.001,
            "pts {got_pts} vs {pts}: {line}"
        );
        assert_eq!(&field("pid"), pid, "{line}");
        assert_eq!(&field("command"), command, "{line}");
        let want_splice = if splice_pts.is_empty() {
            "none"
        } else {
            splice_pts.as_str()
        };
        assert_eq!(field("splice_pts"), want_splice, "{line}");
        assert_eq!(&field("cue"), cue, "{line}");
        let (sp, sc) = side.split_once(',').expect("pts,cue");
        assert!((sp.parse::<f64>().unwrap() - pts).abs() < 0.001, "{side}");
        assert_eq!(sc, cue);
    }
    // Splice details from scte35-reader, e.g. the break duration of the first cue.
    assert!(lines[0].contains("\"splice_event_id\":101"), "{}", lines[0]);
    assert!(lines[0].contains("\"duration\":540000"), "{}", lines[0]);
}

#[test]
fn srtscte35_prints_every_cue_across_the_table_change() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let sidecar = dir.path().join("sidecar.txt");
    let p = Proc::spawn(
        "srtscte35",
        Command::new(example("srtscte35"))
            .arg(format!("srt://127.0.0.1:{port}?mode=listener"))
            .arg("--sidecar")
            .arg(&sidecar),
    );
    stream_fixture(port, 3).join().unwrap();
    let out = p.finish(Duration::from_secs(10));
    assert!(out.success(), "{out:?}");
    check_cues(
        &out.stdout_text(),
        &std::fs::read_to_string(&sidecar).unwrap(),
    );
    assert!(out.stderr.contains("1 table changes"), "{}", out.stderr);
    // Payloads that are not TS are reported and skipped; the program goes on.
    assert!(out.stderr.contains("3 payloads not TS"), "{}", out.stderr);
    assert!(out.stderr.contains("skipping payload 1:"), "{}", out.stderr);
}

#[test]
fn srtscte35_prints_a_cue_whose_crc_is_wrong_as_a_crc_mismatch_with_its_bytes() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    // The fixture with the first cue's CRC_32 damaged (its last byte flipped).
    let cues = cue_list();
    let section = b64.decode(&cues[0].4).unwrap();
    let mut data = fixture();
    let at = data
        .windows(section.len())
        .position(|w| w == section.as_slice())
        .expect("the first cue lies whole in one packet of the fixture");
    let last = at + section.len() - 1;
    data[last] ^= 0xff;
    let mut bad = section.clone();
    *bad.last_mut().unwrap() ^= 0xff;

    let port = free_port();
    let p = Proc::spawn(
        "srtscte35",
        Command::new(example("srtscte35")).arg(format!("srt://127.0.0.1:{port}?mode=listener")),
    );
    stream_ts(port, 0, data).join().unwrap();
    let out = p.finish(Duration::from_secs(10));
    assert!(out.success(), "{out:?}");
    let stdout = out.stdout_text();
    let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("pts=")).collect();
    // Still one line per cue: the damaged one is printed, not dropped.
    assert_eq!(lines.len(), cues.len(), "{stdout}");
    let first = lines[0];
    assert!(first.contains("pid=0x86 command=invalid "), "{first}");
    assert!(
        first.contains(&format!(" cue={} ", b64.encode(&bad))),
        "{first}"
    );
    let crc = |b: &[u8]| u32::from_be_bytes(b[b.len() - 4..].try_into().unwrap());
    assert!(
        first.contains(&format!(
            "details=\"crc mismatch: CRC_32 is {:#010x}, the section's bytes give {:#010x}\"",
            crc(&bad),
            crc(&section)
        )),
        "{first}"
    );
    // The others parse as before.
    for (line, cue) in lines[1..].iter().zip(&cues[1..]) {
        assert!(line.contains(&format!(" command={} ", cue.2)), "{line}");
        assert!(line.contains(&format!(" cue={} ", cue.4)), "{line}");
    }
}
