//! test-c-server: a port of libsrt's examples/test-c-server.c to srtfu.
//!
//! Listens on HOST:PORT, accepts one caller and receives up to 100 messages, printing
//! `Got msg of len N << TEXT` for each, with the same progress lines as the C program, so
//! the two can be swapped for one another (and used with test-c-client from either side).
//!
//! ```text
//! cargo run --example test-c-server -- 127.0.0.1 9000
//! ```

use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;

use clap::Parser;
use srtfu::{SrtSocket, SRTO_RCVSYN};

/// Receive 100 messages from one SRT caller (port of libsrt's test-c-server.c).
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Local IP address to listen on.
    host: IpAddr,
    /// Port to listen on.
    port: u16,
}

fn step(text: &str) {
    println!("{text}");
}

fn main() -> ExitCode {
    let args = Args::parse();
    step("srt startup");
    if let Err(e) = srtfu::startup() {
        eprintln!("srt_startup: {e}");
        return ExitCode::FAILURE;
    }

    step("srt socket");
    let ss = match SrtSocket::new_raw() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("srt_socket: {e}");
            return ExitCode::FAILURE;
        }
    };

    step("srt bind address");
    let addr = (args.host, args.port);

    step("srt setsockflag");
    if let Err(e) = ss.setsockflag(SRTO_RCVSYN, true) {
        eprintln!("srt_setsockflag: {e}");
        return ExitCode::FAILURE;
    }

    step("srt bind");
    if let Err(e) = ss.bind(addr) {
        eprintln!("srt_bind: {e}");
        return ExitCode::FAILURE;
    }

    step("srt listen");
    if let Err(e) = ss.listen(2) {
        eprintln!("srt_listen: {e}");
        return ExitCode::FAILURE;
    }

    step("srt accept");
    let their = match ss.accept() {
        Ok((s, _peer)) => Some(s),
        Err(e) => {
            // The C program goes on with an invalid socket; its first recvmsg then fails.
            eprintln!("srt_accept: {e}");
            None
        }
    };

    let mut msg = [0u8; 2048];
    if let Some(their) = &their {
        for i in 0..100 {
            print!("srt recvmsg #{i}... ");
            let _ = std::io::stdout().flush();
            match their.recvmsg(&mut msg) {
                Ok(0) => {
                    println!("end of stream");
                    break;
                }
                Ok(n) => {
                    // The C program prints the buffer as a C string: up to the first NUL.
                    let text = &msg[..n];
                    let text = text.split(|b| *b == 0).next().unwrap_or_default();
                    println!("Got msg of len {n} << {}", String::from_utf8_lossy(text));
                }
                Err(e) => {
                    eprintln!("srt_recvmsg: {e}");
                    break;
                }
            }
        }
    }
    drop(their);

    step("srt close");
    if let Err(e) = ss.close() {
        eprintln!("srt_close: {e}");
        return ExitCode::FAILURE;
    }

    step("srt cleanup");
    let _ = srtfu::cleanup();
    ExitCode::SUCCESS
}
