//! quickstart: srtfu live streaming in one process, with no other tool.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! A listener on 127.0.0.1 (a port the system picks) sends MPEG-TS-sized live payloads
//! (1316 bytes: seven 188-byte TS packets, each carrying a sequence number and a pattern)
//! for a few seconds at a steady rate; a `srtfu::datagramer` caller receives them. Every
//! payload is checked: TS sync bytes, length, content, and order. The report gives the rate,
//! the round-trip time, and loss and retransmission counts from libsrt's statistics
//! (`srt_bstats`). The exit status is 0 only when every payload arrived intact and in order.

use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use srtfu::{Datagramer, SrtSocket, Stats};

/// Stream live payloads over SRT on loopback and check that every one arrives intact.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// How long to stream, in seconds.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Sending rate in megabits per second.
    #[arg(long, default_value_t = 4.0)]
    mbps: f64,
    /// SRT latency in milliseconds.
    #[arg(long, default_value_t = 120)]
    latency: u32,
}

const PAYLOAD: usize = 1316;
const TS_PID: u16 = 0x100;

/// Payload `seq`: seven TS packets on PID 0x100 with continuity counters, carrying the
/// sequence number, a "last" flag and a pattern derived from both.
fn make_payload(seq: u64, last: bool) -> [u8; PAYLOAD] {
    let mut p = [0u8; PAYLOAD];
    for (i, pk) in p.chunks_exact_mut(188).enumerate() {
        pk[0] = 0x47;
        pk[1] = (TS_PID >> 8) as u8 | if i == 0 { 0x40 } else { 0 };
        pk[2] = TS_PID as u8;
        pk[3] = 0x10 | ((seq * 7 + i as u64) % 16) as u8;
        pk[4..12].copy_from_slice(&seq.to_be_bytes());
        pk[12] = last as u8;
        for (j, b) in pk[13..].iter_mut().enumerate() {
            *b = (seq as usize).wrapping_mul(131).wrapping_add(i * 37 + j) as u8;
        }
    }
    p
}

/// The sequence number and "last" flag of a received payload, if it is intact.
fn check_payload(p: &[u8]) -> Result<(u64, bool), String> {
    let packets = srtfu::ts::packets(p).map_err(|e| e.to_string())?;
    if p.len() != PAYLOAD {
        return Err(format!("payload of {} bytes, expected {PAYLOAD}", p.len()));
    }
    let n = packets.filter(|k| k.pid() == TS_PID).count();
    if n != 7 {
        return Err(format!("{n} packets on PID {TS_PID:#x}, expected 7"));
    }
    let seq = u64::from_be_bytes(p[4..12].try_into().expect("8 bytes"));
    let last = p[12] == 1;
    if p[..] != make_payload(seq, last)[..] {
        return Err(format!("payload {seq} is corrupted"));
    }
    Ok((seq, last))
}

struct Sent {
    count: u64,
    elapsed: Duration,
    stats: Option<Stats>,
}

fn send(listener: SrtSocket, count: u64, interval: Duration) -> Result<Sent, String> {
    let (sock, _peer) = listener.accept().map_err(|e| format!("accept: {e}"))?;
    drop(listener);
    // libsrt drops data that reaches the caller before its srt_connect has returned, and a
    // lost first packet would be noticed only when the next one arrives: give it a moment.
    thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    for seq in 0..count {
        let due = start + interval.mul_f64(seq as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }
        let p = make_payload(seq, seq + 1 == count);
        sock.sendmsg2(&p, None)
            .map_err(|e| format!("sendmsg2 {seq}: {e}"))?;
    }
    let elapsed = start.elapsed();
    // Let the last payloads be acknowledged before reading the sender's counters.
    thread::sleep(Duration::from_millis(50));
    let stats = sock.bstats(false).ok();
    srtfu::close_after_latency(sock, Duration::from_millis(100))
        .map_err(|e| format!("close: {e}"))?;
    Ok(Sent {
        count,
        elapsed,
        stats,
    })
}

fn main() -> ExitCode {
    let args = Args::parse();
    // libsrt's own log lines go to the `log` crate, which has no logger here: quiet stderr.
    srtfu::log::install();
    if !(args.seconds > 0.0 && args.seconds <= 600.0 && args.mbps > 0.0 && args.mbps <= 1000.0) {
        eprintln!("quickstart: --seconds must be in (0, 600] and --mbps in (0, 1000]");
        return ExitCode::from(2);
    }
    let interval = Duration::from_secs_f64(PAYLOAD as f64 * 8.0 / (args.mbps * 1e6));
    let count = ((args.seconds / interval.as_secs_f64()).ceil() as u64).max(1);
    let (a, b, c) = srtfu::version();

    let opened = SrtSocket::new(&format!(
        "srt://127.0.0.1:0?mode=listener&latency={}",
        args.latency
    ))
    .and_then(|l| {
        l.bind_url()?;
        l.listen(1)?;
        let addr = l.getsockname()?;
        Ok((l, addr))
    });
    let (listener, addr) = match opened {
        Ok(x) => x,
        Err(e) => {
            eprintln!("quickstart: cannot listen on 127.0.0.1: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("quickstart: libsrt {a}.{b}.{c}; listener on {addr} sends {count} payloads of {PAYLOAD} bytes at {} Mb/s", args.mbps);
    let sender = thread::spawn(move || send(listener, count, interval));

    let url = format!("srt://{addr}?latency={}", args.latency);
    let mut feed = match Datagramer::builder(&url)
        .timeout(Duration::from_secs(5))
        .open()
    {
        Ok(f) => f,
        Err(e) => {
            eprintln!("quickstart: datagramer could not connect: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut problems = Vec::new();
    let (mut received, mut bytes, mut expected) = (0u64, 0u64, 0u64);
    let mut rcv_stats = None;
    let started = Instant::now();
    loop {
        match feed.recv() {
            Ok(Some(p)) => {
                received += 1;
                bytes += p.len() as u64;
                match check_payload(p) {
                    Ok((seq, last)) => {
                        if seq != expected {
                            problems.push(format!("payload {seq} arrived when {expected} was due"));
                        }
                        expected = seq + 1;
                        if last {
                            rcv_stats = feed.socket().and_then(|s| s.bstats(false).ok());
                        }
                    }
                    Err(e) => problems.push(e),
                }
            }
            Ok(None) => break,
            Err(e) => {
                problems.push(format!("receiving: {e}"));
                break;
            }
        }
    }
    let recv_time = started.elapsed();
    let sent = match sender.join() {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            eprintln!("quickstart: sender failed: {e}");
            return ExitCode::FAILURE;
        }
        Err(_) => {
            eprintln!("quickstart: sender thread panicked");
            return ExitCode::FAILURE;
        }
    };
    if received != sent.count {
        problems.push(format!(
            "{received} payloads arrived, {} were sent",
            sent.count
        ));
    }

    let rate = bytes as f64 * 8.0 / sent.elapsed.as_secs_f64().max(1e-9) / 1e6;
    println!(
        "sent     {} payloads in {:.2} s; received {received} payloads ({bytes} bytes, {rate:.2} Mb/s) in {:.2} s",
        sent.count,
        sent.elapsed.as_secs_f64(),
        recv_time.as_secs_f64()
    );
    if let Some(s) = &sent.stats {
        println!(
            "sender   RTT {:.3} ms, {} packets sent, {} retransmitted, {} reported lost, {} dropped",
            s.ms_rtt, s.pkt_sent_total, s.pkt_retrans_total, s.pkt_snd_loss_total, s.pkt_snd_drop_total
        );
    }
    match &rcv_stats {
        Some(s) => println!(
            "receiver RTT {:.3} ms, {} packets received, {} lost, {} dropped, {} received again (retransmitted)",
            s.ms_rtt, s.pkt_recv_total, s.pkt_rcv_loss_total, s.pkt_rcv_drop_total, s.pkt_rcv_retrans
        ),
        None => println!("receiver statistics: not available (the last payload never arrived)"),
    }
    if problems.is_empty() {
        println!("OK: all {received} payloads arrived intact and in order");
        ExitCode::SUCCESS
    } else {
        for p in problems.iter().take(10) {
            println!("FAIL: {p}");
        }
        if problems.len() > 10 {
            println!("FAIL: ... and {} more", problems.len() - 10);
        }
        ExitCode::FAILURE
    }
}
