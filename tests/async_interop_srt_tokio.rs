//! srtfu's async sockets against srt-tokio, an independent SRT implementation in pure Rust
//! (crates.io `srt-tokio`), as a real peer over loopback: srt-tokio sender → srtfu async
//! receiver and srtfu async sender → srt-tokio receiver, without and with a passphrase,
//! 1 000 payloads each, checked byte for byte and in order.
#![cfg(feature = "tokio")]

mod async_support;
mod support;

use async_support::{payload, LIMIT};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use srtfu::tokio::{AsyncDatagramer, AsyncSrtSocket};
use srtfu::{ErrorCode, KmState, SrtSocket, SRTO_KMSTATE, SRTO_MSS};
use std::time::{Duration, Instant};
use tokio::time::timeout;

const N: u32 = 1000;
const LEN: usize = 1316;
/// 1 316 bytes every 2 ms, about 5 Mb/s: srt-tokio's sender with default options keeps up
/// at that rate (it stalls from about 20 Mb/s).
const GAP: Duration = Duration::from_millis(2);
const PASSPHRASE: &str = "interop-passphrase-1";

fn srtfu_query(passphrase: bool) -> &'static str {
    if passphrase {
        "&passphrase=interop-passphrase-1&pbkeylen=16"
    } else {
        ""
    }
}

/// The connection is encrypted exactly when a passphrase was given.
fn assert_km(sock: &SrtSocket, passphrase: bool) {
    let km = sock.getsockflag(SRTO_KMSTATE).unwrap();
    let want = if passphrase {
        KmState::Secured
    } else {
        KmState::Unsecured
    };
    assert_eq!(km, want, "SRTO_KMSTATE with passphrase={passphrase}");
}

/// Receives N payloads on the srtfu side and checks each.
async fn srtfu_receives(rx: &mut AsyncDatagramer) {
    let mut buf = vec![0u8; rx.min_buffer()];
    for i in 0..N {
        let n = timeout(LIMIT, rx.recv_into(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("payload {i} within the limit"))
            .unwrap()
            .unwrap_or_else(|| panic!("stream ended after {i} payloads"));
        assert_eq!(&buf[..n], &payload(i, LEN)[..], "payload {i}");
    }
}

async fn srt_tokio_sender_to_srtfu_receiver(passphrase: bool) {
    let port = support::reliability::free_port();
    let mut builder = srt_tokio::SrtSocket::builder();
    if passphrase {
        builder = builder.encryption(16, PASSPHRASE);
    }
    let sender = tokio::spawn(async move {
        let mut s = builder
            .listen_on(format!("127.0.0.1:{port}").as_str())
            .await
            .expect("srt-tokio listens and accepts");
        for i in 0..N {
            s.send((Instant::now(), Bytes::from(payload(i, LEN))))
                .await
                .expect("srt-tokio send");
            tokio::time::sleep(GAP).await;
        }
        // Let the last packets arrive before the close.
        tokio::time::sleep(Duration::from_millis(500)).await;
        s.close().await.expect("srt-tokio close");
    });
    let url = format!(
        "srt://127.0.0.1:{port}?transtype=live&retries=5&conntimeo=1000{}",
        srtfu_query(passphrase)
    );
    let mut rx = timeout(LIMIT, srtfu::tokio::datagramer(&url))
        .await
        .expect("connect within the limit")
        .expect("srtfu connects to srt-tokio");
    assert_km(rx.socket().socket(), passphrase);
    srtfu_receives(&mut rx).await;
    timeout(LIMIT, sender).await.unwrap().unwrap();
}

async fn srtfu_sender_to_srt_tokio_receiver(passphrase: bool) {
    let s = SrtSocket::new(&format!(
        "srt://127.0.0.1:9?transtype=live{}",
        srtfu_query(passphrase)
    ))
    .unwrap();
    s.bind("127.0.0.1:0").unwrap();
    s.listen(1).unwrap();
    let port = s.getsockname().unwrap().port();
    let l = AsyncSrtSocket::from_socket(s).unwrap();
    let receiver = tokio::spawn(async move {
        let mut builder = srt_tokio::SrtSocket::builder();
        if passphrase {
            builder = builder.encryption(16, PASSPHRASE);
        }
        let mut r = builder
            .call(format!("127.0.0.1:{port}").as_str(), None)
            .await
            .expect("srt-tokio connects");
        let mut got = Vec::new();
        while got.len() < N as usize {
            match timeout(LIMIT, r.next()).await {
                Ok(Some(Ok((_, bytes)))) => got.push(bytes),
                Ok(Some(Err(e))) => panic!("srt-tokio receive: {e}"),
                Ok(None) => break,
                Err(_) => panic!("srt-tokio got {} of {N} within the limit", got.len()),
            }
        }
        got
    });
    let (sock, _) = timeout(LIMIT, l.accept()).await.unwrap().unwrap();
    assert_km(sock.socket(), passphrase);
    // srt-tokio offers an MSS of 1316 bytes in its handshake (libsrt takes the smaller
    // MSS), which leaves 1316 - 44 = 1272 bytes for a live payload. libsrt 1.5.3 and later
    // refuse a larger message (SRT_ELARGEMSG: "can't fit into a single data packet");
    // 1.5.1 sends 1316 bytes to srt-tokio all the same.
    let mss = usize::try_from(sock.socket().getsockflag(SRTO_MSS).unwrap()).unwrap();
    let tx = AsyncDatagramer::from_socket(sock).unwrap();
    let len = if srtfu::version() >= (1, 5, 3) && mss - 44 < LEN {
        let err = tx.send(&payload(0, LEN)[..]).await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::LargeMessage), "{err:?}");
        mss - 44
    } else {
        LEN
    };
    eprintln!(
        "libsrt {:?}: MSS {mss}, payloads of {len} bytes to srt-tokio",
        srtfu::version()
    );
    for i in 0..N {
        tx.send(&payload(i, len)[..]).await.unwrap();
        tokio::time::sleep(GAP).await;
    }
    let got = timeout(LIMIT, receiver).await.unwrap().unwrap();
    assert_eq!(got.len(), N as usize, "srt-tokio received every payload");
    for (i, p) in got.iter().enumerate() {
        assert_eq!(&p[..], &payload(i as u32, len)[..], "payload {i}");
    }
    drop(tx);
}

#[tokio::test]
async fn srt_tokio_sends_to_srtfu_async_receiver() {
    srt_tokio_sender_to_srtfu_receiver(false).await;
}

#[tokio::test]
async fn srt_tokio_sends_to_srtfu_async_receiver_with_passphrase() {
    srt_tokio_sender_to_srtfu_receiver(true).await;
}

#[tokio::test]
async fn srtfu_async_sends_to_srt_tokio_receiver() {
    srtfu_sender_to_srt_tokio_receiver(false).await;
}

#[tokio::test]
async fn srtfu_async_sends_to_srt_tokio_receiver_with_passphrase() {
    srtfu_sender_to_srt_tokio_receiver(true).await;
}
