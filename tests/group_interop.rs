//! Bonding interop: srtfu's ports of libsrt's bonding examples against each other and
//! against libsrt's own C examples (examples/test-c-{client,server}-bonding.c from the
//! release tarball in ../shared/libsrt, compiled here against the libsrt srtfu was built
//! with), srt-live-transmit as a single-socket caller to a group-accepting listener, and
//! srt-test-live (libsrt's developer tool, built from the tarball) as group listener and
//! group caller.
//!
//! On a libsrt without bonding (Debian's 1.5.1) the examples must print srtfu's NoBonding
//! error and exit non-zero; that is what these tests check there.

mod live_support;

use live_support::{example, free_port, require_tool, Proc};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use srtfu::{has_bonding, Accepted, SockStatus, SrtGroup, SrtSocket};

const LINE: &str = "Got msg of len 46 << This message should be sent to the other side (group)";

fn server_port() -> String {
    free_port().to_string()
}

/// The Rust server's or the C server's output holds the 100 messages, each as a group.
fn assert_100_group_messages(who: &str, out: &live_support::Output) {
    let text = out.stdout_text();
    let got = text.lines().filter(|l| l.contains(LINE)).count();
    assert_eq!(
        got, 100,
        "{who}: {got} of 100 messages\n{text}\n{}",
        out.stderr
    );
    for i in 0..100 {
        assert!(
            text.contains(&format!("srt recvmsg #{i}... ")),
            "{who}: #{i}"
        );
    }
    assert!(
        text.contains(
            " ++ Group status [2]: [0] result=0 state=connected [1] result=0 state=connected"
        ),
        "{who}: no two-member status line\n{text}"
    );
}

#[test]
fn bonding_examples_talk_to_each_other_or_report_no_bonding() {
    let port = server_port();
    let server = Proc::spawn(
        "test-c-server-bonding",
        Command::new(example("test-c-server-bonding")).args(["127.0.0.1", &port]),
    );
    thread::sleep(Duration::from_millis(300));
    let client = Proc::spawn(
        "test-c-client-bonding",
        Command::new(example("test-c-client-bonding")).args([
            "broadcast",
            "127.0.0.1",
            &port,
            "127.0.0.1",
            &port,
        ]),
    )
    .finish(Duration::from_secs(20));
    let server = server.finish(Duration::from_secs(10));
    if !has_bonding() {
        for (who, out) in [("client", &client), ("server", &server)] {
            assert_eq!(out.status.and_then(|s| s.code()), Some(1), "{who}: {out:?}");
            assert!(
                out.stderr.contains("built without connection bonding")
                    && out.stderr.contains("install-libsrt.sh --source"),
                "{who}: {}",
                out.stderr
            );
        }
        return;
    }
    assert!(client.success(), "{client:?}");
    assert!(server.success(), "{server:?}");
    let sent = client.stdout_text();
    assert!(sent.contains("srt connect (group)"), "{sent}");
    assert!(sent.contains("srt sendmsg2 #99 >> This message"), "{sent}");
    // The sender's status lines come from the message control's group data: each send
    // reports both members (result = bytes sent on that member, or 0).
    let status = sent
        .lines()
        .filter(|l| l.starts_with(" ++ Group status [2]:[0] result="))
        .count();
    assert_eq!(status, 100, "{sent}");
    assert!(sent.contains("[1] result="), "{sent}");
    assert_100_group_messages("test-c-server-bonding (srtfu)", &server);
}

/// libsrt's C bonding examples from the tarball, compiled once against the libsrt srtfu was
/// built with (pkg-config, with an rpath to its directory).
fn c_examples() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let v = srtfu::version();
        let tarball = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/libsrt")
            .join(format!("srt-{}.{}.{}.tar.gz", v.0, v.1, v.2));
        let tarball = std::env::var_os("SRTFU_LIBSRT_SOURCES")
            .map(|d| PathBuf::from(d).join(tarball.file_name().unwrap()))
            .unwrap_or(tarball);
        if !tarball.is_file() || !require_tool("cc") {
            let ci = std::env::var("CI").as_deref() == Ok("true");
            assert!(!ci || !has_bonding(), "{tarball:?} and cc are needed in CI");
            eprintln!("SKIPPED: no {tarball:?} or no C compiler");
            return None;
        }
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("c-bonding");
        std::fs::create_dir_all(&dir).unwrap();
        let top = format!("srt-{}.{}.{}", v.0, v.1, v.2);
        let st = Command::new("tar")
            .arg("xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(&dir)
            .arg(format!("{top}/examples/test-c-client-bonding.c"))
            .arg(format!("{top}/examples/test-c-server-bonding.c"))
            .status()
            .unwrap();
        assert!(st.success(), "tar {tarball:?}");
        // The headers and library srtfu was built with (not whatever pkg-config finds now).
        let includes: Vec<PathBuf> = std::env::split_paths(env!("SRTFU_SRT_INCLUDE")).collect();
        let libdir = includes
            .first()
            .and_then(|i| i.parent())
            .map(|p| p.join("lib"))
            .expect("srt-sys include path");
        let mut flags: Vec<String> = includes
            .iter()
            .flat_map(|i| {
                [
                    format!("-I{}", i.display()),
                    format!("-I{}", i.join("srt").display()),
                ]
            })
            .collect();
        flags.extend(
            env!("SRTFU_SRT_DEFINES")
                .split_whitespace()
                .map(|d| format!("-D{d}")),
        );
        flags.extend([
            format!("-L{}", libdir.display()),
            "-lsrt".into(),
            format!("-Wl,-rpath,{}", libdir.display()),
        ]);
        for n in ["client", "server"] {
            let st = Command::new("cc")
                .arg("-O2")
                .arg("-o")
                .arg(dir.join(format!("c-{n}-bonding")))
                .arg(dir.join(format!("{top}/examples/test-c-{n}-bonding.c")))
                .args(&flags)
                .status()
                .unwrap();
            assert!(st.success(), "cc test-c-{n}-bonding.c");
        }
        Some(dir)
    })
    .as_deref()
}

#[test]
fn srtfu_bonding_client_to_libsrt_c_bonding_server() {
    if !has_bonding() {
        // The client fails before any network use; its error is checked above.
        let out = Proc::spawn(
            "test-c-client-bonding",
            Command::new(example("test-c-client-bonding")).args([
                "broadcast",
                "127.0.0.1",
                "4200",
                "127.0.0.1",
                "4201",
            ]),
        )
        .finish(Duration::from_secs(10));
        assert_eq!(out.status.and_then(|s| s.code()), Some(1), "{out:?}");
        assert!(
            out.stderr
                .contains("srt_create_group: srt_create_group: this libsrt"),
            "{}",
            out.stderr
        );
        return;
    }
    let Some(dir) = c_examples() else { return };
    let port = server_port();
    let server = Proc::spawn(
        "C test-c-server-bonding",
        Command::new(dir.join("c-server-bonding")).args(["127.0.0.1", &port]),
    );
    thread::sleep(Duration::from_millis(300));
    let client = Proc::spawn(
        "test-c-client-bonding",
        Command::new(example("test-c-client-bonding")).args([
            "broadcast",
            "127.0.0.1",
            &port,
            "127.0.0.1",
            &port,
        ]),
    )
    .finish(Duration::from_secs(20));
    let server = server.finish(Duration::from_secs(10));
    assert!(client.success(), "{client:?}");
    assert_100_group_messages("libsrt's C test-c-server-bonding", &server);
}

#[test]
fn libsrt_c_bonding_client_to_srtfu_bonding_server() {
    if !has_bonding() {
        let out = Proc::spawn(
            "test-c-server-bonding",
            Command::new(example("test-c-server-bonding")).args(["127.0.0.1", &server_port()]),
        )
        .finish(Duration::from_secs(10));
        assert_eq!(out.status.and_then(|s| s.code()), Some(1), "{out:?}");
        assert!(
            out.stderr.contains("SRTO_GROUPCONNECT: this libsrt"),
            "{}",
            out.stderr
        );
        return;
    }
    let Some(dir) = c_examples() else { return };
    let port = server_port();
    let server = Proc::spawn(
        "test-c-server-bonding",
        Command::new(example("test-c-server-bonding")).args(["127.0.0.1", &port]),
    );
    thread::sleep(Duration::from_millis(300));
    // libsrt 1.5.5's C client reuses its loop counter for the status lines, so with two
    // members it never counts to 100 ("srt sendmsg2 #3" again and again): it ends when its
    // send fails after the srtfu server closed.
    let client = Proc::spawn(
        "C test-c-client-bonding",
        Command::new(dir.join("c-client-bonding")).args([
            "broadcast",
            "127.0.0.1",
            &port,
            "127.0.0.1",
            &port,
        ]),
    );
    let server = server.finish(Duration::from_secs(20));
    let client = client.finish(Duration::from_secs(10));
    assert_100_group_messages("test-c-server-bonding (srtfu)", &server);
    let sent = client.stdout_text();
    assert!(sent.contains("srt connect (group)"), "{sent}");
}

#[test]
fn srt_live_transmit_caller_is_a_single_socket_to_a_groupconnect_listener() {
    if !require_tool("srt-live-transmit") {
        return;
    }
    if !has_bonding() {
        let e = SrtSocket::new("srt://:0?groupconnect=1").unwrap_err();
        assert!(matches!(e, srtfu::Error::NoBonding { .. }), "{e:?}");
        return;
    }
    let l = SrtSocket::new("srt://:0?groupconnect=1").unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(4).unwrap();
    let port = l.getsockname().unwrap().port();
    let udp = free_port();
    let _slt = Proc::spawn(
        "srt-live-transmit",
        Command::new("srt-live-transmit").args([
            "-q",
            &format!("udp://127.0.0.1:{udp}"),
            &format!("srt://127.0.0.1:{port}"),
        ]),
    );
    let (acc, _) = l.accept_group().expect("accept");
    let Accepted::Socket(s) = acc else {
        panic!("srt-live-transmit's caller is one socket, accepted as a group");
    };
    assert!(!s.is_group());
    assert_eq!(s.groupof().unwrap(), None);
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    thread::sleep(Duration::from_millis(200));
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..20u8 {
        tx.send_to(&[i; 100], ("127.0.0.1", udp)).unwrap();
        thread::sleep(Duration::from_millis(5));
    }
    let mut buf = [0u8; 1500];
    for i in 0..20u8 {
        let n = s.recvmsg(&mut buf).expect("payload from srt-live-transmit");
        assert_eq!(&buf[..n], &[i; 100][..], "payload {i}");
    }
}

// ----- srt-test-live: libsrt's developer tool, the one with the group caller syntax --------
// install-libsrt.sh --source builds it (testing/srt-test-live.cpp) into the prefix's bin.

/// 100 live payloads of 1316 bytes, each different: what a group sends and what the peer's
/// `file://con` output must hold, back to back.
fn ts_payloads() -> Vec<Vec<u8>> {
    (0..100u32)
        .map(|i| {
            let mut p = vec![0x47u8; 1316];
            p[1..5].copy_from_slice(&i.to_be_bytes());
            p[5..]
                .iter_mut()
                .enumerate()
                .for_each(|(k, b)| *b ^= (i as usize + k) as u8);
            p
        })
        .collect()
}

/// Waits (bounded) until `n` members of `g` are connected.
fn wait_connected(g: &SrtGroup, n: usize, limit: Duration) {
    let end = Instant::now() + limit;
    loop {
        let m = g.group_data().expect("group_data");
        if m.iter()
            .filter(|m| m.sockstate == SockStatus::Connected)
            .count()
            >= n
        {
            return;
        }
        assert!(
            Instant::now() < end,
            "{n} connected members not reached in {limit:?}: {m:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// Sends the payloads over `g` paced (5 ms apart), then gives the peer the latency window
/// to deliver them before the caller closes.
fn send_payloads(g: &SrtGroup, payloads: &[Vec<u8>]) {
    for (i, p) in payloads.iter().enumerate() {
        let n = g
            .sendmsg2(p, None)
            .unwrap_or_else(|e| panic!("group send {i}: {e}"))
            .0;
        assert_eq!(n, p.len(), "group send {i}");
        thread::sleep(Duration::from_millis(5));
    }
    thread::sleep(Duration::from_millis(1500));
}

/// The peer's stdout must be every payload once, in order.
fn assert_payloads(who: &str, out: &live_support::Output, payloads: &[Vec<u8>]) {
    let want: Vec<u8> = payloads.concat();
    assert_eq!(
        out.stdout.len(),
        want.len(),
        "{who}: {} of {} bytes\n{}",
        out.stdout.len(),
        want.len(),
        out.stderr
    );
    for (i, (got, want)) in out.stdout.chunks(1316).zip(payloads).enumerate() {
        assert_eq!(got, &want[..], "{who}: payload {i}");
    }
}

/// Opens the group URL `url` once `tool`, started just before, listens: retried every
/// 100 ms for up to 5 s (the tool's start-up), the last error reported.
fn open_group_when_listening(url: &str, tool: &str) -> SrtGroup {
    let mut last = None;
    for _ in 0..50 {
        match SrtGroup::open(url) {
            Ok(g) => return g,
            Err(e) => last = Some(e),
        }
        thread::sleep(Duration::from_millis(100));
    }
    panic!("{tool}'s listener did not take the group within 5 s: {last:?}")
}

/// On a libsrt without bonding, opening a group fails with the one NoBonding error.
fn assert_group_open_is_no_bonding() {
    let e = SrtGroup::open("srt:////group?type=broadcast&nodes=127.0.0.1:4200").unwrap_err();
    assert!(matches!(e, srtfu::Error::NoBonding { .. }), "{e:?}");
}

#[test]
fn srtfu_broadcast_group_caller_to_srt_test_live_group_listener() {
    if !has_bonding() {
        assert_group_open_is_no_bonding();
        return;
    }
    if !require_tool("srt-test-live") {
        return;
    }
    let port = free_port();
    let peer = Proc::spawn(
        "srt-test-live",
        Command::new("srt-test-live").args([
            "-t",
            "20",
            &format!("srt://127.0.0.1:{port}?mode=listener&groupconnect=1"),
            "file://con",
        ]),
    );
    // Two members to the one listener, each from its own source port.
    let url = format!("srt:////group?type=broadcast&nodes=127.0.0.1:{port},127.0.0.1:{port}");
    let g = open_group_when_listening(&url, "srt-test-live");
    wait_connected(&g, 2, Duration::from_secs(5));
    let payloads = ts_payloads();
    send_payloads(&g, &payloads);
    g.close().unwrap();
    let out = peer.finish(Duration::from_secs(10));
    assert_payloads("srt-test-live (group listener)", &out, &payloads);
}

#[test]
fn srt_test_live_group_caller_receives_from_an_srtfu_group_listener() {
    if !has_bonding() {
        let e = SrtSocket::new("srt://:0?groupconnect=1").unwrap_err();
        assert!(matches!(e, srtfu::Error::NoBonding { .. }), "{e:?}");
        return;
    }
    if !require_tool("srt-test-live") {
        return;
    }
    let l = SrtSocket::new("srt://:0?groupconnect=1").unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(4).unwrap();
    let port = l.getsockname().unwrap().port();
    let peer = Proc::spawn(
        "srt-test-live",
        Command::new("srt-test-live").args([
            "-t",
            "20",
            &format!("srt:////group?type=broadcast&nodes=127.0.0.1:{port},127.0.0.1:{port}"),
            "file://con",
        ]),
    );
    let (acc, _) = l.accept_group().expect("accept the group of srt-test-live");
    let Accepted::Group(g) = acc else {
        panic!("srt-test-live's group caller accepted as a single socket");
    };
    wait_connected(&g, 2, Duration::from_secs(5));
    let payloads = ts_payloads();
    send_payloads(&g, &payloads);
    g.close().unwrap();
    let out = peer.finish(Duration::from_secs(10));
    assert_payloads("srt-test-live (group caller)", &out, &payloads);
}

#[test]
fn srt_test_live_group_listener_sends_to_an_srtfu_group_caller() {
    group_caller_receives_from_a_tool_group_listener(
        "srt-test-live",
        &["-t", "20", "-c", "1316"],
        2,
    );
}

/// srt-live-transmit closes its listening socket right after its one accept
/// (apps/transmitmedia.cpp, `SrtCommon::AcceptNewClient`), so a group's second member finds
/// no listener: the group calling it has one member.
#[test]
fn srt_live_transmit_group_listener_sends_to_an_srtfu_group_caller() {
    group_caller_receives_from_a_tool_group_listener(
        "srt-live-transmit",
        &["-t", "20", "-chunk", "1316"],
        1,
    );
}

/// `tool` (srt-live-transmit or srt-test-live, with `args`) listens with `groupconnect=1`
/// and sends what it reads from stdin; an srtfu broadcast group of `members` members calls it
/// and must receive the 100 payloads byte for byte, in order. On a libsrt without bonding
/// the group open fails with NoBonding.
fn group_caller_receives_from_a_tool_group_listener(tool: &str, args: &[&str], members: usize) {
    if !has_bonding() {
        assert_group_open_is_no_bonding();
        return;
    }
    if !require_tool(tool) {
        return;
    }
    let port = free_port();
    let listener = format!("srt://127.0.0.1:{port}?mode=listener&groupconnect=1");
    let mut peer = Proc::spawn(
        tool,
        Command::new(tool)
            .args(args)
            .args(["file://con", &listener])
            .stdin(std::process::Stdio::piped()),
    );
    let mut stdin = peer.stdin().expect("the tool's stdin");
    let nodes = vec![format!("127.0.0.1:{port}"); members].join(",");
    let url = format!("srt:////group?type=broadcast&nodes={nodes}");
    let g = open_group_when_listening(&url, tool);
    wait_connected(&g, members, Duration::from_secs(5));
    let payloads = ts_payloads();
    let feed = payloads.clone();
    // The tool reads its console in 1316-byte chunks: each payload is one pipe write. stdin
    // stays open until the receiver is done, so the tool does not close the group while
    // messages are still in flight.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let writer = thread::spawn(move || {
        use std::io::Write;
        for p in &feed {
            if stdin.write_all(p).is_err() {
                return; // the tool is gone: its stderr tells why
            }
            thread::sleep(Duration::from_millis(5));
        }
        let _ = done_rx.recv_timeout(Duration::from_secs(20));
    });
    // Short receive slices: libsrt 1.5.5's group receive can wait out a whole timeout with
    // messages ready (RELIABILITY.md, "Broadcast receive stall"); the next call delivers them.
    g.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1500];
    let end = Instant::now() + Duration::from_secs(15);
    let mut failed = None;
    while got.len() < payloads.len() && Instant::now() < end {
        match g.recvmsg(&mut buf) {
            Ok(n) => got.push(buf[..n].to_vec()),
            Err(e) if e.is_timeout() => continue,
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    drop(done_tx);
    writer.join().unwrap();
    g.close().unwrap();
    let out = peer.finish(Duration::from_secs(10));
    assert!(
        failed.is_none() && got.len() == payloads.len(),
        "{} of {} payloads from {tool}'s group listener, then {failed:?}\n{}",
        got.len(),
        payloads.len(),
        out.stderr
    );
    for (i, (got, want)) in got.iter().zip(&payloads).enumerate() {
        assert_eq!(got, want, "payload {i} from {tool}");
    }
}
