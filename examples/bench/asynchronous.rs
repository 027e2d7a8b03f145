//! The bench's contenders on tokio: srtfu's async sockets (cargo feature `tokio`) and
//! srt-tokio, an independent SRT stack in pure Rust, with its default options.
//!
//! Each runs on a current-thread tokio runtime, so the thread that polls the receive or send
//! future is the thread that called the child, as in the sync loops; srtfu's reactor thread
//! and libsrt's own threads are counted in the process CPU like every other contender's.

use super::*;
use futures_util::{SinkExt, StreamExt};

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))
}

/// What a live receiver counted, as its RESULT line.
#[derive(Default)]
pub struct Count {
    packets: u64,
    bytes: u64,
    odd: u64,
}

impl Count {
    /// Counts a payload of `n` bytes; `expected` is the payload size the sender uses.
    pub fn add(&mut self, n: usize, expected: usize) {
        self.packets += 1;
        self.bytes += n as u64;
        if n != expected {
            self.odd += 1;
        }
    }

    pub fn line(&self, cpu: Duration) -> String {
        format!(
            "packets={} bytes={} odd={} thread_cpu_ns={}",
            self.packets,
            self.bytes,
            self.odd,
            cpu.as_nanos()
        )
    }
}

/// srtfu async: `AsyncSrtSocket::recvmsg(&mut buf).await` until the sender closes.
#[cfg(feature = "tokio")]
pub fn live_async_socket(port: u16) -> Result<String, String> {
    runtime()?.block_on(async move {
        let url = format!("srt://127.0.0.1:{port}?transtype=live");
        let s = srtfu::tokio::AsyncSrtSocket::connect(&url)
            .await
            .map_err(|e| e.to_string())?;
        let mut buf = [0u8; 1500];
        let mut c = Count::default();
        let c0 = thread_cpu();
        while let Ok(n) = s.recvmsg(&mut buf).await {
            if n == 0 {
                break;
            }
            c.add(n, PAYLOAD);
        }
        Ok(c.line(thread_cpu() - c0))
    })
}

/// srtfu async: the datagramer's `recv_into` (the caller's buffer, no allocation per
/// payload) until the stream ends.
#[cfg(feature = "tokio")]
pub fn live_async_datagramer(port: u16) -> Result<String, String> {
    runtime()?.block_on(async move {
        let url = format!("srt://127.0.0.1:{port}");
        let mut d = srtfu::tokio::datagramer(&url)
            .await
            .map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; d.min_buffer()];
        let mut c = Count::default();
        let c0 = thread_cpu();
        while let Ok(Some(n)) = d.recv_into(&mut buf).await {
            c.add(n, PAYLOAD);
        }
        Ok(c.line(thread_cpu() - c0))
    })
}

/// srt-tokio with its default options as the receiver: its `Stream` of `(Instant, Bytes)`
/// until the sender closes. srt-tokio offers an MSS of 1316, so libsrt 1.5.3 and later send
/// it payloads of at most 1272 bytes (see the sender): the expected size is the first one's.
pub fn live_srt_tokio(port: u16) -> Result<String, String> {
    runtime()?.block_on(async move {
        let mut s = srt_tokio::SrtSocket::builder()
            .call(format!("127.0.0.1:{port}").as_str(), None)
            .await
            .map_err(|e| format!("srt-tokio connect: {e}"))?;
        let mut c = Count::default();
        let mut expected = None;
        let c0 = thread_cpu();
        while let Some(Ok((_, bytes))) = s.next().await {
            let want = *expected.get_or_insert(bytes.len());
            c.add(bytes.len(), want);
        }
        Ok(c.line(thread_cpu() - c0))
    })
}

/// The arguments of a live sender child: PORT MBPS TOTAL.
pub fn sender_args(args: &[String]) -> Result<(u16, f64, u64), String> {
    match args {
        [p, m, t] => Ok((
            p.parse().map_err(|e| format!("port {p:?}: {e}"))?,
            m.parse().map_err(|e| format!("rate {m:?}: {e}"))?,
            t.parse().map_err(|e| format!("total {t:?}: {e}"))?,
        )),
        _ => Err("usage: send-KIND PORT MBPS TOTAL".into()),
    }
}

/// srtfu async sender: `AsyncSrtSocket::sendmsg2(&buf, None).await`, paced; then waits until
/// libsrt has every payload acknowledged, plus the latency, before it closes.
#[cfg(feature = "tokio")]
pub fn send_async(args: &[String]) -> Result<String, String> {
    let (port, mbps, total) = sender_args(args)?;
    runtime()?.block_on(async move {
        let url = format!("srt://127.0.0.1:{port}?transtype=live");
        let s = srtfu::tokio::AsyncSrtSocket::connect(&url)
            .await
            .map_err(|e| e.to_string())?;
        let t0 = Instant::now();
        let mut pacer = send::Pacer::new(mbps, total);
        let (mut sent, mut err) = (0u64, None);
        'run: while let Some(batch) = pacer.due() {
            for seq in batch {
                if let Err(e) = s.sendmsg2(pacer.payload(seq), None).await {
                    err = Some(e.to_string());
                    break 'run;
                }
                sent += 1;
            }
            tokio::time::sleep(send::SEND_TICK).await;
        }
        let elapsed = t0.elapsed();
        let latency = raw::get_i32(s.id(), sys::SRTO_LATENCY).max(0) as u64;
        let drain = Instant::now();
        while raw::unacked(s.id()) > 0 && drain.elapsed() < Duration::from_secs(3) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(latency + 300)).await;
        match err {
            Some(e) => Err(format!("{e} after {sent} payloads")),
            None => Ok(send::sent_line(sent, elapsed)),
        }
    })
}

/// srt-tokio sender with its default options: its `Sink` of `(Instant, Bytes)`, paced. The
/// whole send is bounded (srt-tokio's sender can stop making progress at high rates): what it
/// had handed over by then is reported, over the bound as its sending time.
pub fn send_srt_tokio(args: &[String]) -> Result<String, String> {
    let (port, mbps, total) = sender_args(args)?;
    let seconds = total as f64 * PAYLOAD as f64 * 8.0 / (mbps * 1e6);
    runtime()?.block_on(async move {
        let mut s = srt_tokio::SrtSocket::builder()
            .call(format!("127.0.0.1:{port}").as_str(), None)
            .await
            .map_err(|e| format!("srt-tokio connect: {e}"))?;
        let t0 = Instant::now();
        let bound = Duration::from_secs_f64(seconds * 2.0 + 2.0);
        let mut pacer = send::Pacer::new(mbps, total);
        let (mut sent, mut err) = (0u64, None);
        'run: while let Some(batch) = pacer.due() {
            for seq in batch {
                let p = bytes::Bytes::copy_from_slice(pacer.payload(seq));
                let left = bound.saturating_sub(t0.elapsed());
                match tokio::time::timeout(left, s.send((Instant::now(), p))).await {
                    Ok(Ok(())) => sent += 1,
                    Ok(Err(e)) => {
                        err = Some(format!("srt-tokio send: {e}"));
                        break 'run;
                    }
                    // Out of time: what it took so far is its result.
                    Err(_) => break 'run,
                }
            }
            tokio::time::sleep(send::SEND_TICK).await;
        }
        let elapsed = t0.elapsed();
        let _ = tokio::time::timeout(Duration::from_secs(3), s.close()).await;
        match err {
            Some(e) => Err(format!("{e} after {sent} payloads")),
            None => Ok(send::sent_line(sent, elapsed)),
        }
    })
}

/// srtfu async file sender: `tokio::io::AsyncWriteExt::write_all` of 1 MiB chunks on an
/// `AsyncSrtSocket` in file mode; waits until libsrt has everything acknowledged (a
/// non-blocking close would not wait), then closes.
#[cfg(feature = "tokio")]
pub fn file_send_async(args: &[String]) -> Result<String, String> {
    use tokio::io::AsyncWriteExt;
    let (port, mib) = send::file_sender_args(args)?;
    runtime()?.block_on(async move {
        let url = format!("srt://127.0.0.1:{port}?transtype=file");
        let mut s = srtfu::tokio::AsyncSrtSocket::connect(&url)
            .await
            .map_err(|e| e.to_string())?;
        let chunk = send::file_chunk();
        let t0 = Instant::now();
        for _ in 0..mib {
            s.write_all(&chunk).await.map_err(|e| e.to_string())?;
        }
        s.flush().await.map_err(|e| e.to_string())?;
        let id = s.id();
        send::wait_delivered(id);
        let elapsed = t0.elapsed();
        s.close().map_err(|e| e.to_string())?;
        Ok(send::sent_line(mib << 20, elapsed))
    })
}
