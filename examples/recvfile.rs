//! The client of libsrt's `examples/recvfile.cpp`, on [`srtfu::Fetch`]: downloads one file
//! from a sendfile server (srtfu's or libsrt's), with a progress bar and a one-line summary.
//!
//! ```text
//! cargo run --example recvfile -- srt://127.0.0.1:9000 movie.ts /tmp/movie.ts
//! cargo run --example recvfile -- 127.0.0.1 9000 movie.ts /tmp/movie.ts   # libsrt's form
//! ```

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use srtfu::Fetch;
use std::path::PathBuf;

/// Fetch REMOTE from a sendfile server into LOCAL over SRT (file mode).
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// srt://host:port[?options] of the server, or the server's host (libsrt's form: then
    /// the next argument is the port).
    url: String,
    /// Remote file name (or, in libsrt's form, the port).
    remote: String,
    /// Local file to write (or, in libsrt's form, the remote name).
    local: String,
    /// In libsrt's four-argument form: the local file.
    extra: Option<PathBuf>,
    /// Request the file through the stream id (#!::t=file,m=request,r=NAME) instead of the
    /// length-prefixed name; needs srtfu's server.
    #[arg(long)]
    streamid: bool,
}

fn main() {
    let a = Args::parse();
    let (url, remote, local) = match a.extra {
        Some(local) => (format!("srt://{}:{}", a.url, a.remote), a.local, local),
        None => (a.url, a.remote, PathBuf::from(a.local)),
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
        .expect("progress template"),
    );
    let res = Fetch::new()
        .request_by_streamid(a.streamid)
        .progress(|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .url(&url, &remote, &local);
    bar.finish_and_clear();
    match res {
        Ok(s) => println!(
            "{} -> {}: {} bytes in {:.3} s ({:.1} MB/s, {} packets retransmitted, {} lost)",
            remote,
            local.display(),
            s.bytes,
            s.duration.as_secs_f64(),
            s.megabytes_per_second(),
            s.stats.pkt_retrans_total,
            s.stats.pkt_rcv_loss_total
        ),
        Err(e) => {
            eprintln!("recvfile: {e}");
            std::process::exit(1);
        }
    }
}
