//! Async sockets (`--features tokio`) against real libsrt sockets on loopback: connect and
//! accept, data both ways, file mode through AsyncRead/AsyncWrite, the async datagramer's
//! Stream and Sink, cancelled receives, connection failures and a killed peer.
#![cfg(feature = "tokio")]

mod async_support;
mod support;

use async_support::{caller_url, listener, pair, payload, LIMIT};
use futures_util::{SinkExt, StreamExt};
use srtfu::tokio::{AsyncDatagramer, AsyncSrtSocket};
use srtfu::{ErrorCode, RejectReason, SrtSocket, TransType};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

#[tokio::test]
async fn connect_accept_and_messages_both_ways() {
    let (server, client) = pair(TransType::Live).await;
    assert_eq!(server.socket().getsockstate(), srtfu::SockStatus::Connected);
    let mut buf = [0u8; 1500];
    // Pipelined (all sent, then all received): live mode delivers each message after the
    // latency (120 ms), once for the whole batch.
    let mut sent = Vec::new();
    for i in 0..200u32 {
        let out = payload(i, 1316);
        let (n, ctrl) = timeout(LIMIT, client.sendmsg2(&out, None))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 1316);
        sent.push(ctrl.msgno);
    }
    for i in 0..200u32 {
        let (got, rctrl) = timeout(LIMIT, server.recvmsg2(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            &buf[..got],
            &payload(i, 1316)[..],
            "message {i} client -> server"
        );
        assert_eq!(rctrl.msgno, sent[i as usize], "message number of {i}");
    }
    for i in 0..200u32 {
        let back = payload(i + 1000, 100 + i as usize);
        let n = server.send(&back).await.unwrap();
        assert_eq!(n, back.len());
    }
    for i in 0..200u32 {
        let got = timeout(LIMIT, client.recvmsg(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            &buf[..got],
            &payload(i + 1000, 100 + i as usize)[..],
            "message {i} server -> client"
        );
    }
}

#[tokio::test]
async fn file_mode_async_read_write_is_byte_exact() {
    let (mut server, mut client) = pair(TransType::File).await;
    let data = support::reliability::pattern(4 << 20, 7);
    let sent = data.clone();
    let writer = tokio::spawn(async move {
        client.write_all(&sent).await.unwrap();
        client.flush().await.unwrap();
        client.shutdown().await.unwrap();
        // Keep the socket until the reader has everything, then close.
        client
    });
    let mut got = vec![0u8; data.len()];
    timeout(LIMIT, server.read_exact(&mut got))
        .await
        .expect("4 MiB within the limit")
        .unwrap();
    assert!(got == data, "received bytes differ from what was sent");
    let client = writer.await.unwrap();
    drop(client);
    // The peer closed: the stream ends (0 bytes), never hangs.
    let mut rest = Vec::new();
    let n = timeout(LIMIT, server.read_to_end(&mut rest)).await.unwrap();
    assert_eq!(n.unwrap(), 0);
}

/// A receive future dropped while it waits (timed out, or the losing branch of a select)
/// takes no message: every message sent is received exactly once, in order.
#[tokio::test]
async fn dropped_receive_futures_lose_nothing() {
    let (server, client) = pair(TransType::Live).await;
    const N: u32 = 300;
    let sender = tokio::spawn(async move {
        for i in 0..N {
            client.sendmsg2(&payload(i, 188), None).await.unwrap();
            // Irregular gaps, so receives are cancelled at every stage.
            tokio::time::sleep(Duration::from_micros(200 + u64::from(i % 7) * 300)).await;
        }
        client
    });
    let mut buf = [0u8; 1500];
    let (mut next, mut cancelled) = (0u32, 0u32);
    let t0 = Instant::now();
    while next < N {
        assert!(t0.elapsed() < LIMIT, "only {next} of {N} messages");
        tokio::select! {
            r = server.recvmsg(&mut buf) => {
                let n = r.unwrap();
                assert_eq!(&buf[..n], &payload(next, 188)[..], "message {next}");
                next += 1;
            }
            _ = tokio::time::sleep(Duration::from_micros(300)) => cancelled += 1,
        }
    }
    let client = sender.await.unwrap();
    // Also a receive cancelled with nothing in flight, then one that gets the next message.
    assert!(
        timeout(Duration::from_millis(100), server.recvmsg(&mut buf))
            .await
            .is_err()
    );
    client.sendmsg2(b"after", None).await.unwrap();
    let n = timeout(LIMIT, server.recvmsg(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"after");
    eprintln!("{N} messages, {cancelled} receive futures dropped while waiting");
    assert!(cancelled > 0, "the test cancelled no receive");
}

#[tokio::test]
async fn datagramer_stream_sink_and_recv_into() {
    let (l, addr) = listener(TransType::Live, 1);
    let url = caller_url(addr, TransType::Live, "");
    let (acc, tx) = tokio::join!(l.accept(), srtfu::tokio::datagramer(&url));
    let mut rx = AsyncDatagramer::from_socket(acc.unwrap().0).unwrap();
    let mut tx = tx.unwrap();
    const N: u32 = 1000;
    let send = async {
        for i in 0..N {
            tx.feed(&payload(i, 1316)[..]).await.unwrap();
        }
        tx.flush().await.unwrap();
    };
    let recv = async {
        let mut got = 0u32;
        while got < N / 2 {
            let p = rx.next().await.expect("a payload").unwrap();
            assert_eq!(p, payload(got, 1316), "payload {got} (Stream)");
            got += 1;
        }
        let mut buf = vec![0u8; rx.min_buffer()];
        while got < N {
            let n = rx.recv_into(&mut buf).await.unwrap().expect("a payload");
            assert_eq!(
                &buf[..n],
                &payload(got, 1316)[..],
                "payload {got} (recv_into)"
            );
            got += 1;
        }
        got
    };
    let ((), got) = timeout(LIMIT, async { tokio::join!(send, recv) })
        .await
        .expect("1000 payloads within the limit");
    assert_eq!(got, N);
    // The peer closes: the stream ends cleanly.
    drop(tx);
    let end = timeout(LIMIT, rx.next())
        .await
        .expect("end within the limit");
    assert!(end.is_none(), "expected the end of the stream, got {end:?}");
}

#[tokio::test]
async fn connect_to_nothing_times_out_with_typed_error() {
    let port = support::reliability::free_port();
    let t0 = Instant::now();
    let r = timeout(
        LIMIT,
        AsyncSrtSocket::connect(&format!("srt://127.0.0.1:{port}?conntimeo=500")),
    )
    .await
    .expect("connect gave up within the limit");
    let err = r.expect_err("nothing listens there");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(err.code(), Some(ErrorCode::NoServer), "{err:?}");
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
}

#[tokio::test]
async fn listen_callback_rejection_reaches_the_async_caller() {
    // The callback is set before srt_listen: libsrt 1.5.4 and later refuse to set it on a
    // socket that already listens (SRT_ECONNSOCK), as the sync tests show.
    let mut l = AsyncSrtSocket::from_socket(SrtSocket::new_raw().unwrap()).unwrap();
    l.listen_callback(|caller| {
        if caller.streamid() == "allowed" {
            Ok(())
        } else {
            Err(RejectReason::User(2403))
        }
    })
    .unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(4).unwrap();
    let addr = l.socket().getsockname().unwrap();
    let url = caller_url(addr, TransType::Live, "&streamid=other");
    let err = timeout(LIMIT, AsyncSrtSocket::connect(&url))
        .await
        .unwrap()
        .expect_err("rejected by the callback");
    assert_eq!(err.code(), Some(ErrorCode::ConnRejected), "{err:?}");
    assert_eq!(
        err.reject_reason(),
        Some(RejectReason::User(2403)),
        "{err:?}"
    );
    let url = caller_url(addr, TransType::Live, "&streamid=allowed");
    let (acc, con) = timeout(LIMIT, async {
        tokio::join!(l.accept(), AsyncSrtSocket::connect(&url))
    })
    .await
    .unwrap();
    assert_eq!(acc.unwrap().0.socket().streamid().unwrap(), "allowed");
    con.unwrap();
}

/// srt-live-transmit feeds us and is killed with SIGKILL (no shutdown packet): the awaited
/// receive ends with a typed error in bounded time, never hangs.
#[tokio::test]
async fn killed_peer_ends_receive_with_typed_error() {
    use std::io::Write;
    assert!(
        support::reliability::have_tool("srt-live-transmit"),
        "srt-live-transmit is needed (install-libsrt.sh --with-tools)"
    );
    let (l, addr) = listener(TransType::Live, 1);
    let mut child = support::reliability::srt_live_transmit(
        "file://con",
        &format!("srt://127.0.0.1:{}?mode=caller", addr.port()),
        std::process::Stdio::piped(),
    );
    let (s, _) = timeout(Duration::from_secs(5), l.accept())
        .await
        .expect("srt-live-transmit connects")
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let chunk = [0x47u8; 1316];
        for _ in 0..2000 {
            if stdin.write_all(&chunk).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    let mut buf = [0u8; 1500];
    for _ in 0..50 {
        timeout(Duration::from_secs(3), s.recvmsg(&mut buf))
            .await
            .expect("data from srt-live-transmit")
            .unwrap();
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let killed = Instant::now();
    let err = timeout(Duration::from_secs(8), async {
        loop {
            match s.recvmsg(&mut buf).await {
                Ok(n) if n > 0 => continue, // already in flight
                Ok(n) => panic!("receive returned {n} after the peer was killed"),
                Err(e) => break e,
            }
        }
    })
    .await
    .expect("the receive ends within 8 s of the kill");
    let took = killed.elapsed();
    eprintln!("peer killed; async receive ended after {took:?}: {err}");
    support::reliability::assert_link_lost(&err);
    // Default SRTO_PEERIDLETIMEO is 5 s: bounded by that + 1 s.
    assert!(took < Duration::from_secs(6), "{took:?}");
    feeder.join().unwrap();
}
