//! `fetch` must not lose the server's first packet (BENCHMARKS.md, "File-mode stalls: cause").
//!
//! A blocking `srt_connect` completes the handshake in the calling thread and leaves libsrt's
//! receive thread to register the connection on its next turn; a packet that thread reads in
//! between is ignored ("no sockets expect socket ..."). In file mode that first loss reaches
//! the sender in slow start, before any ACK has told it the delivery rate, and FileCC drops
//! to its initial 16 packets/s, from which it takes minutes to recover. `fetch` therefore
//! connects with SRTO_RCVSYN off (libsrt's receive thread then finishes the handshake and
//! registers the connection itself) and waits for the connected state.
//!
//! The servers here answer the moment they accept (before reading the request), which puts
//! the first data packet straight into that window; a FileServer, which answers after the
//! request, hits it in some runs too. Every transfer is bounded: a stalled one fails the test
//! instead of hanging it.

mod filesupport;

use filesupport::{make_file, server, sha256_file, url};
use srtfu::{fetch, SrtSocket, SRTO_SNDDATA};
use std::io::Read;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// A healthy 1 MiB transfer over loopback takes milliseconds; a collapsed one (16-30
/// packets/s) takes over 20 s. 10 s leaves room for a loaded machine.
const LIMIT: Duration = Duration::from_secs(10);
const ROUNDS: usize = 8;
const SIZE: usize = 1 << 20;

/// Runs `fetch(url, name, local)` in a thread; the summary, or None if it took over LIMIT.
fn bounded_fetch(
    url: String,
    name: &str,
    local: std::path::PathBuf,
) -> Option<srtfu::FetchSummary> {
    let (tx, rx) = mpsc::channel();
    let name = name.to_string();
    thread::spawn(move || {
        let _ = tx.send(fetch(&url, &name, &local));
    });
    match rx.recv_timeout(LIMIT) {
        Ok(r) => Some(r.expect("fetch")),
        Err(_) => None,
    }
}

#[test]
fn fetch_gets_a_server_that_answers_at_once_at_full_speed() {
    let listener =
        Arc::new(SrtSocket::new("srt://127.0.0.1:0?mode=listener&transtype=file").unwrap());
    listener.bind_url().unwrap();
    listener.listen(4).unwrap();
    let port = listener.getsockname().unwrap().port();
    let data: Arc<Vec<u8>> = Arc::new((0..SIZE).map(|i| (i * 7 % 251) as u8).collect());
    let dst = tempfile::tempdir().unwrap();
    let mut stalled = Vec::new();
    for round in 0..ROUNDS {
        let (conn_tx, conn_rx) = mpsc::channel::<Arc<SrtSocket>>();
        let srv = {
            // The server: accept, then at once the size (i64 LE) and the bytes; the request
            // is read afterwards; then wait (bounded) until all is acknowledged.
            let (l, data) = (Arc::clone(&listener), Arc::clone(&data));
            thread::spawn(move || {
                let (s, _) = l.accept().expect("accept");
                let s = Arc::new(s);
                let _ = conn_tx.send(Arc::clone(&s));
                let mut out = (SIZE as i64).to_le_bytes().to_vec();
                out.extend_from_slice(&data);
                let mut sent = 0;
                while sent < out.len() {
                    match s.send(&out[sent..]) {
                        Ok(n) => sent += n,
                        Err(_) => return,
                    }
                }
                let mut req = [0u8; 5];
                let _ = (&*s).read_exact(&mut req);
                let t = Instant::now();
                while t.elapsed() < LIMIT && s.getsockflag(SRTO_SNDDATA).unwrap_or(0) > 0 {
                    thread::sleep(Duration::from_millis(2));
                }
            })
        };
        let local = dst.path().join(format!("r{round}"));
        let t = Instant::now();
        let got = bounded_fetch(format!("srt://127.0.0.1:{port}"), "x", local.clone());
        match got {
            Some(s) => {
                assert_eq!(s.bytes, SIZE as u64);
                assert_eq!(std::fs::read(&local).unwrap(), *data);
                eprintln!(
                    "round {round}: {:?}, receiver lost {} packets",
                    t.elapsed(),
                    s.stats.pkt_rcv_loss_total
                );
            }
            None => {
                let conn = conn_rx.try_recv().ok();
                let st = conn.as_ref().and_then(|c| c.bstats(false).ok());
                stalled.push(format!(
                    "round {round}: not done after {LIMIT:?}; sender: {:?}",
                    st.map(|s| (
                        s.pkt_sent_total,
                        s.pkt_snd_loss_total,
                        s.us_pkt_snd_period,
                        s.mbps_send_rate
                    ))
                ));
                if let Some(c) = conn {
                    let _ = c.close_ref();
                }
            }
        }
        let _ = srv.join();
    }
    assert!(
        stalled.is_empty(),
        "{} of {ROUNDS} transfers stalled (sender stats: packets sent, reported lost, \
         usPktSndPeriod, Mb/s):\n{}",
        stalled.len(),
        stalled.join("\n")
    );
}

#[test]
fn fetch_from_file_server_never_stalls() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    let want = make_file(&src.path().join("f"), SIZE as u64, 3);
    let h = server(src.path());
    let mut stalled = 0;
    for round in 0..ROUNDS {
        let local = dst.path().join(format!("r{round}"));
        match bounded_fetch(url(&h), "f", local.clone()) {
            Some(s) => {
                assert_eq!(s.bytes, SIZE as u64);
                assert_eq!(sha256_file(&local), want);
            }
            None => stalled += 1,
        }
    }
    assert_eq!(stalled, 0, "{stalled} of {ROUNDS} fetches stalled");
}
