//! examples/relay.rs with real SRT programs as its peers: srt-live-transmit as publisher and
//! reader (byte-exact, next to an srtfu async reader), and ffmpeg as publisher and reader of
//! an MPEG-TS stream. The relay runs in-process on loopback.
#![cfg(feature = "tokio")]

#[allow(dead_code)]
#[path = "../examples/relay.rs"]
mod relay;

mod async_support;
mod support;

use async_support::LIMIT;
use relay::{Config, Relay};
use srtfu::tokio::AsyncSrtSocket;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::time::timeout;

fn start(config: &str) -> (Relay, SocketAddr) {
    let relay = Relay::new(Config::parse(config).unwrap(), 1024);
    let listener = relay.listener("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.socket().getsockname().unwrap();
    let r = relay.clone();
    tokio::spawn(async move { r.serve(listener).await });
    (relay, addr)
}

fn require(tool: &str) {
    assert!(
        support::reliability::have_tool(tool),
        "{tool} is needed (install-libsrt.sh --with-tools)"
    );
}

/// Waits (bounded) until the relay's stream `name` has `n` readers.
async fn wait_readers(relay: &Relay, name: &str, n: usize) {
    let t0 = Instant::now();
    loop {
        let have = relay
            .stats()
            .iter()
            .find(|(s, _)| s == name)
            .map_or(0, |s| s.1.readers);
        if have >= n {
            return;
        }
        assert!(t0.elapsed() < LIMIT, "{have} of {n} readers on {name}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Kills the child when dropped (also on a failed assertion).
struct Kill(std::process::Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn srt_live_transmit_publishes_and_reads_byte_exact() {
    require("srt-live-transmit");
    let (relay, addr) = start("cam1\n");
    let port = addr.port();
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("reader.bin");
    let reader_tool = Kill(
        Command::new("srt-live-transmit")
            .arg(format!("srt://127.0.0.1:{port}?streamid=read:cam1"))
            .arg("file://con")
            .stdout(std::fs::File::create(&out_path).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let ours = timeout(
        LIMIT,
        AsyncSrtSocket::connect(&format!("srt://127.0.0.1:{port}?streamid=read:cam1")),
    )
    .await
    .unwrap()
    .unwrap();
    wait_readers(&relay, "cam1", 2).await;

    const N: usize = 300;
    let data = support::reliability::pattern(N * 1316, 5);
    let mut publisher = Kill(
        // `-chunk 1316`, the size of the feeder's writes, so that every read of the pipe is
        // a whole chunk: srt-live-transmit 1.5.5 sends a short read padded to the chunk
        // size with stale bytes (its console source resizes the payload only when the chunk
        // is smaller than the buffer), which its default chunk of 1456 bytes meets here.
        Command::new("srt-live-transmit")
            .args(["-chunk", "1316"])
            .arg("file://con")
            .arg(format!("srt://127.0.0.1:{port}?streamid=publish:cam1"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut stdin = publisher.0.stdin.take().unwrap();
    // srt-live-transmit holds back the stream's last bytes until more input comes (it reads
    // stdin in its own chunks): padding after the data pushes all of the data through.
    let mut feed = data.clone();
    feed.extend(std::iter::repeat(0xFF).take(32 * 1456));
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        // Give srt-live-transmit time to connect (and the relay to take it) before the
        // first chunk: a chunk sent before that would be lost to every reader.
        std::thread::sleep(Duration::from_millis(500));
        for chunk in feed.chunks(1316) {
            stdin.write_all(chunk).unwrap();
            stdin.flush().unwrap();
            std::thread::sleep(Duration::from_millis(2));
        }
        stdin
    });
    let mut got = Vec::with_capacity(data.len());
    let mut buf = [0u8; 1500];
    while got.len() < data.len() {
        let n = timeout(LIMIT, ours.recvmsg(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("{} of {} bytes through the relay", got.len(), data.len()))
            .unwrap();
        got.extend_from_slice(&buf[..n]);
    }
    got.truncate(data.len());
    assert!(
        got == data,
        "the srtfu reader's bytes differ from what was published: first at byte {:?} of {}",
        got.iter().zip(&data).position(|(a, b)| a != b),
        data.len()
    );
    // srt-live-transmit's reader gets the same bytes.
    let t0 = Instant::now();
    while std::fs::metadata(&out_path).unwrap().len() < data.len() as u64 {
        assert!(t0.elapsed() < LIMIT, "srt-live-transmit reader short");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(reader_tool);
    let mut theirs = std::fs::read(&out_path).unwrap();
    theirs.truncate(data.len());
    assert!(
        theirs == data,
        "srt-live-transmit's bytes differ ({} bytes)",
        theirs.len()
    );
    let stats = relay.stats();
    let cam1 = stats.iter().find(|(n, _)| n == "cam1").unwrap().1;
    // srt-live-transmit reads stdin in its own chunks (up to 1456 bytes), so the number of
    // payloads is its own; each went to both readers.
    assert!(cam1.received > 0);
    assert_eq!(cam1.delivered, 2 * cam1.received);
    // The publisher's bytes are what srt-live-transmit read from its stdin, and both
    // readers had them handed to libsrt.
    assert!(cam1.bytes_received >= data.len() as u64, "{cam1:?}");
    assert_eq!(cam1.bytes_sent, 2 * cam1.bytes_received, "{cam1:?}");
    drop(feeder.join().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_publishes_and_reads_mpeg_ts() {
    require("ffmpeg");
    let (relay, addr) = start("tv\n");
    let port = addr.port();
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("reader.ts");
    let ours = timeout(
        LIMIT,
        AsyncSrtSocket::connect(&format!("srt://127.0.0.1:{port}?streamid=read:tv")),
    )
    .await
    .unwrap()
    .unwrap();
    let ffmpeg_reader = Kill(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
            .arg(format!("srt://127.0.0.1:{port}?streamid=read:tv"))
            .args(["-c", "copy", "-f", "mpegts"])
            .arg(&out_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_readers(&relay, "tv", 2).await;
    let publisher = Kill(
        Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-re",
                "-f",
                "lavfi",
                "-i",
            ])
            .arg("testsrc=size=320x240:rate=25:duration=3")
            .args(["-c:v", "mpeg2video", "-b:v", "1M", "-f", "mpegts"])
            .arg(format!(
                "srt://127.0.0.1:{port}?streamid=publish:tv&pkt_size=1316"
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Our reader: every payload is whole 188-byte TS packets, each starting with 0x47.
    let mut buf = [0u8; 1500];
    let mut packets = 0usize;
    let t0 = Instant::now();
    while packets < 500 {
        assert!(
            t0.elapsed() < LIMIT,
            "{packets} TS packets through the relay"
        );
        let n = timeout(LIMIT, ours.recvmsg(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0 && n % 188 == 0, "payload of {n} bytes");
        for p in buf[..n].chunks(188) {
            assert_eq!(p[0], 0x47, "TS sync byte");
        }
        packets += n / 188;
    }
    drop(publisher);
    // ffmpeg's reader wrote a TS file of whole packets.
    let t0 = Instant::now();
    while std::fs::metadata(&out_path).map_or(0, |m| m.len()) < 188 * 100 {
        assert!(t0.elapsed() < LIMIT, "ffmpeg reader wrote too little");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(ffmpeg_reader);
    let ts = std::fs::read(&out_path).unwrap();
    assert_eq!(ts[0], 0x47, "ffmpeg's output is MPEG-TS");
    eprintln!(
        "ffmpeg reader wrote {} bytes; our reader saw {packets} TS packets",
        ts.len()
    );
}
