//! The end of a stream, as `recv`, `recvmsg`, `recvmsg2` and `io::Read` report it after the
//! peer closed, on real libsrt sockets over loopback, for the libsrt version loaded.

mod support;

use std::io::Read;
use std::thread;
use std::time::{Duration, Instant};

use srtfu::{ErrorCode, SrtSocket, TransType};
use support::pair;

/// The peer sends `msg` and closes; returns the receiving side once the close has arrived.
fn closed_after(transtype: TransType, msg: &[u8]) -> SrtSocket {
    let (client, server) = pair(transtype);
    client.sendmsg(msg, None, true).unwrap();
    // Let the data be acknowledged before the close (a file-mode close drops nothing
    // anyway; live mode delivers only what is due).
    thread::sleep(Duration::from_millis(200));
    client.close().unwrap();
    server
}

#[test]
fn file_mode_reads_zero_at_the_end_again_and_again_then_fails_once_collected() {
    let server = closed_after(TransType::File, b"hello");
    let mut buf = [0u8; 1500];
    assert_eq!(server.recv(&mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"hello");

    // The end of the stream: 0 from every kind of receive while libsrt keeps the socket.
    assert_eq!(server.recv(&mut buf).unwrap(), 0);
    assert_eq!(server.recvmsg(&mut buf).unwrap(), 0);
    assert_eq!(server.recvmsg2(&mut buf).unwrap().0, 0);
    assert_eq!((&server).read(&mut buf).unwrap(), 0);

    // Then libsrt collects the broken socket (0.7-1 s on loopback, measured on 1.5.1 and
    // 1.5.3) and every receive fails with SRT_EINVSOCK. Until then only 0 comes back.
    let deadline = Instant::now() + Duration::from_secs(10);
    let err = loop {
        match server.recv(&mut buf) {
            Ok(0) => {}
            Ok(n) => panic!("{n} bytes after the end of the stream"),
            Err(e) => break e,
        }
        assert!(Instant::now() < deadline, "libsrt kept the socket 10 s");
        thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(err.code(), Some(ErrorCode::InvalidSocket), "{err}");
    // io::Read says the same, as BrokenPipe.
    let io = (&server).read(&mut buf).unwrap_err();
    assert_eq!(io.kind(), std::io::ErrorKind::BrokenPipe, "{io}");
}

#[test]
fn live_mode_reports_the_close_as_each_libsrt_version_does() {
    let server = closed_after(TransType::Live, b"last");
    let mut buf = [0u8; 1500];
    assert_eq!(server.recvmsg(&mut buf).unwrap(), 4);
    thread::sleep(Duration::from_millis(300)); // the close has arrived
    let err = server.recvmsg(&mut buf).unwrap_err();
    let mut io_buf = [0u8; 1500];
    let read = (&server).read(&mut io_buf);
    if srtfu::version() < (1, 5, 3) {
        // libsrt 1.5.1: the socket is kept, the close reads as a lost connection, which
        // io::Read turns into the end of the stream.
        assert_eq!(err.code(), Some(ErrorCode::ConnLost), "{err}");
        assert_eq!(read.unwrap(), 0);
    } else {
        // libsrt 1.5.3 and later collect the socket as soon as the peer closed.
        assert_eq!(err.code(), Some(ErrorCode::InvalidSocket), "{err}");
        assert_eq!(
            read.unwrap_err().kind(),
            std::io::ErrorKind::BrokenPipe,
            "io::Read after the socket was collected"
        );
    }
}

#[test]
fn read_to_end_stops_at_the_end_of_a_file_mode_stream() {
    let (client, server) = pair(TransType::File);
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let sender = {
        let data = data.clone();
        thread::spawn(move || {
            let mut sent = 0;
            while sent < data.len() {
                sent += client.send(&data[sent..]).unwrap();
            }
            // Give libsrt time to deliver before the close (a file-mode close waits for
            // SRTO_LINGER, but keep the test independent of that).
            thread::sleep(Duration::from_millis(300));
            client.close().unwrap();
        })
    };
    let mut got = Vec::new();
    let t = Instant::now();
    (&server).read_to_end(&mut got).unwrap();
    assert!(t.elapsed() < Duration::from_secs(10));
    assert_eq!(got.len(), data.len());
    assert!(got == data, "the bytes differ");
    sender.join().unwrap();
}
