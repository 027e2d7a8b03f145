//! examples/server.rs, driven in-process: its `Server` (listen callback + one-thread epoll
//! loop) serves three callers on loopback — two allowed (one with a per-stream passphrase),
//! one refused — and its per-caller counters and UDP forwarding match what was sent.

#[path = "../examples/server.rs"]
#[allow(dead_code)]
mod server;

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use server::{Access, Args, Server};
use srtfu::{ErrorCode, RejectReason, SrtSocket, SRTO_PASSPHRASE, SRTO_SNDDATA, SRTO_STREAMID};

const ACCESS: &str = include_str!("../examples/server-access.txt");

fn caller(streamid: &str, passphrase: Option<&str>) -> SrtSocket {
    let c = SrtSocket::new_raw().unwrap();
    c.setsockflag(SRTO_STREAMID, streamid).unwrap();
    if let Some(p) = passphrase {
        c.setsockflag(SRTO_PASSPHRASE, p).unwrap();
    }
    c
}

/// Sends `count` messages of `size` bytes, waits until the server acknowledged them all and
/// had time to deliver them (live mode delivers after SRTO_LATENCY), then closes.
fn send_and_close(c: SrtSocket, count: usize, size: usize) {
    let msg = vec![0x47u8; size];
    for _ in 0..count {
        assert_eq!(c.sendmsg(&msg, None, true).unwrap(), size);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while c.getsockflag(SRTO_SNDDATA).unwrap() > 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        c.getsockflag(SRTO_SNDDATA).unwrap(),
        0,
        "not acknowledged in 5 s"
    );
    thread::sleep(Duration::from_millis(400));
    c.close().unwrap();
}

#[test]
fn the_access_list_parses_and_refuses_bad_lines() {
    let a = Access::parse(ACCESS).unwrap();
    assert!(format!("{a:?}").contains("live/studio"));
    let e = Access::parse("live/x short").unwrap_err();
    assert!(e.contains("line 1") && e.contains("10 to 80"), "{e}");
    let e = Access::parse("a\n# c\nb one-two-three-four extra").unwrap_err();
    assert!(e.contains("line 3") && e.contains("extra"), "{e}");
    let e = Access::parse("a\na").unwrap_err();
    assert!(e.contains("listed twice"), "{e}");
}

#[test]
fn the_command_line_parses_with_clap() {
    let args = Args::try_parse_from([
        "server",
        "--listen",
        "127.0.0.1:0",
        "--forward",
        "127.0.0.1:5000",
        "--report",
        "0",
    ])
    .unwrap();
    assert_eq!(args.listen.port(), 0);
    assert_eq!(args.backlog, 128);
    let err = Args::try_parse_from(["server", "--listen", "nowhere"]).unwrap_err();
    assert!(err.to_string().contains("--listen"), "{err}");
}

#[test]
fn serves_allowed_callers_counts_and_forwards_and_refuses_the_others() {
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    sink.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let forward = sink.local_addr().unwrap().to_string();
    let args = Args::try_parse_from([
        "server",
        "--listen",
        "127.0.0.1:0",
        "--forward",
        forward.as_str(),
        "--report",
        "1",
    ])
    .unwrap();
    let mut srv = Server::bind(&args, Access::parse(ACCESS).unwrap()).unwrap();
    let addr = srv.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stopper = stop.clone();
    let runner = thread::spawn(move || {
        srv.run(&stopper, Some(Instant::now() + Duration::from_secs(30)))
            .unwrap();
        srv
    });

    // Refused: unknown stream, no stream, and the studio stream with the wrong passphrase.
    let err = caller("live/nope", None).connect(addr).unwrap_err();
    assert_eq!(err.reject_reason(), Some(RejectReason::NotFound), "{err}");
    let err = caller("", None).connect(addr).unwrap_err();
    assert_eq!(
        err.reject_reason(),
        Some(RejectReason::Unauthorized),
        "{err}"
    );
    let err = caller("live/studio", Some("not-the-studio-secret"))
        .connect(addr)
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::ConnRejected));
    assert_eq!(err.reject_reason(), Some(RejectReason::BadSecret), "{err}");

    // Allowed: cam1 in the clear, studio with its passphrase, at the same time.
    let cam1 = caller("live/cam1", None);
    cam1.connect(addr).unwrap();
    let studio = caller("live/studio", Some("studio-secret-2024"));
    studio.connect(addr).unwrap();
    let a = thread::spawn(move || send_and_close(cam1, 50, 1316));
    let b = thread::spawn(move || send_and_close(studio, 30, 188));
    a.join().unwrap();
    b.join().unwrap();

    // Every payload was forwarded over UDP, with its length.
    let mut buf = [0u8; 2048];
    let (mut big, mut small) = (0, 0);
    for _ in 0..80 {
        match sink.recv(&mut buf).unwrap() {
            1316 => big += 1,
            188 => small += 1,
            n => panic!("forwarded datagram of {n} bytes"),
        }
    }
    assert_eq!((big, small), (50, 30));

    // Both callers left; the server counted each exactly.
    // (The callers closed after their data was delivered; give the server a moment to see
    // them leave.)
    thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    let srv = runner.join().unwrap();
    // The listen callback refused two; libsrt itself refused the wrong passphrase.
    assert_eq!(srv.refused(), 2);
    let mut left: Vec<_> = srv
        .finished
        .iter()
        .map(|s| (s.streamid.as_str(), s.bytes, s.messages))
        .collect();
    left.sort();
    assert_eq!(
        left,
        [("live/cam1", 50 * 1316, 50), ("live/studio", 30 * 188, 30)],
        "live: {:?}",
        srv.live()
    );
}

/// Builds examples/server (a no-op when `cargo test` already did) and returns its path next
/// to this test binary.
fn example_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/this-test → target/<profile>/examples/server
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let mut build = std::process::Command::new(env!("CARGO"));
    build.args(["build", "--quiet", "--example", "server"]);
    if profile_dir.file_name() == Some(std::ffi::OsStr::new("release")) {
        build.arg("--release");
    }
    let status = build
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("running cargo build --example server");
    assert!(status.success(), "cargo build --example server failed");
    let bin = profile_dir.join("examples").join("server");
    assert!(bin.exists(), "{} missing after the build", bin.display());
    bin
}

/// A real external peer must be there in CI; elsewhere its absence skips the test.
fn tool(name: &str) -> bool {
    let found = std::process::Command::new(name)
        .arg("-version")
        .output()
        .is_ok();
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{name} is required in CI (install-libsrt.sh --with-tools)"
        );
        eprintln!("skipping: {name} not installed");
    }
    found
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_server_binary_serves_srt_live_transmit_and_refuses_an_unknown_stream() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::sync::mpsc;

    if !tool("srt-live-transmit") {
        return;
    }
    let bin = example_binary();
    let port = free_port();
    let access = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/server-access.txt");
    let mut server = Command::new(bin)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--access", access])
        .args(["--report", "0", "--duration", "3"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel();
    let out = server.stdout.take().unwrap();
    let reader = thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let next_line = |want: &str| -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match lines.recv_timeout(left) {
                Ok(l) if l.contains(want) => return l,
                Ok(_) => continue,
                Err(_) => break,
            }
        }
        panic!("the server never printed a line with {want:?}");
    };
    next_line("listening on");

    // srt-live-transmit relays UDP into the server as a caller on stream live/cam2.
    let udp_in = free_port();
    let mut slt = Command::new("srt-live-transmit")
        .arg(format!("udp://127.0.0.1:{udp_in}"))
        .arg(format!("srt://127.0.0.1:{port}?streamid=live/cam2"))
        .args(["-q", "-a:no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    next_line("joined");

    // An srtfu caller with an unknown stream is refused with the access list's code.
    let err = caller("live/unknown", None)
        .connect(("127.0.0.1", port))
        .unwrap_err();
    assert_eq!(err.reject_reason(), Some(RejectReason::NotFound), "{err}");
    assert!(next_line("refused").contains("live/unknown"));

    let src = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..100u8 {
        src.send_to(&[i; 1316], ("127.0.0.1", udp_in)).unwrap();
        thread::sleep(Duration::from_millis(5));
    }
    // At --duration's end the server prints the callers still connected.
    let still = next_line("still");
    let _ = slt.kill();
    let _ = slt.wait();
    assert!(
        still.contains("stream=\"live/cam2\" bytes=131600 messages=100"),
        "{still}"
    );
    let summary = next_line("callers served");
    assert!(summary.contains("1 callers served, 1 refused"), "{summary}");
    assert!(server.wait().unwrap().success());
    reader.join().unwrap();
}
