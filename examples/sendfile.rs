//! The file server of libsrt's `examples/sendfile.cpp`, on srtfu's [`FileServer`]: serves the
//! files under ROOT to callers speaking the sendfile/recvfile protocol (int32 name length, the
//! name; answer int64 size or -1, then the bytes).
//!
//! ```text
//! cargo run --example sendfile -- 9000 /srv/files
//! cargo run --example recvfile -- srt://127.0.0.1:9000 movie.ts /tmp/movie.ts
//! ```
//!
//! Unlike libsrt's example it only serves files under ROOT (not any path on the machine), and
//! sends with `srt_send` rather than `srt_sendfile`, which stalls on libsrt 1.5.1.

use clap::Parser;
use srtfu::FileServer;
use std::path::PathBuf;

/// Serve the files under ROOT over SRT (file mode), like libsrt's sendfile example.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// UDP port to listen on (all interfaces).
    #[arg(default_value_t = 9000)]
    port: u16,
    /// Directory whose files are served (nothing outside it).
    #[arg(default_value = ".")]
    root: PathBuf,
    /// Extra srt:// query options for the listener, e.g. "passphrase=0123456789&maxbw=0".
    #[arg(long)]
    options: Option<String>,
}

/// Prints the server's log lines (requests served and refused) to stderr.
struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= log::Level::Info
    }
    fn log(&self, r: &log::Record) {
        if self.enabled(r.metadata()) {
            eprintln!("[{}] {}", r.level(), r.args());
        }
    }
    fn flush(&self) {}
}

fn main() {
    let args = Args::parse();
    let _ = log::set_logger(&StderrLog).map(|()| log::set_max_level(log::LevelFilter::Info));
    let mut url = format!("srt://:{}", args.port);
    if let Some(o) = &args.options {
        url = format!("{url}?{o}");
    }
    let server = match FileServer::bind(&url, &args.root) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sendfile: {e}");
            std::process::exit(1);
        }
    };
    match server.local_addr() {
        Ok(a) => println!(
            "server is ready at port: {} (serving {})",
            a.port(),
            server.root().display()
        ),
        Err(e) => eprintln!("sendfile: {e}"),
    }
    if let Err(e) = server.serve() {
        eprintln!("sendfile: {e}");
        std::process::exit(1);
    }
}
