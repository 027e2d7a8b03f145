//! The relay scenario: examples/relay.rs (tokio, one shared libsrt epoll reactor) in a child
//! process, one publisher and N readers in the bench. The relay's CPU and peak RSS come from
//! wait4 and VmHWM, as for every child.

use super::*;
use srtfu::{Epoll, EpollBuffers, EpollEvents, SrtSocket};

/// The relay of examples/relay.rs, benchmarked as it is.
#[cfg(feature = "tokio")]
#[allow(dead_code)]
#[path = "../relay.rs"]
mod relay_example;

/// The stream every run publishes and reads; listed in the relay's config, so readers may
/// connect before the publisher.
const STREAM: &str = "bench";

/// Child: the relay on a multi-thread tokio runtime (as `#[tokio::main]` makes it), serving
/// until the stream has been published, ended, and every reader's queue is sent (or
/// LIMIT_SECS); prints its port first, then the stream's counters.
#[cfg(feature = "tokio")]
pub fn relay_child(args: &[String]) -> Result<String, String> {
    let limit = match args {
        [l] => Duration::from_secs(l.parse().map_err(|e| format!("limit {l:?}: {e}"))?),
        _ => return Err("usage: relay LIMIT_SECS".into()),
    };
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let config = relay_example::Config::parse(STREAM)?;
        let relay = relay_example::Relay::new(config, 1024);
        let l = relay
            .listener("127.0.0.1:0".parse().expect("address"))
            .map_err(|e| format!("relay listener: {e}"))?;
        let port = l.socket().getsockname().map_err(|e| e.to_string())?.port();
        println!("PORT {port}");
        std::io::stdout().flush().map_err(|e| e.to_string())?;
        let served = relay.clone();
        let serve = tokio::spawn(async move { served.serve(l).await });
        let deadline = Instant::now() + limit;
        let (mut last_sent, mut still) = (0u64, Instant::now());
        let stats = loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let st = relay
                .stats()
                .into_iter()
                .find(|(n, _)| n == STREAM)
                .map(|(_, s)| s)
                .unwrap_or_default();
            if st.sent != last_sent {
                (last_sent, still) = (st.sent, Instant::now());
            }
            let ended = st.received > 0 && st.readers == 0;
            if (ended && still.elapsed() > Duration::from_millis(1500)) || Instant::now() > deadline
            {
                break st;
            }
        };
        serve.abort();
        Ok(format!(
            "received={} delivered={} sent={} dropped_readers={}",
            stats.received, stats.delivered, stats.sent, stats.dropped_readers
        ))
    })
}

struct Sample {
    readers: u64,
    sent: u64,
    relayed: u64,
    received: u64,
    dropped_readers: u64,
    cpu: f64,
    rss_kib: u64,
}

/// N readers of the stream over one local UDP port (one libsrt multiplexer), received by one
/// thread through one Epoll; returns the connected readers and what they received in all,
/// once every reader's connection has ended (or `limit`).
fn readers(
    port: u16,
    n: usize,
    limit: Duration,
    ready: std::sync::mpsc::Sender<usize>,
) -> Result<(usize, u64), String> {
    let mut socks: Vec<SrtSocket> = Vec::with_capacity(n);
    let mut local: Option<std::net::SocketAddr> = None;
    let ep = Epoll::new().map_err(|e| e.to_string())?;
    for i in 0..n {
        let s = SrtSocket::new_raw().map_err(|e| e.to_string())?;
        s.setsockflag(srtfu::SRTO_STREAMID, format!("read:{STREAM}"))
            .map_err(|e| e.to_string())?;
        let src = local.unwrap_or_else(|| "127.0.0.1:0".parse().expect("address"));
        if let Err(e) = s.connect_bind(src, ("127.0.0.1", port)) {
            let _ = ready.send(socks.len());
            return Err(format!("reader {i}: {e}"));
        }
        if local.is_none() {
            local = Some(s.getsockname().map_err(|e| e.to_string())?);
        }
        s.set_blocking(false).map_err(|e| e.to_string())?;
        ep.add_usock(&s, EpollEvents::IN | EpollEvents::ERR)
            .map_err(|e| e.to_string())?;
        socks.push(s);
    }
    let _ = ready.send(socks.len());
    let connected = socks.len();
    let by_id: std::collections::HashMap<sys::SRTSOCKET, usize> =
        socks.iter().enumerate().map(|(i, s)| (s.id(), i)).collect();
    let mut open = vec![true; socks.len()];
    let mut left = socks.len();
    let mut buf = [0u8; 1500];
    let mut bufs = EpollBuffers::with_capacity(n);
    let mut received = 0u64;
    let start = Instant::now();
    while left > 0 && start.elapsed() < limit {
        let ready = match ep.wait(&mut bufs, Some(Duration::from_millis(100))) {
            Ok(r) => r.readable.to_vec(),
            Err(_) => break,
        };
        for id in ready {
            let Some(&i) = by_id.get(&id) else { continue };
            if !open[i] {
                continue;
            }
            loop {
                match socks[i].recvmsg(&mut buf) {
                    Ok(0) => {
                        close_reader(&ep, &socks[i], &mut open[i], &mut left);
                        break;
                    }
                    Ok(_) => received += 1,
                    Err(e) if e.is_would_block() => break,
                    Err(_) => {
                        close_reader(&ep, &socks[i], &mut open[i], &mut left);
                        break;
                    }
                }
            }
        }
    }
    Ok((connected, received))
}

fn close_reader(ep: &Epoll, s: &SrtSocket, open: &mut bool, left: &mut usize) {
    let _ = ep.remove_usock(s);
    *open = false;
    *left -= 1;
}

/// The publisher: `SrtSocket::sendmsg2`, paced at `mbps` for `total` payloads; then
/// everything acknowledged plus the latency, and close.
fn publish(port: u16, mbps: f64, total: u64) -> Result<u64, String> {
    let s = SrtSocket::open(&format!("srt://127.0.0.1:{port}?streamid=publish:{STREAM}"))
        .map_err(|e| format!("publisher: {e}"))?;
    let mut p = send::Pacer::new(mbps, total);
    let mut sent = 0;
    while let Some(batch) = p.due() {
        for seq in batch {
            s.sendmsg2(p.payload(seq), None)
                .map_err(|e| format!("publisher: {e} after {sent}"))?;
            sent += 1;
        }
        thread::sleep(send::SEND_TICK);
    }
    send::wait_delivered(s.id());
    thread::sleep(Duration::from_millis(420));
    Ok(sent)
}

fn one(n: usize, mbps: f64, seconds: f64) -> Result<Sample, String> {
    let total = (mbps * 1e6 / (PAYLOAD as f64 * 8.0) * seconds).round() as u64;
    let limit = 30 + seconds as u64 + n as u64 / 8;
    let cmd = self_child("relay", &[limit.to_string()]);
    let (run, u, stdout, stderr) = drive_port_child(cmd, Duration::from_secs(limit + 5), |port| {
        let (tx, rx) = std::sync::mpsc::channel();
        let rd =
            thread::spawn(move || readers(port, n, Duration::from_secs_f64(seconds + 20.0), tx));
        let connected = rx.recv().unwrap_or(0);
        let sent = if connected == n {
            publish(port, mbps, total)
        } else {
            Err(format!("{connected} of {n} readers connected"))
        };
        let got = rd.join().map_err(|_| "readers panicked".to_string())?;
        let sent = sent?;
        let (connected, received) = got?;
        Ok((sent, connected, received))
    })?;
    let (sent, connected, received) =
        run.map_err(|e| format!("relay, {n} readers: {e}; relay: {}", stderr.trim()))?;
    if !u.exit_ok {
        return Err(format!("relay failed ({}): {}", u.how, stderr.trim()));
    }
    Ok(Sample {
        readers: connected as u64,
        sent,
        relayed: result_field(&stdout, "sent").unwrap_or(0),
        received,
        dropped_readers: result_field(&stdout, "dropped_readers").unwrap_or(0),
        cpu: u.cpu.as_secs_f64(),
        rss_kib: u.maxrss_kib,
    })
}

pub fn run(o: &Opts) -> Result<(), String> {
    if cfg!(not(feature = "tokio")) {
        println!("\n(relay: built without --features tokio, so examples/relay.rs is not in it)");
        return Ok(());
    }
    let ns = o
        .readers
        .clone()
        .unwrap_or(if o.quick { vec![4] } else { vec![16, 64, 256] });
    let mbps = o.relay_mbps.unwrap_or(2.0);
    let seconds = o.seconds.unwrap_or(if o.quick { 1.0 } else { 5.0 });
    println!(
        "\n## relay: examples/relay.rs (tokio) in a child process, 1 publisher × {mbps} Mb/s \
         for {seconds} s to N readers, {} round(s); medians",
        o.rounds()
    );
    println!(
        "The publisher and the readers run in the bench (readers share one local port and one \
         Epoll thread). relay CPU (wait4) and peak RSS (VmHWM) are the relay process's, start \
         to end, handshakes included; per packet = per payload received by a reader.\n"
    );
    let mut t = Table::new(&[
        "readers",
        "connected",
        "published",
        "relay sent",
        "received by readers",
        "delivered/sent",
        "dropped readers",
        "relay CPU s",
        "relay CPU µs/pkt",
        "relay peak RSS MiB",
    ]);
    let mut failed = 0;
    for &n in &ns {
        let mut v = Vec::new();
        for _ in 0..o.rounds() {
            match one(n, mbps, seconds) {
                Ok(s) => v.push(s),
                Err(e) => {
                    eprintln!("relay {n}: {e}");
                    failed += 1;
                }
            }
        }
        let med = |f: &dyn Fn(&Sample) -> f64| {
            let mut x: Vec<f64> = v.iter().map(f).collect();
            median(&mut x)
        };
        t.row(vec![
            n.to_string(),
            format!("{:.0}", med(&|s| s.readers as f64)),
            format!("{:.0}", med(&|s| s.sent as f64)),
            format!("{:.0}", med(&|s| s.relayed as f64)),
            format!("{:.0}", med(&|s| s.received as f64)),
            format!(
                "{:.4}",
                med(&|s| s.received as f64 / (s.sent * s.readers).max(1) as f64)
            ),
            format!("{:.0}", med(&|s| s.dropped_readers as f64)),
            format!("{:.2}", med(&|s| s.cpu)),
            format!("{:.2}", med(&|s| s.cpu / s.received.max(1) as f64 * 1e6)),
            format!("{:.1}", med(&|s| s.rss_kib as f64 / 1024.0)),
        ]);
        if v.iter().any(|s| s.received == 0) {
            eprintln!("relay {n}: a run delivered nothing");
            failed += 1;
        }
    }
    t.print();
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} relay run(s) failed"))
    }
}
