//! test-c-client: a port of libsrt's examples/test-c-client.c to srtfu.
//!
//! Connects to HOST:PORT and sends 100 messages, one every millisecond, printing the same
//! lines as the C program. The message is the C program's string with its terminating NUL
//! (46 bytes), so a C test-c-server prints the same `Got msg of len 46 << ...` lines.
//!
//! One difference: before closing, this port waits for the connection's latency
//! (`srtfu::close_after_latency`), because libsrt 1.5.1's receiver drops the messages it
//! still holds back for their delivery time when the sender's close arrives.
//!
//! ```text
//! cargo run --example test-c-client -- 127.0.0.1 9000
//! ```

use std::net::IpAddr;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use clap::Parser;
use srtfu::{SrtSocket, SRTO_SENDER};

/// The C program's message, with the NUL a C `sizeof` counts.
const MESSAGE: &[u8] = b"This message should be sent to the other side\0";

/// Send 100 messages to an SRT listener (port of libsrt's test-c-client.c).
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// IP address of the listener.
    host: IpAddr,
    /// Port of the listener.
    port: u16,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let text = String::from_utf8_lossy(&MESSAGE[..MESSAGE.len() - 1]);
    println!("srt startup");
    if let Err(e) = srtfu::startup() {
        eprintln!("srt_startup: {e}");
        return ExitCode::FAILURE;
    }

    println!("srt socket");
    let ss = match SrtSocket::new_raw() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("srt_socket: {e}");
            return ExitCode::FAILURE;
        }
    };

    println!("srt remote address");
    let addr = (args.host, args.port);

    println!("srt setsockflag");
    if let Err(e) = ss.setsockflag(SRTO_SENDER, true) {
        eprintln!("srt_setsockflag: {e}");
        return ExitCode::FAILURE;
    }

    println!("srt connect");
    if let Err(e) = ss.connect(addr) {
        eprintln!("srt_connect: {e}");
        return ExitCode::FAILURE;
    }

    for i in 0..100 {
        println!("srt sendmsg2 #{i} >> {text}");
        if let Err(e) = ss.sendmsg2(MESSAGE, None) {
            eprintln!("srt_sendmsg: {e}");
            return ExitCode::FAILURE;
        }
        thread::sleep(Duration::from_millis(1));
    }

    println!("srt close");
    if let Err(e) = srtfu::close_after_latency(ss, Duration::from_millis(50)) {
        eprintln!("srt_close: {e}");
        return ExitCode::FAILURE;
    }

    println!("srt cleanup");
    let _ = srtfu::cleanup();
    ExitCode::SUCCESS
}
