//! The sending side: senders run as child processes (their CPU from wait4, as for the
//! receivers), the receiver is a raw srt-sys loop inside the bench.
//!
//! Three tables: live senders paced at the live scenario's rates; the highest rate each live
//! sender sustains with 0 loss (a ramp of paced runs, stopped at the first loss or the first
//! rate the sender cannot keep up); file-mode senders pushing one stream of bytes as fast as
//! libsrt takes them.

use super::*;

/// The pacing tick of every sender in this scenario: each tick sends what is due. tokio's
/// timer has a 1 ms resolution, so the sync senders use the same tick; the live receive
/// scenario's sender keeps its 200 µs.
pub const SEND_TICK: Duration = Duration::from_millis(1);

/// A sender child's RESULT line: what it handed to libsrt (payloads, or bytes in file mode)
/// and how long its sending loop took.
pub fn sent_line(sent: u64, elapsed: Duration) -> String {
    format!("sent={sent} elapsed_ns={}", elapsed.as_nanos())
}

/// Paces live payloads: which ones are due now, from the rate and the time since the start.
/// Each payload carries its sequence number in bytes 1..9.
pub struct Pacer {
    pps: f64,
    total: u64,
    start: Instant,
    next: u64,
    payload: [u8; PAYLOAD],
}

impl Pacer {
    pub fn new(mbps: f64, total: u64) -> Pacer {
        Pacer {
            pps: mbps * 1e6 / (PAYLOAD as f64 * 8.0),
            total,
            start: Instant::now(),
            next: 0,
            payload: [0x47u8; PAYLOAD],
        }
    }

    /// The sequence numbers due now (empty when none is due yet); `None` once all are.
    pub fn due(&mut self) -> Option<std::ops::Range<u64>> {
        if self.next >= self.total {
            return None;
        }
        let due = ((self.start.elapsed().as_secs_f64() * self.pps) as u64).min(self.total);
        let r = self.next..due;
        self.next = due;
        Some(r)
    }

    /// Payload number `seq`.
    pub fn payload(&mut self, seq: u64) -> &[u8] {
        self.payload[1..9].copy_from_slice(&seq.to_le_bytes());
        &self.payload
    }
}

/// Paces `total` payloads at `mbps` through `send`, one batch per `SEND_TICK`; returns how
/// many were handed over and the error that stopped it.
fn paced(
    mbps: f64,
    total: u64,
    mut send: impl FnMut(&[u8]) -> Result<(), String>,
) -> (u64, Option<String>) {
    let mut p = Pacer::new(mbps, total);
    let mut sent = 0u64;
    while let Some(batch) = p.due() {
        for seq in batch {
            if let Err(e) = send(p.payload(seq)) {
                return (sent, Some(e));
            }
            sent += 1;
        }
        thread::sleep(SEND_TICK);
    }
    (sent, None)
}

/// Waits (at most 5 s) until libsrt has every payload of `s` acknowledged.
pub fn wait_delivered(s: sys::SRTSOCKET) {
    let t = Instant::now();
    while raw::unacked(s) > 0 && t.elapsed() < Duration::from_secs(5) {
        thread::sleep(Duration::from_millis(2));
    }
}

/// Child: raw srt-sys live sender, `srt_sendmsg2` paced; waits until all is acknowledged
/// plus the latency, then closes.
pub fn send_raw(args: &[String]) -> Result<String, String> {
    let (port, mbps, total) = asynchronous::sender_args(args)?;
    let s = raw::socket()?;
    raw::connect_nonblocking(s, port)?;
    let t0 = Instant::now();
    let (sent, err) = paced(mbps, total, |p| {
        if raw::sendmsg2(s, p) < 0 {
            Err(raw::last_error("srt_sendmsg2"))
        } else {
            Ok(())
        }
    });
    let elapsed = t0.elapsed();
    finish_live(s);
    raw::close(s);
    match err {
        Some(e) => Err(format!("{e} after {sent} payloads")),
        None => Ok(sent_line(sent, elapsed)),
    }
}

/// Child: srtfu live sender, `SrtSocket::sendmsg2(&buf, None)` paced, opened from a URL.
pub fn send_socket(args: &[String]) -> Result<String, String> {
    let (port, mbps, total) = asynchronous::sender_args(args)?;
    let s = srtfu::SrtSocket::open(&format!("srt://127.0.0.1:{port}?transtype=live"))
        .map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    let (sent, err) = paced(mbps, total, |p| {
        s.sendmsg2(p, None).map(drop).map_err(|e| e.to_string())
    });
    let elapsed = t0.elapsed();
    finish_live(s.id());
    match err {
        Some(e) => Err(format!("{e} after {sent} payloads")),
        None => Ok(sent_line(sent, elapsed)),
    }
}

/// What a live sender does before it closes: everything acknowledged, then the latency (the
/// receiver delivers a payload only when its play time has come).
fn finish_live(s: sys::SRTSOCKET) {
    let latency = raw::get_i32(s, sys::SRTO_LATENCY).max(0) as u64;
    wait_delivered(s);
    thread::sleep(Duration::from_millis(latency + 300));
}

/// A file sender child's arguments: PORT MIB.
pub fn file_sender_args(args: &[String]) -> Result<(u16, u64), String> {
    match args {
        [p, m] => Ok((
            p.parse().map_err(|e| format!("port {p:?}: {e}"))?,
            m.parse().map_err(|e| format!("MiB {m:?}: {e}"))?,
        )),
        _ => Err("usage: file-send-KIND PORT MIB".into()),
    }
}

/// The 1 MiB chunk every file sender sends again and again (pseudo-random, so no layer can
/// compress it).
pub fn file_chunk() -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Child: raw srt-sys file sender: `srt_send` of 1 MiB chunks, then srt_close, which
/// lingers until everything is delivered.
pub fn file_send_raw(args: &[String]) -> Result<String, String> {
    let (port, mib) = file_sender_args(args)?;
    let s = raw::socket()?;
    raw::set_i32(s, sys::SRTO_TRANSTYPE, sys::SRTT_FILE as i32)?;
    raw::connect_nonblocking(s, port)?;
    let chunk = file_chunk();
    let t0 = Instant::now();
    for _ in 0..mib {
        raw::send_all(s, &chunk)?;
    }
    wait_delivered(s);
    let elapsed = t0.elapsed();
    raw::close(s);
    Ok(sent_line(mib << 20, elapsed))
}

/// Child: srtfu file sender: `Write::write_all` on an `SrtSocket` opened from a URL in file
/// mode.
pub fn file_send_socket(args: &[String]) -> Result<String, String> {
    let (port, mib) = file_sender_args(args)?;
    let s = srtfu::SrtSocket::open(&format!("srt://127.0.0.1:{port}?transtype=file"))
        .map_err(|e| e.to_string())?;
    let chunk = file_chunk();
    let t0 = Instant::now();
    for _ in 0..mib {
        (&s).write_all(&chunk).map_err(|e| e.to_string())?;
    }
    wait_delivered(s.id());
    let elapsed = t0.elapsed();
    s.close().map_err(|e| e.to_string())?;
    Ok(sent_line(mib << 20, elapsed))
}

// ----- the scenario -------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tx {
    Raw,
    SrtSocket,
    #[cfg(feature = "tokio")]
    Async,
    SrtTokio,
    LiveTransmit,
}

impl Tx {
    fn name(self) -> &'static str {
        match self {
            Tx::Raw => "raw srt_sendmsg2 loop",
            Tx::SrtSocket => "SrtSocket::sendmsg2 loop",
            #[cfg(feature = "tokio")]
            Tx::Async => "AsyncSrtSocket::sendmsg2 (tokio)",
            Tx::SrtTokio => "srt-tokio Sink (defaults)",
            Tx::LiveTransmit => "srt-live-transmit udp:// → srt://",
        }
    }
    fn child(self) -> &'static str {
        match self {
            Tx::Raw => "send-raw",
            Tx::SrtSocket => "send-socket",
            #[cfg(feature = "tokio")]
            Tx::Async => "send-async",
            Tx::SrtTokio => "send-srt-tokio",
            Tx::LiveTransmit => "",
        }
    }
}

#[derive(Clone, Default)]
struct Sample {
    sent: u64,
    delivered: u64,
    cpu: f64,
    rss_kib: u64,
    /// The rate the sender achieved, Mb/s (payload bytes over its sending loop's time).
    achieved: f64,
    /// The bench had to kill it at its time limit.
    killed: bool,
    /// The kernel's UDP receive-buffer drops during the run (RcvbufErrors, all sockets).
    udp_drops: u64,
}

/// The bench's receiver: accepts one caller on `l`, reports that on `accepted`, then counts
/// payloads until the connection ends or nothing comes for 2 s.
fn receiver(l: raw::Sock, accepted: std::sync::mpsc::Sender<()>) -> Result<u64, String> {
    let s = raw::accept(l)?;
    let _ = accepted.send(());
    raw::set_i32(s, sys::SRTO_RCVTIMEO, 2000)?;
    let mut buf = [0u8; 1500];
    let mut n = 0u64;
    while raw::recvmsg(s, &mut buf) > 0 {
        n += 1;
    }
    raw::close(s);
    Ok(n)
}

/// Feeds `total` UDP datagrams of `PAYLOAD` bytes to 127.0.0.1:`port`, paced at `mbps`.
fn feed_udp(port: u16, mbps: f64, total: u64) -> Result<u64, String> {
    let u = std::net::UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let (sent, err) = paced(mbps, total, |p| {
        u.send_to(p, ("127.0.0.1", port))
            .map(drop)
            .map_err(|e| e.to_string())
    });
    match err {
        Some(e) => Err(format!("udp feed: {e} after {sent}")),
        None => Ok(sent),
    }
}

fn free_udp_port() -> Result<u16, String> {
    let u = std::net::UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(u.local_addr().map_err(|e| e.to_string())?.port())
}

fn one(tx: Tx, mbps: f64, seconds: f64) -> Result<Sample, String> {
    let total = (mbps * 1e6 / (PAYLOAD as f64 * 8.0) * seconds).round() as u64;
    let (l, port) = raw::listener(sys::SRTT_LIVE, 4)?;
    let (atx, arx) = std::sync::mpsc::channel();
    let drops0 = udp_buf_errors().0;
    let rcv = thread::spawn(move || receiver(l, atx));
    let limit = Duration::from_secs_f64(seconds * 2.0 + 15.0);
    let (cmd, feed) = if tx == Tx::LiveTransmit {
        let udp = free_udp_port()?;
        let mut c = Command::new("srt-live-transmit");
        c.args([
            "-a:no".to_string(),
            "-q".to_string(),
            format!("-t:{}", seconds.ceil() as u64 + 5),
            format!("udp://127.0.0.1:{udp}"),
            format!("srt://127.0.0.1:{port}"),
        ]);
        // The feed starts once the tool's SRT connection is accepted (it listens on UDP by
        // then: it opens its input first).
        let feed = thread::spawn(move || {
            arx.recv_timeout(Duration::from_secs(10))
                .map_err(|_| "srt-live-transmit did not connect".to_string())?;
            thread::sleep(Duration::from_millis(100));
            feed_udp(udp, mbps, total)
        });
        (c, Some(feed))
    } else {
        (
            self_child(
                tx.child(),
                &[port.to_string(), mbps.to_string(), total.to_string()],
            ),
            None,
        )
    };
    let u = run_child(cmd, false, limit);
    let fed = feed.map(|f| f.join().map_err(|_| "udp feed panicked".to_string()));
    let delivered = rcv.join().map_err(|_| "receiver panicked".to_string())?;
    raw::close(l);
    let u = u?;
    let delivered = delivered.map_err(|e| format!("{}: receiver: {e}", tx.name()))?;
    let (sent, achieved) = match fed {
        Some(f) => (f??, mbps),
        None => {
            if !u.exit_ok && !u.killed {
                return Err(format!("{} failed: {}", tx.name(), u.stderr.trim()));
            }
            let sent = result_field(&u.stdout, "sent").unwrap_or(total);
            let ns = result_field(&u.stdout, "elapsed_ns").unwrap_or(0);
            let achieved = if ns > 0 {
                sent as f64 * PAYLOAD as f64 * 8.0 / (ns as f64 / 1e9) / 1e6
            } else {
                0.0
            };
            (sent, achieved)
        }
    };
    Ok(Sample {
        sent,
        delivered,
        cpu: u.cpu.as_secs_f64(),
        rss_kib: u.maxrss_kib,
        achieved,
        killed: u.killed,
        udp_drops: udp_buf_errors().0.saturating_sub(drops0),
    })
}

fn contenders(o: &Opts) -> Result<Vec<Tx>, String> {
    let mut txs = vec![Tx::Raw, Tx::SrtSocket];
    #[cfg(feature = "tokio")]
    txs.push(Tx::Async);
    #[cfg(not(feature = "tokio"))]
    println!("(built without --features tokio: the async sender's row is left out)");
    txs.push(Tx::SrtTokio);
    if o.use_tool("srt-live-transmit")? {
        txs.push(Tx::LiveTransmit);
    }
    Ok(txs)
}

fn paced_table(o: &Opts, txs: &[Tx]) -> Result<usize, String> {
    let rates = o.rates.clone().unwrap_or(if o.quick {
        vec![100]
    } else {
        vec![100, 300, 500]
    });
    let seconds = o.seconds.unwrap_or(if o.quick { 1.0 } else { 5.0 });
    println!(
        "\n## live send: {PAYLOAD}-byte payloads paced at each rate ({} ms tick), {seconds} s \
         per run, {} round(s); medians",
        SEND_TICK.as_millis(),
        o.rounds()
    );
    println!(
        "CPU = user+system CPU of the sender process (all threads), from wait4, per payload \
         sent; the receiver is a raw srt_recvmsg loop in the bench. srt-live-transmit is fed \
         UDP by the bench (its UDP reads are in its CPU). srt-tokio's Sink: see \
         BENCHMARKS.md, \"The sending side\".\n"
    );
    let mut t = Table::new(&[
        "Mb/s",
        "sender",
        "sent",
        "delivered",
        "delivered/sent",
        "achieved Mb/s",
        "CPU µs/pkt",
        "× raw",
        "peak RSS MiB",
        "kernel UDP drops",
    ]);
    let mut failed = 0;
    for &rate in &rates {
        let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); txs.len()];
        for round in 0..o.rounds() {
            for k in 0..txs.len() {
                let i = (round + k) % txs.len();
                match one(txs[i], rate as f64, seconds) {
                    Ok(s) => samples[i].push(s),
                    Err(e) => {
                        eprintln!("send {rate} Mb/s: {e}");
                        failed += 1;
                    }
                }
            }
        }
        let med = |v: &[Sample], f: &dyn Fn(&Sample) -> f64| {
            let mut x: Vec<f64> = v.iter().map(f).collect();
            median(&mut x)
        };
        let cpp = |s: &Sample| s.cpu / s.sent.max(1) as f64;
        let raw_cpp = med(&samples[0], &cpp);
        for (i, tx) in txs.iter().enumerate() {
            let v = &samples[i];
            let killed = v.iter().filter(|s| s.killed).count();
            t.row(vec![
                rate.to_string(),
                if killed > 0 {
                    format!("{} ({killed} killed at the limit)", tx.name())
                } else {
                    tx.name().into()
                },
                format!("{:.0}", med(v, &|s| s.sent as f64)),
                format!("{:.0}", med(v, &|s| s.delivered as f64)),
                format!(
                    "{:.4}",
                    med(v, &|s| s.delivered as f64 / s.sent.max(1) as f64)
                ),
                format!("{:.1}", med(v, &|s| s.achieved)),
                format!("{:.2}", med(v, &cpp) * 1e6),
                ratio(med(v, &cpp), raw_cpp),
                format!("{:.1}", med(v, &|s| s.rss_kib as f64) / 1024.0),
                format!("{:.0}", med(v, &|s| s.udp_drops as f64)),
            ]);
        }
    }
    t.print();
    Ok(failed)
}

/// The highest paced rate each live sender sustains: every payload delivered, and the
/// sender kept within 3 % of the pace.
fn max_table(o: &Opts, txs: &[Tx]) -> Result<(), String> {
    let steps: Vec<u32> = o.max_rates.clone().unwrap_or(if o.quick {
        vec![50, 200]
    } else {
        vec![10, 20, 50, 100, 200, 400, 600, 800, 1000, 1300, 1600, 2000]
    });
    let seconds = if o.quick { 0.5 } else { 2.0 };
    println!(
        "\n## live send, highest rate with 0 loss: paced runs of {seconds} s at {} Mb/s in \
         turn, stopped at the first run with a loss or a sender more than 3 % behind its pace",
        steps
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "Unlike the paced table, this pushes past what a live stream needs: it finds where \
         each sender (and libsrt under it) stops keeping up on this machine.\n"
    );
    let mut t = Table::new(&[
        "sender",
        "highest clean Mb/s",
        "first failing Mb/s",
        "there: delivered/sent",
        "there: achieved Mb/s",
        "there: kernel UDP drops",
        "CPU µs/pkt at highest clean",
    ]);
    for &tx in txs {
        let mut clean: Option<(u32, Sample)> = None;
        let mut fail: Option<(u32, Result<Sample, String>)> = None;
        for &rate in &steps {
            match one(tx, rate as f64, seconds) {
                Ok(s) if s.delivered >= s.sent && !s.killed && s.achieved >= rate as f64 * 0.97 => {
                    clean = Some((rate, s))
                }
                r => {
                    fail = Some((rate, r));
                    break;
                }
            }
        }
        let (fr, fd, fa, fu) = match &fail {
            None => ("none".to_string(), "-".into(), "-".into(), "-".into()),
            Some((r, Ok(s))) => (
                r.to_string(),
                format!("{:.4}", s.delivered as f64 / s.sent.max(1) as f64),
                format!("{:.1}", s.achieved),
                s.udp_drops.to_string(),
            ),
            Some((r, Err(e))) => {
                eprintln!("send max {} at {r} Mb/s: {e}", tx.name());
                (r.to_string(), "error".into(), "-".into(), "-".into())
            }
        };
        t.row(vec![
            tx.name().into(),
            clean.as_ref().map_or("none".into(), |(r, _)| r.to_string()),
            fr,
            fd,
            fa,
            fu,
            clean.as_ref().map_or("-".into(), |(_, s)| {
                format!("{:.2}", s.cpu / s.sent.max(1) as f64 * 1e6)
            }),
        ]);
    }
    t.print();
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FileTx {
    Raw,
    SrtSocket,
    #[cfg(feature = "tokio")]
    Async,
    FileTransmit,
}

impl FileTx {
    fn name(self) -> &'static str {
        match self {
            FileTx::Raw => "raw srt_send loop",
            FileTx::SrtSocket => "SrtSocket Write::write_all",
            #[cfg(feature = "tokio")]
            FileTx::Async => "AsyncSrtSocket AsyncWrite (tokio)",
            FileTx::FileTransmit => "srt-file-transmit file:// → srt://",
        }
    }
}

struct FileSample {
    bytes: u64,
    secs: f64,
    cpu: f64,
    rss_kib: u64,
}

/// The bench's file receiver: accepts one caller, then `srt_recv` into a 1 MiB buffer until
/// the stream ends; returns the bytes and the seconds from accept to the end.
fn file_receiver(l: raw::Sock) -> Result<(u64, f64), String> {
    let s = raw::accept(l)?;
    let t0 = Instant::now();
    raw::set_i32(s, sys::SRTO_RCVTIMEO, 10_000)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut got = 0u64;
    loop {
        let n = raw::recv(s, &mut buf);
        if n <= 0 {
            break;
        }
        got += n as u64;
    }
    let secs = t0.elapsed().as_secs_f64();
    raw::close(s);
    Ok((got, secs))
}

fn file_one(tx: FileTx, mib: u64, src: &Path) -> Result<FileSample, String> {
    let (l, port) = raw::listener(sys::SRTT_FILE, 4)?;
    let rcv = thread::spawn(move || file_receiver(l));
    let limit = Duration::from_secs(30 + mib / 8);
    let args = [port.to_string(), mib.to_string()];
    let cmd = match tx {
        FileTx::Raw => self_child("file-send-raw", &args),
        FileTx::SrtSocket => self_child("file-send-socket", &args),
        #[cfg(feature = "tokio")]
        FileTx::Async => self_child("file-send-async", &args),
        FileTx::FileTransmit => {
            let mut c = Command::new("srt-file-transmit");
            c.args([
                format!("file://{}", src.display()),
                format!("srt://127.0.0.1:{port}"),
            ]);
            c
        }
    };
    let u = run_child(cmd, false, limit);
    let got = rcv.join().map_err(|_| "receiver panicked".to_string())?;
    raw::close(l);
    let u = u?;
    if !u.exit_ok {
        return Err(format!(
            "{}: {}: {}{}",
            tx.name(),
            u.how,
            u.stderr.trim(),
            u.stdout.trim()
        ));
    }
    let (bytes, secs) = got?;
    if bytes != mib << 20 {
        return Err(format!(
            "{}: receiver got {bytes} of {} bytes",
            tx.name(),
            mib << 20
        ));
    }
    Ok(FileSample {
        bytes,
        secs,
        cpu: u.cpu.as_secs_f64(),
        rss_kib: u.maxrss_kib,
    })
}

fn file_table(o: &Opts) -> Result<usize, String> {
    let mib = o.size_mib.unwrap_or(if o.quick { 32 } else { 1024 });
    let mut txs = vec![FileTx::Raw, FileTx::SrtSocket];
    #[cfg(feature = "tokio")]
    txs.push(FileTx::Async);
    if o.use_tool("srt-file-transmit")? {
        txs.push(FileTx::FileTransmit);
    }
    // srt-file-transmit sends a file: one of the same pseudo-random bytes.
    let dir = o.dir.clone().unwrap_or_else(|| {
        let shm = PathBuf::from("/dev/shm");
        if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        }
    });
    let src = dir.join(format!("srtfu-bench-send-{}.bin", std::process::id()));
    {
        let mut f = File::create(&src).map_err(|e| format!("{}: {e}", src.display()))?;
        let chunk = file_chunk();
        for _ in 0..mib {
            f.write_all(&chunk).map_err(|e| e.to_string())?;
        }
    }
    println!(
        "\n## file send: {mib} MiB in one stream to a raw srt_recv loop in the bench, {} \
         round(s); medians",
        o.rounds()
    );
    println!(
        "The srtfu and raw senders send one 1 MiB buffer again and again; srt-file-transmit \
         reads a file of the same bytes from {}. MB/s = 10⁶ bytes/s from srt_accept to the \
         end of the stream; CPU = the sender process's, from wait4.\n",
        dir.display()
    );
    let mut t = Table::new(&[
        "sender",
        "MB/s",
        "× raw",
        "CPU s",
        "CPU µs/MB",
        "peak RSS MiB",
    ]);
    let mut samples: Vec<Vec<FileSample>> = txs.iter().map(|_| Vec::new()).collect();
    let mut failed = 0;
    for round in 0..o.rounds() {
        for k in 0..txs.len() {
            let i = (round + k) % txs.len();
            match file_one(txs[i], mib, &src) {
                Ok(s) => samples[i].push(s),
                Err(e) => {
                    eprintln!("file send: {e}");
                    failed += 1;
                }
            }
        }
    }
    let _ = std::fs::remove_file(&src);
    let med = |v: &[FileSample], f: &dyn Fn(&FileSample) -> f64| {
        let mut x: Vec<f64> = v.iter().map(f).collect();
        median(&mut x)
    };
    let mbs = |s: &FileSample| s.bytes as f64 / 1e6 / s.secs;
    let raw_mbs = med(&samples[0], &mbs);
    for (i, tx) in txs.iter().enumerate() {
        let v = &samples[i];
        t.row(vec![
            tx.name().into(),
            format!("{:.1}", med(v, &mbs)),
            ratio(med(v, &mbs), raw_mbs),
            format!("{:.2}", med(v, &|s| s.cpu)),
            format!("{:.1}", med(v, &|s| s.cpu / (s.bytes as f64 / 1e6)) * 1e6),
            format!("{:.1}", med(v, &|s| s.rss_kib as f64) / 1024.0),
        ]);
    }
    t.print();
    Ok(failed)
}

pub fn run(o: &Opts) -> Result<(), String> {
    let txs = contenders(o)?;
    let mut failed = paced_table(o, &txs)?;
    // srt-tokio's sender is not in the ramp past its first failure anyway; the ramp runs
    // every contender (each stops at its own first failure).
    // Quick mode (CI's smoke test) skips the ramp: it is a search, not a smoke test.
    if !o.quick {
        max_table(o, &txs)?;
    }
    failed += file_table(o)?;
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} send run(s) failed"))
    }
}
