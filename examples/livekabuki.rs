//! livekabuki: receives a live SRT stream and writes its payloads to stdout.
//!
//! ```text
//! cargo run --example livekabuki -- srt://127.0.0.1:4201 | ffplay -
//! cargo run --example livekabuki -- 'srt://:4201?mode=listener' > capture.ts
//! ```
//!
//! Each payload is written whole, in arrival order. The program ends with status 0 when the
//! sender closes the stream or the reader of stdout goes away (a broken pipe), and with
//! status 1 when the link breaks, times out or cannot be opened.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use srtfu::{Datagramer, LinkEvent, ReconnectPolicy};

/// Receive a live SRT stream and write it to stdout.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The stream: srt://host:port (caller) or srt://:port?mode=listener; any SRT option as a
    /// query key (latency, passphrase, streamid, ...).
    url: String,
    /// Give up after this many seconds without data.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// Reconnect after the link drops, forever, with backoff.
    #[arg(long)]
    reconnect: bool,
    /// Do not print the summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // libsrt's own log lines go to the `log` crate, which has no logger here: quiet stderr.
    srtfu::log::install();
    let mut builder = Datagramer::builder(&args.url);
    if let Some(t) = args.timeout {
        match Duration::try_from_secs_f64(t) {
            Ok(d) if !d.is_zero() => builder = builder.timeout(d),
            _ => {
                eprintln!("livekabuki: --timeout must be a positive number of seconds");
                return ExitCode::from(2);
            }
        }
    }
    if args.reconnect {
        builder = builder
            .reconnect(ReconnectPolicy::unbounded().after_clean_close(true))
            .on_link_event(|e| match e {
                LinkEvent::Dropped { error: None } => eprintln!("livekabuki: sender closed"),
                LinkEvent::Dropped { error: Some(e) } => eprintln!("livekabuki: link lost: {e}"),
                LinkEvent::AttemptFailed {
                    attempt, retry_in, ..
                } => eprintln!("livekabuki: attempt {attempt} failed, next in {retry_in:?}"),
                LinkEvent::Reconnected { attempt } => {
                    eprintln!("livekabuki: back after {attempt} attempt(s)")
                }
                _ => {}
            });
    }
    let mut feed = match builder.open() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("livekabuki: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = io::stdout().lock();
    let (mut payloads, mut bytes) = (0u64, 0u64);
    let status = loop {
        match feed.recv() {
            Ok(Some(p)) => {
                if let Err(e) = out.write_all(p).and_then(|_| out.flush()) {
                    if e.kind() == io::ErrorKind::BrokenPipe {
                        if !args.quiet {
                            eprintln!("livekabuki: stdout closed");
                        }
                        break ExitCode::SUCCESS;
                    }
                    eprintln!("livekabuki: writing to stdout: {e}");
                    break ExitCode::FAILURE;
                }
                payloads += 1;
                bytes += p.len() as u64;
            }
            Ok(None) => break ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("livekabuki: {e}");
                break ExitCode::FAILURE;
            }
        }
    };
    if !args.quiet {
        eprintln!("livekabuki: {payloads} payloads, {bytes} bytes");
    }
    status
}
