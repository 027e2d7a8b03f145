//! The benchmark itself, shared by `examples/bench/main.rs` and `tests/bench_quick.rs`.
//!
//! Receivers whose CPU and memory we compare run as child processes: the benchmark re-invokes
//! its own executable with the hidden `__child` subcommand (or runs srt-live-transmit /
//! srt-file-transmit), then reaps the child with `wait4`, whose `rusage` gives the process's
//! CPU time (user + system, all of libsrt's threads included); its peak RSS is VmHWM from
//! /proc/PID/status, sampled while it runs. Senders and servers run in the benchmark process
//! itself, so their work is not counted against any receiver.

use std::ffi::CStr;
use std::fs::File;
use std::io::{Read, Write};
use std::os::raw::{c_char, c_int, c_void};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use srtfu::sys;

/// The Epoll server of examples/server.rs, benchmarked as it is.
#[allow(dead_code)]
#[path = "../server.rs"]
mod server;

/// The sending side (live and file senders in child processes).
#[path = "send.rs"]
mod send;

/// Contenders on tokio: srtfu's async sockets and srt-tokio.
#[path = "asynchronous.rs"]
mod asynchronous;

/// The relay (examples/relay.rs) with one publisher and many readers.
#[path = "fanout.rs"]
mod fanout;

/// Live payload size: 7 MPEG-TS packets.
const PAYLOAD: usize = 1316;

#[derive(Parser, Debug)]
#[command(
    name = "bench",
    about = "srtfu side by side with raw srt-sys loops and the SRT tools (see BENCHMARKS.md)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Live receive: a paced sender, receivers in child processes.
    Live(Opts),
    /// File transfer: one file from an in-process server, receivers in child processes.
    File(Opts),
    /// Message round trip (live, small messages): SrtSocket vs raw srt-sys.
    Rtt(Opts),
    /// Per-call overhead of SrtSocket over the raw srt-sys call (see also benches/overhead.rs).
    Overhead(Opts),
    /// Many live callers into one single-thread Epoll server.
    Many(Opts),
    /// The sending side: live senders paced and at their highest clean rate, file senders.
    Send(Opts),
    /// examples/relay.rs (tokio): one publisher to N readers.
    Relay(Opts),
    /// Every scenario in turn.
    All(Opts),
    /// Internal: a receiver run as a child process.
    #[command(name = "__child", hide = true)]
    Child {
        /// Which receiver.
        kind: String,
        /// Its arguments.
        args: Vec<String>,
    },
}

#[derive(Args, Debug, Clone, Default)]
struct Opts {
    /// A few seconds per scenario (what CI runs); the numbers mean little.
    #[arg(long)]
    quick: bool,
    /// Rounds per scenario (each round runs every contender once, in rotating order).
    #[arg(long)]
    rounds: Option<usize>,
    /// Live rates in Mb/s, comma separated (default 100,300,500; quick: 100).
    #[arg(long, value_delimiter = ',')]
    rates: Option<Vec<u32>>,
    /// Seconds of live stream per run (default 5; quick: 1).
    #[arg(long)]
    seconds: Option<f64>,
    /// File size in MiB (default 1024; quick: 32).
    #[arg(long)]
    size_mib: Option<u64>,
    /// Directory for the file scenario's files (default /dev/shm if present, else the temp
    /// dir): the benchmark measures SRT, not the disk.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Messages per round in the round-trip scenario (default 2000; quick: 200).
    #[arg(long)]
    messages: Option<usize>,
    /// Callers per run in the many-connections scenario (default 16,64,256; quick: 16).
    #[arg(long, value_delimiter = ',')]
    callers: Option<Vec<usize>>,
    /// Rate of each caller in the many-connections scenario, Mb/s (default 1).
    #[arg(long)]
    caller_mbps: Option<f64>,
    /// The server's receive buffer per caller in the many-connections scenario, bytes
    /// (examples/server.rs --rcvbuf; default: libsrt's).
    #[arg(long)]
    server_rcvbuf: Option<i32>,
    /// File scenario: which receivers run, comma separated, from fetch, socket, raw, ft
    /// (srt-file-transmit); default all.
    #[arg(long, value_delimiter = ',')]
    receivers: Option<Vec<String>>,
    /// File scenario, experiments: the raw and SrtSocket receivers wait this long after
    /// their connection is made before they send the request.
    #[arg(long)]
    connect_wait_ms: Option<u64>,
    /// File scenario, experiments: the raw and SrtSocket receivers connect with a blocking
    /// srt_connect instead of connecting non-blocking and waiting for the connection (see
    /// BENCHMARKS.md, "File-mode stalls: cause"); fetch is not affected by this switch.
    #[arg(long)]
    blocking_connect: bool,
    /// File scenario, experiments: the server waits this long after srt_accept before it
    /// reads the request (or, for srt-file-transmit, sends the first byte).
    #[arg(long)]
    accept_wait_ms: Option<u64>,
    /// File scenario, experiments: options set on the server's listener (so on every
    /// accepted socket), `key=value` with srt-live-transmit's keys (fc, rcvbuf, udp_rcvbuf,
    /// mss, maxbw, ...), comma separated.
    #[arg(long, value_delimiter = ',')]
    server_opt: Vec<String>,
    /// File scenario, experiments: options set on every receiver's socket (as --server-opt;
    /// in the URL for fetch and srt-file-transmit).
    #[arg(long, value_delimiter = ',')]
    client_opt: Vec<String>,
    /// Send scenario: the rates of the ramp that finds each live sender's highest rate with
    /// 0 loss, Mb/s, comma separated (default 10,20,50,100,200,400,600,800,1000,1300,1600,2000).
    #[arg(long, value_delimiter = ',')]
    max_rates: Option<Vec<u32>>,
    /// Relay scenario: readers per run, comma separated (default 16,64,256; quick: 4).
    #[arg(long, value_delimiter = ',')]
    readers: Option<Vec<usize>>,
    /// Relay scenario: the publisher's rate, Mb/s (default 2).
    #[arg(long)]
    relay_mbps: Option<f64>,
    /// Fail (exit 1) when srt-live-transmit or srt-file-transmit is missing, instead of
    /// leaving their rows out. Implied by CI=true.
    #[arg(long)]
    require_tools: bool,
}

impl Opts {
    fn rounds(&self) -> usize {
        self.rounds.unwrap_or(if self.quick { 1 } else { 3 }).max(1)
    }
    fn require_tools(&self) -> bool {
        self.require_tools || std::env::var("CI").map(|v| v == "true").unwrap_or(false)
    }
    /// Whether the external contender `name` can run: an error when it is missing and tools
    /// are required, otherwise false with a note that its row is left out.
    fn use_tool(&self, name: &str) -> Result<bool, String> {
        if tool_available(name) {
            Ok(true)
        } else if self.require_tools() {
            Err(format!(
                "{name} is not installed (install-libsrt.sh --with-tools)"
            ))
        } else {
            println!("({name} not found: its row is left out)");
            Ok(false)
        }
    }
}

/// Runs the benchmark with command-line arguments (`args[0]` is the program name); returns
/// the process exit code.
pub fn main_with(args: Vec<String>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    // BENCH_SRT_LOG=warn|info|debug: libsrt's own log (to stderr) at that level, for
    // experiments; children inherit it.
    srtfu::log::set_level(match std::env::var("BENCH_SRT_LOG").as_deref() {
        Ok("warn") => log::LevelFilter::Warn,
        Ok("info") => log::LevelFilter::Info,
        Ok("debug") => log::LevelFilter::Debug,
        _ => log::LevelFilter::Error,
    });
    let result = match cli.cmd {
        Cmd::Child { kind, args } => return child::main(&kind, &args),
        Cmd::Live(o) => with_header(&o, live::run),
        Cmd::File(o) => with_header(&o, file::run),
        Cmd::Rtt(o) => with_header(&o, rtt::run),
        Cmd::Overhead(o) => with_header(&o, overhead::run),
        Cmd::Many(o) => with_header(&o, many::run),
        Cmd::Send(o) => with_header(&o, send::run),
        Cmd::Relay(o) => with_header(&o, fanout::run),
        Cmd::All(o) => with_header(&o, |o| {
            let mut fails = Vec::new();
            for (name, f) in [
                ("live", live::run as fn(&Opts) -> Result<(), String>),
                ("file", file::run),
                ("rtt", rtt::run),
                ("overhead", overhead::run),
                ("many", many::run),
                ("send", send::run),
                ("relay", fanout::run),
            ] {
                if let Err(e) = f(o) {
                    eprintln!("scenario {name} FAILED: {e}");
                    fails.push(name);
                }
            }
            if fails.is_empty() {
                Ok(())
            } else {
                Err(format!("failed scenarios: {}", fails.join(", ")))
            }
        }),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("bench: {e}");
            1
        }
    }
}

fn with_header(o: &Opts, f: impl FnOnce(&Opts) -> Result<(), String>) -> Result<(), String> {
    let (maj, min, pat) = srtfu::version();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    println!(
        "# srtfu bench{}: {cores} cores, {cpu}, libsrt {maj}.{min}.{pat}, load average {} at start",
        if o.quick { " (quick)" } else { "" },
        load.join(" ")
    );
    f(o)
}

// ----- helpers ------------------------------------------------------------------------------

/// Raw srt-sys calls, as a C program would make them. Every data-path call a "raw"
/// contender measures is one of these.
mod raw {
    use super::*;

    pub type Sock = sys::SRTSOCKET;

    /// libsrt's message for the last error on this thread.
    pub fn last_error(call: &str) -> String {
        // SAFETY: srt_getlasterror_str returns a NUL-terminated string owned by libsrt's
        // thread-local state, valid until the next libsrt call on this thread; copied at once.
        let msg = unsafe { CStr::from_ptr(sys::srt_getlasterror_str()) };
        format!("{call}: {}", msg.to_string_lossy())
    }

    fn check(rc: c_int, call: &str) -> Result<c_int, String> {
        if rc < 0 {
            Err(last_error(call))
        } else {
            Ok(rc)
        }
    }

    pub fn socket() -> Result<Sock, String> {
        srtfu::startup().map_err(|e| e.to_string())?;
        // SAFETY: srt_startup ran (srtfu::startup); no other precondition.
        let s = unsafe { sys::srt_create_socket() };
        if s == sys::SRT_INVALID_SOCK {
            return Err(last_error("srt_create_socket"));
        }
        Ok(s)
    }

    pub fn set_i32(s: Sock, opt: sys::SRT_SOCKOPT, v: i32) -> Result<(), String> {
        // SAFETY: v is an int living across the call; its size is passed.
        let rc =
            unsafe { sys::srt_setsockflag(s, opt, &v as *const i32 as *const c_void, 4 as c_int) };
        check(rc, "srt_setsockflag").map(drop)
    }

    pub fn set_i64(s: Sock, opt: sys::SRT_SOCKOPT, v: i64) -> Result<(), String> {
        // SAFETY: v is an int64 living across the call; its size is passed.
        let rc =
            unsafe { sys::srt_setsockflag(s, opt, &v as *const i64 as *const c_void, 8 as c_int) };
        check(rc, "srt_setsockflag").map(drop)
    }

    /// Sets an option given as `key=value` with srt-live-transmit's key (the option's name,
    /// lowercase, without `SRTO_`). Only the integer options the file experiments vary.
    pub fn set_named(s: Sock, kv: &str) -> Result<(), String> {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("option {kv:?}: expected key=value"))?;
        let v: i64 = v.parse().map_err(|e| format!("option {kv:?}: {e}"))?;
        let opt = match k {
            "maxbw" => return set_i64(s, sys::SRTO_MAXBW, v),
            "fc" => sys::SRTO_FC,
            "rcvbuf" => sys::SRTO_RCVBUF,
            "sndbuf" => sys::SRTO_SNDBUF,
            "udp_rcvbuf" => sys::SRTO_UDP_RCVBUF,
            "udp_sndbuf" => sys::SRTO_UDP_SNDBUF,
            "mss" => sys::SRTO_MSS,
            "payloadsize" => sys::SRTO_PAYLOADSIZE,
            other => return Err(format!("option {other:?} is not one the bench sets")),
        };
        let v = i32::try_from(v).map_err(|e| format!("option {kv:?}: {e}"))?;
        set_i32(s, opt, v).map_err(|e| format!("{kv}: {e}"))
    }

    /// An int option's value, or -1 when libsrt refuses the read.
    pub fn get_i32(s: Sock, opt: sys::SRT_SOCKOPT) -> c_int {
        let mut v: i32 = 0;
        let mut len: c_int = 4;
        // SAFETY: v and len are valid for writes; libsrt writes at most len bytes.
        let rc =
            unsafe { sys::srt_getsockflag(s, opt, &mut v as *mut i32 as *mut c_void, &mut len) };
        if rc < 0 {
            -1
        } else {
            v
        }
    }

    fn loopback(port: u16) -> libc::sockaddr_in {
        // SAFETY: sockaddr_in is plain old data; all-zero is valid.
        let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
        sa.sin_family = libc::AF_INET as libc::sa_family_t;
        sa.sin_port = port.to_be();
        sa.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
        sa
    }

    /// A listener on 127.0.0.1:0 with the given transtype; returns it and its port.
    pub fn listener(transtype: sys::SRT_TRANSTYPE, backlog: i32) -> Result<(Sock, u16), String> {
        listener_with(transtype, backlog, &[])
    }

    /// [`listener`] with options (`key=value`, see [`set_named`]) set after the transtype;
    /// libsrt copies them to every accepted socket.
    pub fn listener_with(
        transtype: sys::SRT_TRANSTYPE,
        backlog: i32,
        opts: &[String],
    ) -> Result<(Sock, u16), String> {
        let s = socket()?;
        set_i32(s, sys::SRTO_TRANSTYPE, transtype as i32)?;
        for kv in opts {
            set_named(s, kv)?;
        }
        let sa = loopback(0);
        let len = std::mem::size_of::<libc::sockaddr_in>() as c_int;
        // SAFETY: sa is a valid sockaddr_in of length len.
        check(
            unsafe { sys::srt_bind(s, &sa as *const _ as *const libc::sockaddr, len) },
            "srt_bind",
        )?;
        // SAFETY: plain call on our socket.
        check(unsafe { sys::srt_listen(s, backlog) }, "srt_listen")?;
        let mut out = loopback(0);
        let mut olen = len;
        // SAFETY: out has room for a sockaddr_in; libsrt writes at most olen bytes.
        check(
            unsafe {
                sys::srt_getsockname(s, &mut out as *mut _ as *mut libc::sockaddr, &mut olen)
            },
            "srt_getsockname",
        )?;
        Ok((s, u16::from_be(out.sin_port)))
    }

    pub fn accept(l: Sock) -> Result<Sock, String> {
        let mut sa = loopback(0);
        let mut len = std::mem::size_of::<libc::sockaddr_in>() as c_int;
        // SAFETY: sa has room for an IPv4 address; libsrt writes at most len bytes.
        let s = unsafe { sys::srt_accept(l, &mut sa as *mut _ as *mut libc::sockaddr, &mut len) };
        if s == sys::SRT_INVALID_SOCK {
            return Err(last_error("srt_accept"));
        }
        Ok(s)
    }

    pub fn connect(s: Sock, port: u16) -> Result<(), String> {
        let sa = loopback(port);
        let len = std::mem::size_of::<libc::sockaddr_in>() as c_int;
        // SAFETY: sa is a valid sockaddr_in of length len.
        let rc = unsafe { sys::srt_connect(s, &sa as *const _ as *const libc::sockaddr, len) };
        check(rc, "srt_connect").map(drop)
    }

    /// Connects with `SRTO_RCVSYN` off and waits in `srt_epoll_wait` (bounded, 5 s) until
    /// connected, then turns RCVSYN on: libsrt's receive thread then completes the handshake
    /// and registers the connection before it reads another packet. A blocking
    /// `srt_connect` leaves a window in which the server's first packet is ignored, which in
    /// file mode can start the transfer with a loss that FileCC never gets over (see
    /// BENCHMARKS.md, "File-mode stalls: cause"). srt-file-transmit connects this way too.
    pub fn connect_nonblocking(s: Sock, port: u16) -> Result<(), String> {
        set_i32(s, sys::SRTO_RCVSYN, 0)?;
        // SAFETY: no preconditions.
        let eid = check(unsafe { sys::srt_epoll_create() }, "srt_epoll_create")?;
        let r = (|| {
            let events = (sys::SRT_EPOLL_OUT | sys::SRT_EPOLL_ERR) as c_int;
            // SAFETY: events lives across the call.
            check(
                unsafe { sys::srt_epoll_add_usock(eid, s, &events) },
                "srt_epoll_add_usock",
            )?;
            connect(s, port)?;
            let (mut w, mut wn) = ([0 as Sock; 1], 1 as c_int);
            let (mut r, mut rn) = ([0 as Sock; 1], 1 as c_int);
            // SAFETY: the lists and their lengths are valid for writes; no system sockets.
            unsafe {
                sys::srt_epoll_wait(
                    eid,
                    r.as_mut_ptr(),
                    &mut rn,
                    w.as_mut_ptr(),
                    &mut wn,
                    5000,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                )
            };
            // SAFETY: plain call on our socket.
            let st = unsafe { sys::srt_getsockstate(s) };
            if st != sys::SRTS_CONNECTED {
                return Err(format!("srt_connect (non-blocking): socket state {st}"));
            }
            set_i32(s, sys::SRTO_RCVSYN, 1)
        })();
        // SAFETY: our epoll id.
        unsafe { sys::srt_epoll_release(eid) };
        r
    }

    pub fn close(s: Sock) {
        // SAFETY: closing an id we own; a second close of a dead id only returns an error.
        unsafe { sys::srt_close(s) };
    }

    pub fn recvmsg(s: Sock, buf: &mut [u8]) -> c_int {
        // SAFETY: buf is valid for writes of buf.len() bytes.
        unsafe { sys::srt_recvmsg(s, buf.as_mut_ptr() as *mut c_char, buf.len() as c_int) }
    }

    pub fn sendmsg(s: Sock, buf: &[u8]) -> c_int {
        // SAFETY: buf is valid for reads of buf.len() bytes.
        unsafe { sys::srt_sendmsg(s, buf.as_ptr() as *const c_char, buf.len() as c_int, -1, 0) }
    }

    pub fn sendmsg2(s: Sock, buf: &[u8]) -> c_int {
        // SAFETY: buf is valid for reads of buf.len() bytes; a null MSGCTRL means defaults.
        unsafe {
            sys::srt_sendmsg2(
                s,
                buf.as_ptr() as *const c_char,
                buf.len() as c_int,
                std::ptr::null_mut(),
            )
        }
    }

    pub fn recv(s: Sock, buf: &mut [u8]) -> c_int {
        // SAFETY: buf is valid for writes of buf.len() bytes.
        unsafe { sys::srt_recv(s, buf.as_mut_ptr() as *mut c_char, buf.len() as c_int) }
    }

    /// Sends all of `buf` in file (stream) mode.
    pub fn send_all(s: Sock, mut buf: &[u8]) -> Result<(), String> {
        while !buf.is_empty() {
            let n = buf.len().min(i32::MAX as usize) as c_int;
            // SAFETY: buf is valid for reads of n bytes.
            let rc = unsafe { sys::srt_send(s, buf.as_ptr() as *const c_char, n) };
            let rc = check(rc, "srt_send")?;
            buf = &buf[rc as usize..];
        }
        Ok(())
    }

    /// Receives exactly `buf.len()` bytes in file mode.
    pub fn recv_exact(s: Sock, buf: &mut [u8]) -> Result<(), String> {
        let mut got = 0;
        while got < buf.len() {
            let rc = check(recv(s, &mut buf[got..]), "srt_recv")?;
            if rc == 0 {
                return Err("srt_recv: connection closed early".into());
            }
            got += rc as usize;
        }
        Ok(())
    }

    /// Blocks not yet acknowledged in the send buffer.
    pub fn unacked(s: Sock) -> usize {
        let (mut blocks, mut bytes) = (0usize, 0usize);
        // SAFETY: both are valid for writes.
        let rc = unsafe { sys::srt_getsndbuffer(s, &mut blocks, &mut bytes) };
        if rc < 0 {
            0
        } else {
            blocks
        }
    }
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    // SAFETY: ts is valid for writes; CLOCK_THREAD_CPUTIME_ID is always supported on Linux.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// What a child process used, from `wait4`.
#[derive(Debug, Default, Clone)]
struct Usage {
    /// User + system CPU of the whole process (all threads).
    cpu: Duration,
    /// Peak resident set, KiB (VmHWM, sampled; see `vm_hwm_kib`).
    maxrss_kib: u64,
    /// When it was reaped.
    ended: Option<Instant>,
    /// Its stdout (text mode) or byte count (count mode).
    stdout: String,
    counted: u64,
    stderr: String,
    exit_ok: bool,
    killed: bool,
    /// How it ended, for messages.
    how: String,
}

fn tv(t: libc::timeval) -> Duration {
    Duration::new(t.tv_sec as u64, (t.tv_usec as u32) * 1000)
}

/// Spawns `cmd`, reads its stdout (kept as text, or only counted when `count` is set), and
/// reaps it with `wait4`; kills it after `limit`.
fn run_child(mut cmd: Command, count: bool, limit: Duration) -> Result<Usage, String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
    let pid = child.id() as libc::pid_t;
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_t = thread::spawn(move || {
        let mut text = Vec::new();
        let mut n = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match out.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(k) => {
                    n += k as u64;
                    if !count && text.len() < 1 << 20 {
                        text.extend_from_slice(&buf[..k]);
                    }
                }
            }
        }
        (String::from_utf8_lossy(&text).into_owned(), n)
    });
    let err_t = thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut u = reap(pid, limit)?;
    // The child is reaped; std's handle must not wait or kill it again.
    drop(child);
    let (stdout, counted) = out_t.join().unwrap_or_default();
    u.stdout = stdout;
    u.counted = counted;
    u.stderr = err_t.join().unwrap_or_default();
    Ok(u)
}

/// Waits for child `pid` with `wait4`, killing it after `limit`; its CPU and peak RSS.
fn reap(pid: libc::pid_t, limit: Duration) -> Result<Usage, String> {
    let start = Instant::now();
    let mut status: c_int = 0;
    // SAFETY: rusage is plain old data; all-zero is valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let mut killed = false;
    let mut hwm = 0u64;
    let mut sampled = start - Duration::from_secs(1);
    loop {
        // VmHWM only grows; sampled every 5 ms while the child lives, the last sample is
        // within 5 ms of its end.
        if sampled.elapsed() >= Duration::from_millis(5) {
            hwm = hwm.max(vm_hwm_kib(pid).unwrap_or(0));
            sampled = Instant::now();
        }
        // SAFETY: pid is our child; status and ru are valid for writes.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut ru) };
        if r == pid {
            break;
        }
        if r < 0 {
            return Err(format!("wait4: {}", std::io::Error::last_os_error()));
        }
        if start.elapsed() > limit {
            if std::env::var_os("BENCH_GDB").is_some() {
                let _ = Command::new("gdb")
                    .args([
                        "-p",
                        &pid.to_string(),
                        "-batch",
                        "-ex",
                        "thread apply all bt",
                    ])
                    .status();
            }
            // SAFETY: pid is our child, not yet reaped, so the id is still ours.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            killed = true;
            // SAFETY: as above; blocks until the killed child is reaped.
            unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
            break;
        }
        thread::sleep(Duration::from_micros(500));
    }
    let ended = Instant::now();
    Ok(Usage {
        cpu: tv(ru.ru_utime) + tv(ru.ru_stime),
        maxrss_kib: hwm,
        ended: Some(ended),
        how: if killed {
            format!("killed after {limit:?}")
        } else if libc::WIFSIGNALED(status) {
            format!("died of signal {}", libc::WTERMSIG(status))
        } else {
            format!("exit status {}", libc::WEXITSTATUS(status))
        },
        exit_ok: !killed && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        killed,
        ..Usage::default()
    })
}

/// Runs `cmd`, a server child that prints `PORT n` as its first line, and calls `drive` with
/// that port (the parent's work against the server); kills the child when `drive` fails,
/// then reaps it within `limit`. Returns `drive`'s result, the child's usage, its stdout
/// after the first line and its stderr.
fn drive_port_child<T>(
    mut cmd: Command,
    limit: Duration,
    drive: impl FnOnce(u16) -> Result<T, String>,
) -> Result<(Result<T, String>, Usage, String, String), String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Spawned here, not by run_child, so that the port is read before `drive` starts.
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
    let pid = child.id() as libc::pid_t;
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let err_t = thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    while matches!(out.read(&mut byte), Ok(1)) && byte[0] != b'\n' {
        first.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&first).into_owned();
    let out_t = thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let driven = match line
        .strip_prefix("PORT ")
        .and_then(|p| p.trim().parse().ok())
    {
        Some(port) => drive(port),
        None => Err(format!("the child did not report its port: {line:?}")),
    };
    if driven.is_err() {
        // SAFETY: pid is our child, not yet reaped, so the id is still ours.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let u = reap(pid, limit)?;
    // The child is reaped; std's handle must not wait or kill it again.
    drop(child);
    let stdout = out_t.join().unwrap_or_default();
    let stderr = err_t.join().unwrap_or_default();
    Ok((driven, u, stdout, stderr))
}

/// VmHWM (peak resident set) of a live process, from /proc/PID/status.
///
/// Not `ru_maxrss` from wait4: on Linux a child started with vfork/posix_spawn inherits the
/// parent's peak RSS into its `ru_maxrss` at exec, so it would report the bench's own size.
fn vm_hwm_kib(pid: libc::pid_t) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// This executable, re-invoked as a child receiver.
fn self_child(kind: &str, args: &[String]) -> Command {
    let exe = std::env::current_exe().expect("current_exe");
    let mut c = Command::new(exe);
    c.arg("__child").arg(kind).args(args);
    c
}

/// `key=value` pairs from a child's RESULT line.
fn result_field(out: &str, key: &str) -> Option<u64> {
    let line = out.lines().rev().find(|l| l.starts_with("RESULT "))?;
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| v.parse().ok())
}

/// The statistics that explain a file-mode collapse, on one line (srt_bstats names).
fn collapse_stats(st: &srtfu::Stats) -> String {
    format!(
        "pktSent {} ({} MB), pktRecv {}, pktSndLoss {}, pktRcvLoss {}, pktRetrans {}, \
         msRTT {:.2}, mbpsSendRate {:.2}, mbpsRecvRate {:.2}, mbpsBandwidth {:.0}, \
         pktCongestionWindow {}, pktFlowWindow {}, pktFlightSize {}, usPktSndPeriod {:.1}, \
         byteAvailSndBuf {}, byteAvailRcvBuf {}",
        st.pkt_sent_total,
        st.byte_sent_total / 1_000_000,
        st.pkt_recv_total,
        st.pkt_snd_loss_total,
        st.pkt_rcv_loss_total,
        st.pkt_retrans_total,
        st.ms_rtt,
        st.mbps_send_rate,
        st.mbps_recv_rate,
        st.mbps_bandwidth,
        st.pkt_congestion_window,
        st.pkt_flow_window,
        st.pkt_flight_size,
        st.us_pkt_snd_period,
        st.byte_avail_snd_buf,
        st.byte_avail_rcv_buf
    )
}

/// srt_bstats of a socket something else owns (never closed here).
fn stats_of(s: sys::SRTSOCKET) -> Option<srtfu::Stats> {
    // SAFETY: s is an open socket owned elsewhere; ManuallyDrop never closes it, and a socket
    // closed meanwhile only makes srt_bstats fail.
    let sock = std::mem::ManuallyDrop::new(unsafe { srtfu::SrtSocket::from_raw(s) });
    sock.bstats(false).ok()
}

/// Udp RcvbufErrors and SndbufErrors from /proc/net/snmp (kernel drops, all sockets).
fn udp_buf_errors() -> (u64, u64) {
    let snmp = std::fs::read_to_string("/proc/net/snmp").unwrap_or_default();
    let mut lines = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let (Some(head), Some(vals)) = (lines.next(), lines.next()) else {
        return (0, 0);
    };
    let get = |name: &str| {
        head.split_whitespace()
            .position(|h| h == name)
            .and_then(|i| vals.split_whitespace().nth(i))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (get("RcvbufErrors"), get("SndbufErrors"))
}

fn tool_available(name: &str) -> bool {
    Command::new(name)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

/// A markdown table, columns padded so it also reads in a terminal.
struct Table {
    head: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(head: &[&str]) -> Table {
        Table {
            head: head.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }
    fn row(&mut self, r: Vec<String>) {
        self.rows.push(r);
    }
    fn print(&self) {
        let w: Vec<usize> = (0..self.head.len())
            .map(|i| {
                self.rows
                    .iter()
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .chain([self.head[i].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[String]| {
            let parts: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<w$}", w = w[i]))
                .collect();
            println!("| {} |", parts.join(" | "));
        };
        line(&self.head);
        let dashes: Vec<String> = w.iter().map(|n| "-".repeat(*n)).collect();
        println!("|-{}-|", dashes.join("-|-"));
        for r in &self.rows {
            line(r);
        }
        println!();
    }
}

fn ratio(x: f64, base: f64) -> String {
    if base.is_finite() && base > 0.0 && x.is_finite() {
        format!("{:.3}", x / base)
    } else {
        "-".into()
    }
}

// ----- child receivers ----------------------------------------------------------------------

mod child {
    use super::*;

    pub fn main(kind: &str, args: &[String]) -> i32 {
        let r = match kind {
            "live-raw" => live_raw(args),
            "live-socket" => live_socket(args),
            "live-datagramer" => live_datagramer(args, false),
            "live-datagramer-iter" => live_datagramer(args, true),
            "file-raw" => file_raw(args),
            "file-socket" => file_socket(args),
            "file-fetch" => file_fetch(args),
            "many-server" => many::server_child(args),
            #[cfg(feature = "tokio")]
            "live-async-socket" => port(args).and_then(asynchronous::live_async_socket),
            #[cfg(feature = "tokio")]
            "live-async-datagramer" => port(args).and_then(asynchronous::live_async_datagramer),
            "live-srt-tokio" => port(args).and_then(asynchronous::live_srt_tokio),
            "send-raw" => send::send_raw(args),
            "send-socket" => send::send_socket(args),
            #[cfg(feature = "tokio")]
            "send-async" => asynchronous::send_async(args),
            "send-srt-tokio" => asynchronous::send_srt_tokio(args),
            "file-send-raw" => send::file_send_raw(args),
            "file-send-socket" => send::file_send_socket(args),
            #[cfg(feature = "tokio")]
            "file-send-async" => asynchronous::file_send_async(args),
            #[cfg(feature = "tokio")]
            "relay" => fanout::relay_child(args),
            other => Err(format!("unknown child kind {other}")),
        };
        match r {
            Ok(line) => {
                println!("RESULT {line}");
                0
            }
            Err(e) => {
                eprintln!("child {kind}: {e}");
                1
            }
        }
    }

    fn port(args: &[String]) -> Result<u16, String> {
        args.first()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| "missing port".to_string())
    }

    /// Raw srt-sys: connect, then srt_recvmsg until the sender closes.
    fn live_raw(args: &[String]) -> Result<String, String> {
        let s = raw::socket()?;
        raw::set_i32(s, sys::SRTO_RCVTIMEO, 5000)?;
        raw::connect(s, port(args)?)?;
        let mut buf = [0u8; 1500];
        let (mut packets, mut bytes, mut odd) = (0u64, 0u64, 0u64);
        let c0 = thread_cpu();
        loop {
            let n = raw::recvmsg(s, &mut buf);
            if n < 0 {
                break;
            }
            packets += 1;
            bytes += n as u64;
            if n as usize != PAYLOAD {
                odd += 1;
            }
        }
        let cpu = thread_cpu() - c0;
        raw::close(s);
        Ok(format!(
            "packets={packets} bytes={bytes} odd={odd} thread_cpu_ns={}",
            cpu.as_nanos()
        ))
    }

    /// srtfu: SrtSocket::recvmsg until the sender closes.
    fn live_socket(args: &[String]) -> Result<String, String> {
        let s = srtfu::SrtSocket::new_raw().map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .map_err(|e| e.to_string())?;
        s.connect(("127.0.0.1", port(args)?))
            .map_err(|e| e.to_string())?;
        let mut buf = [0u8; 1500];
        let (mut packets, mut bytes, mut odd) = (0u64, 0u64, 0u64);
        let c0 = thread_cpu();
        while let Ok(n) = s.recvmsg(&mut buf) {
            packets += 1;
            bytes += n as u64;
            if n != PAYLOAD {
                odd += 1;
            }
        }
        let cpu = thread_cpu() - c0;
        Ok(format!(
            "packets={packets} bytes={bytes} odd={odd} thread_cpu_ns={}",
            cpu.as_nanos()
        ))
    }

    /// srtfu's datagramer: `recv` (borrowing, no allocation) or the iterator (one `Vec` per
    /// payload), until the sender closes.
    fn live_datagramer(args: &[String], owned: bool) -> Result<String, String> {
        let url = format!("srt://127.0.0.1:{}", port(args)?);
        let mut d = srtfu::Datagramer::builder(&url)
            .timeout(Duration::from_secs(5))
            .open()
            .map_err(|e| e.to_string())?;
        let (mut packets, mut bytes, mut odd) = (0u64, 0u64, 0u64);
        let mut count = |n: usize| {
            packets += 1;
            bytes += n as u64;
            if n != PAYLOAD {
                odd += 1;
            }
        };
        let c0 = thread_cpu();
        if owned {
            for item in d.by_ref() {
                match item {
                    Ok(p) => count(p.len()),
                    Err(_) => break,
                }
            }
        } else {
            while let Ok(Some(p)) = d.recv() {
                count(p.len());
            }
        }
        let cpu = thread_cpu() - c0;
        Ok(format!(
            "packets={packets} bytes={bytes} odd={odd} thread_cpu_ns={}",
            cpu.as_nanos()
        ))
    }

    /// A file contender's arguments: PORT OUT NAME.
    fn port_out_name<'a>(
        args: &'a [String],
        kind: &str,
    ) -> Result<(u16, &'a String, &'a String), String> {
        match args {
            [p, out, name] => Ok((p.parse::<u16>().map_err(|e| e.to_string())?, out, name)),
            _ => Err(format!("usage: {kind} PORT OUT NAME")),
        }
    }

    /// Options for the receiver's socket from the bench (`--client-opt`), `key=value`.
    fn client_opts() -> Vec<String> {
        std::env::var("BENCH_CLIENT_OPTS")
            .unwrap_or_default()
            .split(',')
            .filter(|kv| !kv.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Experiments: `--blocking-connect` (a plain blocking srt_connect, as the bench did
    /// before the stalls were understood).
    fn blocking_connect() -> bool {
        std::env::var_os("BENCH_BLOCKING_CONNECT").is_some()
    }

    /// Experiments: sleeps `--connect-wait-ms` after the connection is made, before the
    /// request.
    fn connect_wait() {
        if let Some(ms) = std::env::var("BENCH_CONNECT_WAIT_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            thread::sleep(Duration::from_millis(ms));
        }
    }

    /// Prints the receiver's statistics to stderr 2 s and 6 s into the transfer: a healthy
    /// 32 MiB run has ended by then, so only a stalled one reports.
    fn report_stalls(s: sys::SRTSOCKET) {
        thread::spawn(move || {
            let t0 = Instant::now();
            for at in [2u64, 6] {
                thread::sleep(Duration::from_secs(at).saturating_sub(t0.elapsed()));
                if let Some(st) = stats_of(s) {
                    eprintln!("receiver at {at} s: {}", collapse_stats(&st));
                }
            }
        });
    }

    /// The fetch protocol's request: the name's length (i32, little-endian), then the name.
    fn request(name: &str) -> Vec<u8> {
        let mut req = (name.len() as i32).to_le_bytes().to_vec();
        req.extend_from_slice(name.as_bytes());
        req
    }

    /// The server's answer to a request: the file's size (i64, little-endian), negative when
    /// it has no such file.
    fn announced_size(answer: [u8; 8], name: &str) -> Result<u64, String> {
        let size = i64::from_le_bytes(answer);
        if size < 0 {
            return Err(format!("server has no file {name}"));
        }
        Ok(size as u64)
    }

    /// Receives `size` bytes with `recv` into a 1 MiB buffer, writes them to `out` and
    /// fsyncs; returns the result line, with the CPU time of this thread from the first
    /// receive to the fsync.
    fn receive_file(
        out: &str,
        size: u64,
        mut recv: impl FnMut(&mut [u8]) -> Result<usize, String>,
    ) -> Result<String, String> {
        let mut f = File::create(out).map_err(|e| format!("{out}: {e}"))?;
        let mut buf = vec![0u8; 1 << 20];
        let mut got = 0u64;
        let c0 = thread_cpu();
        while got < size {
            let want = buf.len().min((size - got) as usize);
            let n =
                recv(&mut buf[..want]).map_err(|e| format!("{e} after {got} of {size} bytes"))?;
            f.write_all(&buf[..n]).map_err(|e| format!("{out}: {e}"))?;
            got += n as u64;
        }
        f.sync_all().map_err(|e| format!("{out}: {e}"))?;
        let cpu = thread_cpu() - c0;
        Ok(format!("bytes={got} thread_cpu_ns={}", cpu.as_nanos()))
    }

    /// Raw srt-sys, file mode: the fetch protocol, then srt_recv into a 1 MiB buffer and
    /// write(2) to the file until the announced size; fsync.
    fn file_raw(args: &[String]) -> Result<String, String> {
        let (p, out, name) = port_out_name(args, "file-raw")?;
        let s = raw::socket()?;
        raw::set_i32(s, sys::SRTO_TRANSTYPE, sys::SRTT_FILE as i32)?;
        raw::set_i32(s, sys::SRTO_RCVTIMEO, 5_000)?;
        for kv in client_opts() {
            raw::set_named(s, &kv)?;
        }
        if blocking_connect() {
            raw::connect(s, p)?;
        } else {
            raw::connect_nonblocking(s, p)?;
        }
        connect_wait();
        report_stalls(s);
        raw::send_all(s, &request(name))?;
        let mut size = [0u8; 8];
        raw::recv_exact(s, &mut size)?;
        let size = announced_size(size, name)?;
        let line = receive_file(out, size, |buf| match raw::recv(s, buf) {
            n if n > 0 => Ok(n as usize),
            _ => Err(raw::last_error("srt_recv")),
        })?;
        raw::close(s);
        Ok(line)
    }

    /// srtfu's `fetch(url, remote, local)`: request, receive, write to a temporary file,
    /// fsync, rename.
    fn file_fetch(args: &[String]) -> Result<String, String> {
        let (p, out, name) = port_out_name(args, "file-fetch")?;
        let c0 = thread_cpu();
        let mut url = format!("srt://127.0.0.1:{p}");
        for (i, kv) in client_opts().iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(kv);
        }
        let summary = srtfu::fetch(&url, name, out).map_err(|e| e.to_string())?;
        let cpu = thread_cpu() - c0;
        Ok(format!(
            "bytes={} thread_cpu_ns={}",
            summary.bytes,
            cpu.as_nanos()
        ))
    }

    /// srtfu: the same as `file_raw` through `SrtSocket` (`send`, `recv`), the safe API a
    /// hand-written client would use.
    fn file_socket(args: &[String]) -> Result<String, String> {
        let (p, out, name) = port_out_name(args, "file-socket")?;
        let e = |e: srtfu::Error| e.to_string();
        let s = srtfu::SrtSocket::new_raw().map_err(e)?;
        s.filecc().map_err(e)?;
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .map_err(e)?;
        for kv in client_opts() {
            raw::set_named(s.id(), &kv)?;
        }
        if blocking_connect() {
            s.connect(("127.0.0.1", p)).map_err(e)?;
        } else {
            // As fetch does (SrtSocket::connect is srt_connect, blocking): connect
            // non-blocking, wait for the connection in an Epoll, then block again.
            s.set_blocking(false).map_err(e)?;
            let ep = srtfu::Epoll::new().map_err(e)?;
            ep.add_usock(&s, srtfu::EpollEvents::OUT | srtfu::EpollEvents::ERR)
                .map_err(e)?;
            s.connect(("127.0.0.1", p)).map_err(e)?;
            let mut bufs = srtfu::EpollBuffers::new();
            let _ = ep.wait(&mut bufs, Some(Duration::from_secs(5)));
            if s.getsockstate() != srtfu::SockStatus::Connected {
                return Err(format!("connect: socket {:?}", s.getsockstate()));
            }
            s.set_blocking(true).map_err(e)?;
        }
        connect_wait();
        report_stalls(s.id());
        let req = request(name);
        let mut sent = 0;
        while sent < req.len() {
            sent += s.send(&req[sent..]).map_err(e)?;
        }
        let mut size = [0u8; 8];
        (&s).read_exact(&mut size).map_err(|e| e.to_string())?;
        let size = announced_size(size, name)?;
        receive_file(out, size, |buf| s.recv(buf).map_err(|e| e.to_string()))
    }
}

// ----- live receive -------------------------------------------------------------------------

mod live {
    use super::*;

    /// Sends `total` payloads paced at `mbps`, then waits until all are acknowledged and
    /// delivered (latency) before closing. Returns how many were sent.
    fn sender(listener: raw::Sock, mbps: f64, total: u64) -> Result<u64, String> {
        let s = raw::accept(listener)?;
        let latency = raw::get_i32(s, sys::SRTO_LATENCY).max(0) as u64;
        let pps = mbps * 1e6 / (PAYLOAD as f64 * 8.0);
        // srt-tokio offers an MSS of 1316 bytes, which leaves 1272 for a live payload; libsrt
        // 1.5.3 and later refuse a larger message to it (1.5.1 sends it all the same).
        let mss = raw::get_i32(s, sys::SRTO_MSS);
        let len = if srtfu::version() >= (1, 5, 3) && mss > 44 {
            PAYLOAD.min(mss as usize - 44)
        } else {
            PAYLOAD
        };
        let mut payload = [0x47u8; PAYLOAD];
        let payload = &mut payload[..len];
        let start = Instant::now();
        let mut sent = 0u64;
        let mut err = None;
        'outer: while sent < total {
            let due = ((start.elapsed().as_secs_f64() * pps) as u64).min(total);
            while sent < due {
                payload[1..9].copy_from_slice(&sent.to_le_bytes());
                if raw::sendmsg(s, payload) < 0 {
                    err = Some(raw::last_error("srt_sendmsg"));
                    break 'outer;
                }
                sent += 1;
            }
            thread::sleep(Duration::from_micros(200));
        }
        let drain = Instant::now();
        while raw::unacked(s) > 0 && drain.elapsed() < Duration::from_secs(3) {
            thread::sleep(Duration::from_millis(5));
        }
        thread::sleep(Duration::from_millis(latency + 300));
        raw::close(s);
        match err {
            Some(e) => Err(format!("{e} after {sent} packets")),
            None => Ok(sent),
        }
    }

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Rx {
        Datagramer,
        DatagramerIter,
        SrtSocket,
        Raw,
        LiveTransmit,
        #[cfg(feature = "tokio")]
        AsyncSocket,
        #[cfg(feature = "tokio")]
        AsyncDatagramer,
        SrtTokio,
    }

    impl Rx {
        fn name(self) -> &'static str {
            match self {
                #[cfg(feature = "tokio")]
                Rx::AsyncSocket => "AsyncSrtSocket::recvmsg (tokio)",
                #[cfg(feature = "tokio")]
                Rx::AsyncDatagramer => "async datagramer recv_into (tokio)",
                Rx::SrtTokio => "srt-tokio Stream (defaults)",
                Rx::Datagramer => "datagramer recv (borrowed)",
                Rx::DatagramerIter => "datagramer iterator (Vec)",
                Rx::SrtSocket => "SrtSocket::recvmsg loop",
                Rx::Raw => "raw srt_recvmsg loop",
                Rx::LiveTransmit => "srt-live-transmit → stdout pipe",
            }
        }
    }

    #[derive(Default, Clone)]
    struct Sample {
        sent: u64,
        delivered: u64,
        cpu: f64,
        thread_cpu: Option<f64>,
        rss_kib: u64,
    }

    fn one(rx: Rx, mbps: f64, seconds: f64) -> Result<Sample, String> {
        let total = (mbps * 1e6 / (PAYLOAD as f64 * 8.0) * seconds).round() as u64;
        let (l, port) = raw::listener(sys::SRTT_LIVE, 4)?;
        let snd = thread::spawn(move || sender(l, mbps, total));
        let limit = Duration::from_secs_f64(seconds + 15.0);
        let cmd = match rx {
            Rx::Datagramer => self_child("live-datagramer", &[port.to_string()]),
            Rx::DatagramerIter => self_child("live-datagramer-iter", &[port.to_string()]),
            Rx::SrtSocket => self_child("live-socket", &[port.to_string()]),
            Rx::Raw => self_child("live-raw", &[port.to_string()]),
            #[cfg(feature = "tokio")]
            Rx::AsyncSocket => self_child("live-async-socket", &[port.to_string()]),
            #[cfg(feature = "tokio")]
            Rx::AsyncDatagramer => self_child("live-async-datagramer", &[port.to_string()]),
            Rx::SrtTokio => self_child("live-srt-tokio", &[port.to_string()]),
            Rx::LiveTransmit => {
                let mut c = Command::new("srt-live-transmit");
                c.args([
                    "-a:no".to_string(),
                    format!("-t:{}", limit.as_secs()),
                    "-q".to_string(),
                    format!("srt://127.0.0.1:{port}"),
                    "file://con".to_string(),
                ]);
                c
            }
        };
        let u = run_child(cmd, rx == Rx::LiveTransmit, limit);
        raw::close(l);
        let sent = snd.join().map_err(|_| "sender panicked".to_string())?;
        let u = u?;
        let sent = sent.map_err(|e| {
            format!(
                "{}: sender: {e}; receiver {}: {}{}",
                rx.name(),
                u.how,
                u.stderr.trim(),
                u.stdout.trim()
            )
        })?;
        let (delivered, thread_cpu) = match rx {
            Rx::LiveTransmit => {
                if u.killed {
                    return Err(format!("{}: killed after {limit:?}", rx.name()));
                }
                (u.counted / PAYLOAD as u64, None)
            }
            _ => {
                if !u.exit_ok {
                    return Err(format!("{} failed: {}", rx.name(), u.stderr.trim()));
                }
                if result_field(&u.stdout, "odd").unwrap_or(1) != 0 {
                    return Err(format!("{}: payloads of the wrong size", rx.name()));
                }
                (
                    result_field(&u.stdout, "packets").unwrap_or(0),
                    result_field(&u.stdout, "thread_cpu_ns").map(|n| n as f64 / 1e9),
                )
            }
        };
        if delivered == 0 {
            return Err(format!("{}: nothing delivered", rx.name()));
        }
        Ok(Sample {
            sent,
            delivered,
            cpu: u.cpu.as_secs_f64(),
            thread_cpu,
            rss_kib: u.maxrss_kib,
        })
    }

    pub fn run(o: &Opts) -> Result<(), String> {
        let rates = o.rates.clone().unwrap_or(if o.quick {
            vec![100]
        } else {
            vec![100, 300, 500]
        });
        let seconds = o.seconds.unwrap_or(if o.quick { 1.0 } else { 5.0 });
        let mut rxs = vec![Rx::Datagramer, Rx::DatagramerIter, Rx::SrtSocket, Rx::Raw];
        #[cfg(feature = "tokio")]
        rxs.extend([Rx::AsyncSocket, Rx::AsyncDatagramer]);
        #[cfg(not(feature = "tokio"))]
        println!("(built without --features tokio: the async receivers' rows are left out)");
        rxs.push(Rx::SrtTokio);
        if o.use_tool("srt-live-transmit")? {
            rxs.push(Rx::LiveTransmit);
        }
        println!(
            "\n## live receive: {PAYLOAD}-byte payloads, {seconds} s per run, {} round(s); \
             medians",
            o.rounds()
        );
        println!(
            "CPU = user+system CPU of the receiver process (all libsrt threads), from wait4; \
             recv-thread = CPU of the thread calling recvmsg; RSS = peak (VmHWM).\n"
        );
        let mut t = Table::new(&[
            "Mb/s",
            "receiver",
            "sent",
            "delivered",
            "lost",
            "CPU µs/pkt",
            "× raw",
            "× SrtSocket",
            "recv-thread µs/pkt",
            "peak RSS MiB",
        ]);
        let mut failed = Vec::new();
        for &rate in &rates {
            let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); rxs.len()];
            for round in 0..o.rounds() {
                for k in 0..rxs.len() {
                    let i = (round + k) % rxs.len();
                    match one(rxs[i], rate as f64, seconds) {
                        Ok(s) => samples[i].push(s),
                        Err(e) => {
                            eprintln!("live {rate} Mb/s: {e}");
                            failed.push(e);
                        }
                    }
                }
            }
            let med = |v: &[Sample], f: &dyn Fn(&Sample) -> f64| {
                let mut x: Vec<f64> = v.iter().map(f).collect();
                median(&mut x)
            };
            let raw_i = rxs.iter().position(|r| *r == Rx::Raw).unwrap_or(0);
            let raw_cpp = med(&samples[raw_i], &|s| s.cpu / s.delivered as f64);
            let sock_i = rxs.iter().position(|r| *r == Rx::SrtSocket).unwrap_or(0);
            let sock_cpp = med(&samples[sock_i], &|s| s.cpu / s.delivered as f64);
            for (i, rx) in rxs.iter().enumerate() {
                let v = &samples[i];
                let cpp = med(v, &|s| s.cpu / s.delivered as f64);
                let thr = if v.iter().all(|s| s.thread_cpu.is_some()) && !v.is_empty() {
                    format!(
                        "{:.2}",
                        med(v, &|s| s.thread_cpu.unwrap_or(0.0) / s.delivered as f64) * 1e6
                    )
                } else {
                    "-".into()
                };
                t.row(vec![
                    rate.to_string(),
                    rx.name().into(),
                    format!("{:.0}", med(v, &|s| s.sent as f64)),
                    format!("{:.0}", med(v, &|s| s.delivered as f64)),
                    format!("{:.0}", med(v, &|s| s.sent as f64 - s.delivered as f64)),
                    format!("{:.2}", cpp * 1e6),
                    ratio(cpp, raw_cpp),
                    ratio(cpp, sock_cpp),
                    thr,
                    format!("{:.1}", med(v, &|s| s.rss_kib as f64) / 1024.0),
                ]);
            }
        }
        t.print();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(format!("{} live run(s) failed", failed.len()))
        }
    }
}

// ----- file transfer ------------------------------------------------------------------------

mod file {
    use super::*;

    /// How a run that did not finish in time is marked: libsrt's file congestion control
    /// sometimes collapses to a trickle on loopback (see BENCHMARKS.md); such runs are
    /// counted, not failed, and left out of the medians.
    const STALLED: &str = "STALLED";

    /// Serves `src` to one caller: with `protocol`, reads the fetch request (int32 LE name
    /// length, name) and answers int64 LE size first; then srt_send of the bytes in 1 MiB
    /// chunks; srt_close (lingers until delivered). Returns when the connection was accepted.
    /// Returns when the connection was accepted (None if never) and how serving went.
    fn server(l: raw::Sock, src: &Path, protocol: bool, id: &AtomicI32, wait: Duration) -> Served {
        let s = match raw::accept(l) {
            Ok(s) => {
                id.store(s, Ordering::SeqCst);
                thread::sleep(wait);
                s
            }
            Err(e) => {
                return Served {
                    accepted: None,
                    result: Err(e),
                    retrans: 0,
                    stats: String::new(),
                }
            }
        };
        let t0 = Instant::now();
        let r = (|| {
            let mut f = File::open(src).map_err(|e| format!("{}: {e}", src.display()))?;
            let size = f.metadata().map_err(|e| e.to_string())?.len();
            if protocol {
                let mut len = [0u8; 4];
                raw::recv_exact(s, &mut len)?;
                let len = i32::from_le_bytes(len);
                if !(0..=1023).contains(&len) {
                    return Err(format!("bad name length {len}"));
                }
                let mut name = vec![0u8; len as usize];
                raw::recv_exact(s, &mut name)?;
                raw::send_all(s, &(size as i64).to_le_bytes())?;
            }
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = f.read(&mut buf).map_err(|e| e.to_string())?;
                if n == 0 {
                    break;
                }
                raw::send_all(s, &buf[..n])?;
            }
            Ok(())
        })();
        // SAFETY: s is our open socket; ManuallyDrop keeps the wrapper from closing it.
        let sock = std::mem::ManuallyDrop::new(unsafe { srtfu::SrtSocket::from_raw(s) });
        let (retrans, stats) = match sock.bstats(false) {
            Ok(st) => (
                st.pkt_retrans_total as u64,
                format!(
                    "sender stats: {} packets sent, {} reported lost, {} retransmitted, RTT {:.2} ms",
                    st.pkt_sent_total, st.pkt_snd_loss_total, st.pkt_retrans_total, st.ms_rtt
                ),
            ),
            Err(e) => (0, format!("no sender stats: {e}")),
        };
        id.store(-1, Ordering::SeqCst);
        raw::close(s);
        Served {
            accepted: Some(t0),
            result: r,
            retrans,
            stats,
        }
    }

    /// What the server thread saw.
    struct Served {
        accepted: Option<Instant>,
        result: Result<(), String>,
        retrans: u64,
        stats: String,
    }

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Rx {
        Fetch,
        SrtSocket,
        Raw,
        FileTransmit,
    }

    impl Rx {
        fn name(self) -> &'static str {
            match self {
                Rx::Fetch => "srtfu::fetch → file",
                Rx::SrtSocket => "SrtSocket::recv loop → file",
                Rx::Raw => "raw srt_recv loop → file",
                Rx::FileTransmit => "srt-file-transmit srt:// → file://",
            }
        }
        fn protocol(self) -> bool {
            !matches!(self, Rx::FileTransmit)
        }
    }

    struct Sample {
        retrans: u64,
        mbps: f64,
        cpu: f64,
        rss_kib: u64,
    }

    /// Fills `path` with `size` pseudo-random bytes (xorshift; not compressible).
    fn make_source(path: &Path, size: u64) -> Result<(), String> {
        let mut f = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut buf = vec![0u8; 1 << 20];
        let mut left = size;
        while left > 0 {
            for c in buf.chunks_exact_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                c.copy_from_slice(&x.to_le_bytes());
            }
            let n = (buf.len() as u64).min(left) as usize;
            f.write_all(&buf[..n]).map_err(|e| e.to_string())?;
            left -= n as u64;
        }
        Ok(())
    }

    /// Same size, and 16 samples of 64 KiB equal.
    fn same_file(a: &Path, b: &Path) -> Result<(), String> {
        use std::os::unix::fs::FileExt;
        let fa = File::open(a).map_err(|e| e.to_string())?;
        let fb = File::open(b).map_err(|e| format!("{}: {e}", b.display()))?;
        let (la, lb) = (
            fa.metadata().map_err(|e| e.to_string())?.len(),
            fb.metadata().map_err(|e| e.to_string())?.len(),
        );
        if la != lb {
            return Err(format!("received {lb} bytes of {la}"));
        }
        let mut x = vec![0u8; 1 << 16];
        let mut y = vec![0u8; 1 << 16];
        for k in 0..16u64 {
            let off = (la.saturating_sub(x.len() as u64)) * k / 15;
            let n = (x.len() as u64).min(la - off) as usize;
            fa.read_exact_at(&mut x[..n], off)
                .map_err(|e| e.to_string())?;
            fb.read_exact_at(&mut y[..n], off)
                .map_err(|e| e.to_string())?;
            if x[..n] != y[..n] {
                return Err(format!("content differs near offset {off}"));
            }
        }
        Ok(())
    }

    /// What an experiment changes (see `--accept-wait-ms`, `--server-opt`, `--client-opt`).
    #[derive(Clone, Default)]
    struct Exp {
        accept_wait: Duration,
        server_opts: Vec<String>,
        client_opts: Vec<String>,
        connect_wait_ms: Option<u64>,
        blocking_connect: bool,
    }

    fn one(rx: Rx, src: &Path, dir: &Path, size: u64, x: &Exp) -> Result<Sample, String> {
        let out = dir.join(format!("out-{}", rx as u8));
        let _ = std::fs::remove_file(&out);
        let (l, port) = raw::listener_with(sys::SRTT_FILE, 4, &x.server_opts)?;
        let src2 = src.to_path_buf();
        let id = Arc::new(AtomicI32::new(-1));
        let id2 = Arc::clone(&id);
        let wait = x.accept_wait;
        let srv = thread::spawn(move || server(l, &src2, rx.protocol(), &id2, wait));
        // Samples the sender's stats every 10 ms, to explain a stalled transfer: the first
        // sample that shows a loss, the one a second after it, and the latest.
        let snapshots = Arc::new(std::sync::Mutex::new([
            String::new(),
            String::new(),
            String::new(),
        ]));
        let done = Arc::new(AtomicBool::new(false));
        let mon = {
            let (id, snaps, done) = (Arc::clone(&id), Arc::clone(&snapshots), Arc::clone(&done));
            thread::spawn(move || {
                let start = Instant::now();
                let mut first_loss: Option<Instant> = None;
                let mut after_done = false;
                while !done.load(Ordering::SeqCst) {
                    thread::sleep(Duration::from_millis(10));
                    let s = id.load(Ordering::SeqCst);
                    if s < 0 {
                        continue;
                    }
                    let Some(st) = stats_of(s) else { continue };
                    let line = format!(
                        "at {:.3} s: {}",
                        start.elapsed().as_secs_f64(),
                        collapse_stats(&st)
                    );
                    let mut snaps = snaps.lock().unwrap_or_else(|p| p.into_inner());
                    if st.pkt_snd_loss_total > 0 && first_loss.is_none() {
                        first_loss = Some(Instant::now());
                        snaps[0] = line.clone();
                    } else if !after_done
                        && first_loss.is_some_and(|t| t.elapsed() >= Duration::from_secs(1))
                    {
                        after_done = true;
                        snaps[1] = line.clone();
                    }
                    snaps[2] = line;
                }
            })
        };
        let (rcv_err0, snd_err0) = udp_buf_errors();
        // Generous: 20 MB/s is far below anything this box does; a run this slow stalled.
        let limit = Duration::from_secs(8 + size / 20_000_000);
        let cmd = match rx {
            Rx::Fetch | Rx::SrtSocket | Rx::Raw => self_child(
                match rx {
                    Rx::Raw => "file-raw",
                    Rx::SrtSocket => "file-socket",
                    _ => "file-fetch",
                },
                &[
                    port.to_string(),
                    out.display().to_string(),
                    "src.bin".to_string(),
                ],
            ),
            Rx::FileTransmit => {
                let mut url = format!("srt://127.0.0.1:{port}");
                for (i, kv) in x.client_opts.iter().enumerate() {
                    url.push(if i == 0 { '?' } else { '&' });
                    url.push_str(kv);
                }
                let mut c = Command::new("srt-file-transmit");
                c.args([url, format!("file://{}", out.display())]);
                c
            }
        };
        let mut cmd = cmd;
        cmd.env("BENCH_CLIENT_OPTS", x.client_opts.join(","));
        if let Some(ms) = x.connect_wait_ms {
            cmd.env("BENCH_CONNECT_WAIT_MS", ms.to_string());
        }
        if x.blocking_connect {
            cmd.env("BENCH_BLOCKING_CONNECT", "1");
        }
        let u = run_child(cmd, false, limit);
        raw::close(l);
        let t0 = srv.join().map_err(|_| "server panicked".to_string());
        done.store(true, Ordering::SeqCst);
        let _ = mon.join();
        let (rcv_err1, snd_err1) = udp_buf_errors();
        let t0 = t0?;
        let [at_loss, after_loss, sampled] =
            snapshots.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let u = u?;
        if let Some(d) = std::env::var_os("BENCH_CHILD_LOG_DIR") {
            // Experiments: every receiver's stderr (with BENCH_SRT_LOG, libsrt's log).
            static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = RUN.fetch_add(1, Ordering::SeqCst);
            let tag = if u.killed { "stalled" } else { "ok" };
            let _ = std::fs::write(
                Path::new(&d).join(format!("run-{n:03}-{:?}-{tag}.log", rx)),
                &u.stderr,
            );
        }
        let Served {
            accepted,
            result,
            retrans,
            stats,
        } = t0;
        if u.killed {
            let rcv: Vec<&str> = u.stderr.lines().take(60).collect();
            return Err(format!(
                "{STALLED}: {} did not finish within {limit:?}; kernel UDP RcvbufErrors +{}, \
                 SndbufErrors +{}\n  sender at first loss {at_loss}\n  sender 1 s later \
                 {after_loss}\n  sender last {sampled}\n  {}",
                rx.name(),
                rcv_err1 - rcv_err0,
                snd_err1 - snd_err0,
                rcv.join("\n  ")
            ));
        }
        let t0 = match (accepted, result) {
            (Some(t0), Ok(())) => t0,
            (Some(t0), Err(e)) if u.exit_ok && same_file(src, &out).is_ok() => {
                // Seen once under heavy load: srt_send reported a broken connection although the
                // receiver got and checked every byte.
                eprintln!(
                    "file: {}: server reported \"{e}\" after the receiver had the whole file",
                    rx.name()
                );
                t0
            }
            (_, Err(e)) => {
                return Err(format!(
                    "{}: server: {e} ({stats}; last sample {sampled}); receiver {}: {}{}",
                    rx.name(),
                    u.how,
                    u.stderr.trim(),
                    u.stdout.trim()
                ))
            }
            (None, Ok(())) => unreachable!("the server returns Ok only after accepting"),
        };
        if !u.exit_ok {
            return Err(format!(
                "{} failed{}: {}",
                rx.name(),
                if u.killed { " (killed)" } else { "" },
                u.stderr.trim()
            ));
        }
        same_file(src, &out).map_err(|e| format!("{}: {e}", rx.name()))?;
        let _ = std::fs::remove_file(&out);
        let secs = u.ended.unwrap_or_else(Instant::now).duration_since(t0);
        Ok(Sample {
            retrans,
            mbps: size as f64 / 1e6 / secs.as_secs_f64(),
            cpu: u.cpu.as_secs_f64(),
            rss_kib: u.maxrss_kib,
        })
    }

    pub fn run(o: &Opts) -> Result<(), String> {
        let mib = o.size_mib.unwrap_or(if o.quick { 32 } else { 1024 });
        let size = mib << 20;
        let base = o.dir.clone().unwrap_or_else(|| {
            let shm = PathBuf::from("/dev/shm");
            if shm.is_dir() {
                shm
            } else {
                std::env::temp_dir()
            }
        });
        let dir = tempfile::Builder::new()
            .prefix("srtfu-bench-")
            .tempdir_in(&base)
            .map_err(|e| format!("{}: {e}", base.display()))?;
        let src = dir.path().join("src.bin");
        make_source(&src, size)?;
        let all = ["fetch", "socket", "raw", "ft"];
        let wanted: Vec<String> = o
            .receivers
            .clone()
            .unwrap_or_else(|| all.iter().map(|s| s.to_string()).collect());
        let mut rxs = Vec::new();
        for w in &wanted {
            match w.as_str() {
                "fetch" => rxs.push(Rx::Fetch),
                "socket" => rxs.push(Rx::SrtSocket),
                "raw" => rxs.push(Rx::Raw),
                "ft" => {
                    if o.use_tool("srt-file-transmit")? {
                        rxs.push(Rx::FileTransmit)
                    }
                }
                other => return Err(format!("--receivers: unknown {other:?} (one of {all:?})")),
            }
        }
        let x = Exp {
            accept_wait: Duration::from_millis(o.accept_wait_ms.unwrap_or(0)),
            server_opts: o.server_opt.clone(),
            client_opts: o.client_opt.clone(),
            connect_wait_ms: o.connect_wait_ms,
            blocking_connect: o.blocking_connect,
        };
        println!(
            "\n## file transfer: {mib} MiB, files in {}, {} round(s); medians",
            base.display(),
            o.rounds()
        );
        println!(
            "Server: raw srt_send loop in the bench process (file mode, 1 MiB chunks). \
             MB/s = 10^6 bytes per second from accept to the receiver process's exit; \
             CPU (wait4) and peak RSS (VmHWM) of the receiver process.\n"
        );
        if x.accept_wait > Duration::ZERO
            || !x.server_opts.is_empty()
            || !x.client_opts.is_empty()
            || x.connect_wait_ms.is_some()
            || x.blocking_connect
        {
            println!(
                "Experiment: server waits {:?} after accept; server options [{}]; receiver \
                 options [{}]; receiver waits {} ms after connecting; raw and SrtSocket \
                 receivers connect {}.\n",
                x.accept_wait,
                x.server_opts.join(","),
                x.client_opts.join(","),
                x.connect_wait_ms.unwrap_or(0),
                if x.blocking_connect {
                    "blocking"
                } else {
                    "non-blocking"
                }
            );
        }
        let mut samples: Vec<Vec<Sample>> = (0..rxs.len()).map(|_| Vec::new()).collect();
        let mut failed = 0;
        let mut stalled = vec![0usize; rxs.len()];
        for round in 0..o.rounds() {
            for k in 0..rxs.len() {
                let i = (round + k) % rxs.len();
                match one(rxs[i], &src, dir.path(), size, &x) {
                    Ok(s) => samples[i].push(s),
                    Err(e) if e.starts_with(STALLED) => {
                        eprintln!("file: {e}");
                        stalled[i] += 1;
                    }
                    Err(e) => {
                        eprintln!("file: {e}");
                        failed += 1;
                    }
                }
            }
        }
        let med = |v: &[Sample], f: &dyn Fn(&Sample) -> f64| {
            let mut x: Vec<f64> = v.iter().map(f).collect();
            median(&mut x)
        };
        let raw_i = rxs.iter().position(|r| *r == Rx::Raw).unwrap_or(0);
        let ft_i = rxs.iter().position(|r| *r == Rx::FileTransmit);
        let raw_mbps = med(&samples[raw_i], &|s| s.mbps);
        let ft_mbps = ft_i.map_or(f64::NAN, |i| med(&samples[i], &|s| s.mbps));
        let mut t = Table::new(&[
            "receiver",
            "MB/s",
            "× raw",
            "× srt-file-transmit",
            "CPU s",
            "peak RSS MiB",
            "retransmitted pkts",
            "stalled runs",
        ]);
        for (i, rx) in rxs.iter().enumerate() {
            let v = &samples[i];
            let m = med(v, &|s| s.mbps);
            t.row(vec![
                rx.name().into(),
                format!("{m:.1}"),
                ratio(m, raw_mbps),
                ratio(m, ft_mbps),
                format!("{:.2}", med(v, &|s| s.cpu)),
                format!("{:.1}", med(v, &|s| s.rss_kib as f64) / 1024.0),
                format!("{:.0}", med(v, &|s| s.retrans as f64)),
                format!("{} of {}", stalled[i], o.rounds()),
            ]);
        }
        t.print();
        if failed == 0 {
            Ok(())
        } else {
            Err(format!("{failed} file run(s) failed"))
        }
    }
}

// ----- message round trip -------------------------------------------------------------------

mod rtt {
    use super::*;
    use srtfu::SrtSocket;

    /// TSBPD latency of both ends: libsrt holds each message until its source time plus this.
    const LATENCY_MS: i32 = 20;

    /// A connected live pair over loopback with `SRTO_LATENCY` = [`LATENCY_MS`] and a 2 s
    /// receive timeout.
    fn pair() -> Result<(SrtSocket, SrtSocket), String> {
        let e = |e: srtfu::Error| e.to_string();
        let l = SrtSocket::new_raw().map_err(e)?;
        l.setsockflag(srtfu::SRTO_LATENCY, LATENCY_MS).map_err(e)?;
        l.bind("127.0.0.1:0").map_err(e)?;
        l.listen(1).map_err(e)?;
        let addr = l.getsockname().map_err(e)?;
        let acc = thread::spawn(move || l.accept().map(|(s, _)| s));
        let c = SrtSocket::new_raw().map_err(e)?;
        c.setsockflag(srtfu::SRTO_LATENCY, LATENCY_MS).map_err(e)?;
        c.connect(addr).map_err(e)?;
        let a = acc
            .join()
            .map_err(|_| "accept panicked".to_string())?
            .map_err(e)?;
        for s in [&a, &c] {
            s.set_read_timeout(Some(Duration::from_secs(2)))
                .map_err(e)?;
        }
        Ok((c, a))
    }

    fn send(s: &SrtSocket, raw_api: bool, msg: &[u8]) -> Result<(), String> {
        if raw_api {
            if raw::sendmsg(s.id(), msg) < 0 {
                return Err(raw::last_error("srt_sendmsg"));
            }
            Ok(())
        } else {
            s.sendmsg(msg, None, false)
                .map(drop)
                .map_err(|e| e.to_string())
        }
    }

    fn recv(s: &SrtSocket, raw_api: bool, buf: &mut [u8]) -> Result<usize, String> {
        if raw_api {
            let k = raw::recvmsg(s.id(), buf);
            if k < 0 {
                return Err(raw::last_error("srt_recvmsg"));
            }
            Ok(k as usize)
        } else {
            s.recvmsg(buf).map_err(|e| e.to_string())
        }
    }

    /// Round-trip times in µs of `n` 64-byte messages, one sent every millisecond (each
    /// carries its number and send time), echoed by the peer; the first 20 are warm-up.
    fn one(raw_api: bool, n: usize) -> Result<Vec<f64>, String> {
        let (c, a) = pair()?;
        let c = Arc::new(c);
        let echo = thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while let Ok(k) = recv(&a, raw_api, &mut buf) {
                if send(&a, raw_api, &buf[..k]).is_err() {
                    break;
                }
            }
        });
        let total = n + 20;
        let start = Instant::now();
        let c2 = Arc::clone(&c);
        let sender = thread::spawn(move || -> Result<(), String> {
            let mut msg = [7u8; 64];
            for i in 0..total {
                let due = Duration::from_millis(i as u64);
                if let Some(wait) = due.checked_sub(start.elapsed()) {
                    thread::sleep(wait);
                }
                msg[..8].copy_from_slice(&(i as u64).to_le_bytes());
                let t = start.elapsed().as_nanos() as u64;
                msg[8..16].copy_from_slice(&t.to_le_bytes());
                send(&c2, raw_api, &msg)?;
            }
            Ok(())
        });
        let mut buf = [0u8; 1500];
        let mut out = Vec::with_capacity(n);
        let mut next = 0u64;
        let mut err = None;
        while (next as usize) < total {
            match recv(&c, raw_api, &mut buf) {
                Ok(64) => {
                    let now = start.elapsed().as_nanos() as u64;
                    let i = u64::from_le_bytes(buf[..8].try_into().expect("8 bytes"));
                    let t = u64::from_le_bytes(buf[8..16].try_into().expect("8 bytes"));
                    if i != next {
                        err = Some(format!("expected message {next}, got {i}"));
                        break;
                    }
                    next += 1;
                    if i >= 20 {
                        out.push(now.saturating_sub(t) as f64 / 1e3);
                    }
                }
                Ok(k) => {
                    err = Some(format!("message {next} came back with {k} bytes"));
                    break;
                }
                Err(e) => {
                    err = Some(format!("message {next}: {e}"));
                    break;
                }
            }
        }
        let sent = sender.join().map_err(|_| "sender panicked".to_string())?;
        drop(c);
        let _ = echo.join();
        sent?;
        match err {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    pub fn run(o: &Opts) -> Result<(), String> {
        let n = o.messages.unwrap_or(if o.quick { 200 } else { 2000 });
        println!(
            "\n## message round trip: 64-byte live messages, one per ms, echoed over loopback; \
             SRTO_LATENCY {LATENCY_MS} ms on both ends; {n} per round, {} round(s); all \
             samples pooled",
            o.rounds()
        );
        println!(
            "libsrt holds every message for the latency window (TSBPD), so each RTT contains \
             2 × {LATENCY_MS} ms; \"over 2×latency\" is the rest: transport, libsrt's threads \
             and the API.\n"
        );
        let mut all = [Vec::new(), Vec::new()];
        for round in 0..o.rounds() {
            for k in 0..2 {
                let i = (round + k) % 2;
                all[i].extend(one(i == 1, n)?);
            }
        }
        let hold = 2.0 * LATENCY_MS as f64 * 1e3;
        let mut t = Table::new(&[
            "API (both ends)",
            "median µs",
            "p99 µs",
            "median over 2×latency µs",
            "p99 over 2×latency µs",
            "× raw (over 2×latency, median)",
        ]);
        let raw_med = median(&mut all[1].clone()) - hold;
        for (i, name) in ["SrtSocket sendmsg/recvmsg", "raw srt_sendmsg/srt_recvmsg"]
            .iter()
            .enumerate()
        {
            let m = median(&mut all[i].clone());
            let p = percentile(&mut all[i].clone(), 0.99);
            t.row(vec![
                name.to_string(),
                format!("{m:.0}"),
                format!("{p:.0}"),
                format!("{:.0}", m - hold),
                format!("{:.0}", p - hold),
                ratio(m - hold, raw_med),
            ]);
        }
        t.print();
        Ok(())
    }
}

// ----- per-call overhead --------------------------------------------------------------------

mod overhead {
    use super::*;
    use srtfu::SrtSocket;
    use std::hint::black_box;

    fn time(iters: u64, mut f: impl FnMut()) -> f64 {
        let t = Instant::now();
        for _ in 0..iters {
            f();
        }
        t.elapsed().as_nanos() as f64 / iters as f64
    }

    pub fn run(o: &Opts) -> Result<(), String> {
        let e = |e: srtfu::Error| e.to_string();
        let (iters, reps) = if o.quick { (20_000, 3) } else { (1_000_000, 7) };
        let l = SrtSocket::new_raw().map_err(e)?;
        l.bind("127.0.0.1:0").map_err(e)?;
        l.listen(1).map_err(e)?;
        let addr = l.getsockname().map_err(e)?;
        let acc = thread::spawn(move || l.accept().map(|(s, _)| s));
        let c = SrtSocket::new_raw().map_err(e)?;
        c.connect(addr).map_err(e)?;
        let a = acc
            .join()
            .map_err(|_| "accept panicked".to_string())?
            .map_err(e)?;
        a.set_blocking(false).map_err(e)?;
        let id = a.id();
        let mut buf = [0u8; 1500];
        // Sanity: nothing to read really is would-block, on both paths.
        match a.recvmsg(&mut buf) {
            Err(err) if err.is_would_block() => {}
            other => return Err(format!("expected would-block, got {other:?}")),
        }

        type Pair<'a> = (&'a str, Box<dyn FnMut() + 'a>, Box<dyn FnMut() + 'a>);
        let a_ref = &a;
        let ops: Vec<Pair> = vec![
            (
                "getsockflag(SRTO_LATENCY)",
                Box::new(move || {
                    black_box(a_ref.getsockflag(srtfu::SRTO_LATENCY).ok());
                }),
                Box::new(move || {
                    black_box(raw::get_i32(black_box(id), sys::SRTO_LATENCY));
                }),
            ),
            (
                "getsockstate",
                Box::new(move || {
                    black_box(a_ref.getsockstate());
                }),
                Box::new(move || {
                    // SAFETY: plain call on a valid id.
                    black_box(unsafe { sys::srt_getsockstate(black_box(id)) });
                }),
            ),
            (
                "recvmsg, non-blocking, nothing to read",
                Box::new(|| {
                    black_box(a_ref.recvmsg(black_box(&mut [0u8; 1500])).is_err());
                }),
                Box::new(move || {
                    let mut b = [0u8; 1500];
                    let rc = raw::recvmsg(black_box(id), black_box(&mut b));
                    if rc < 0 {
                        // What a C caller does with the failure: read the code, clear it.
                        // SAFETY: plain calls on libsrt's thread-local error state.
                        black_box(unsafe { sys::srt_getlasterror(std::ptr::null_mut()) });
                        // SAFETY: as above.
                        unsafe { sys::srt_clearlasterror() };
                    }
                }),
            ),
        ];
        println!(
            "\n## per-call overhead: {iters} calls × {reps} alternating repetitions; median \
             ns/call (careful numbers: cargo bench --bench overhead)\n"
        );
        let mut t = Table::new(&["call", "SrtSocket ns", "raw ns", "Δ ns", "× raw"]);
        for (name, mut ours, mut theirs) in ops {
            let (mut x, mut y) = (Vec::new(), Vec::new());
            for _ in 0..reps {
                x.push(time(iters, &mut ours));
                y.push(time(iters, &mut theirs));
            }
            let (mx, my) = (median(&mut x), median(&mut y));
            t.row(vec![
                name.to_string(),
                format!("{mx:.1}"),
                format!("{my:.1}"),
                format!("{:+.1}", mx - my),
                ratio(mx, my),
            ]);
        }
        t.print();
        drop(c);
        Ok(())
    }
}

// ----- many connections ---------------------------------------------------------------------

mod many {
    use super::*;
    use srtfu::SrtSocket;

    /// The server of examples/server.rs, run by the `__child many-server` child: one thread,
    /// one Epoll, every caller accepted. Serves until `n` callers came and left (or `limit`),
    /// then prints the totals.
    pub fn server_child(args: &[String]) -> Result<String, String> {
        let (n, limit, rcvbuf) = match args {
            [n, limit, rcvbuf] => (
                n.parse::<usize>().map_err(|e| e.to_string())?,
                limit.parse::<u64>().map_err(|e| e.to_string())?,
                match rcvbuf.parse::<i32>().map_err(|e| e.to_string())? {
                    0 => None,
                    b => Some(b),
                },
            ),
            _ => return Err("usage: many-server CALLERS LIMIT_SECS RCVBUF(0: default)".into()),
        };
        let sargs = server::Args {
            listen: "127.0.0.1:0".parse().expect("address"),
            access: None,
            forward: None,
            report: 0,
            duration: None,
            backlog: (n as i32).clamp(16, 1024),
            latency: 120,
            rcvbuf,
        };
        let mut srv = server::Server::bind(&sargs, server::Access::open())
            .map_err(|e| format!("server: {e}"))?;
        let port = srv.local_addr().map_err(|e| e.to_string())?.port();
        // The parent reads the port from this first line.
        println!("PORT {port}");
        std::io::stdout().flush().map_err(|e| e.to_string())?;
        let stop = std::sync::atomic::AtomicBool::new(false);
        let deadline = Instant::now() + Duration::from_secs(limit);
        while Instant::now() < deadline {
            srv.run(&stop, Some(Instant::now() + Duration::from_millis(100)))
                .map_err(|e| format!("server: {e}"))?;
            if srv.finished.len() >= n && srv.live().is_empty() {
                break;
            }
        }
        let all: Vec<server::CallerStats> =
            srv.finished.iter().cloned().chain(srv.live()).collect();
        let messages: u64 = all.iter().map(|s| s.messages).sum();
        let bytes: u64 = all.iter().map(|s| s.bytes).sum();
        Ok(format!(
            "callers={} messages={messages} bytes={bytes}",
            all.len()
        ))
    }

    struct Sample {
        sent: u64,
        delivered: u64,
        callers: u64,
        cpu: f64,
        rss_kib: u64,
    }

    /// Connects `n` callers and sends `seconds` of `mbps` each from one pacing thread.
    fn callers(port: u16, n: usize, mbps: f64, seconds: f64) -> Result<u64, String> {
        // All callers bind the same local UDP port, so libsrt runs them over one multiplexer
        // (one pair of I/O threads) instead of N: the benchmark loads the server, not itself.
        let mut socks: Vec<SrtSocket> = Vec::with_capacity(n);
        let mut local: Option<std::net::SocketAddr> = None;
        for i in 0..n {
            let s = SrtSocket::new_raw().map_err(|e| e.to_string())?;
            s.setsockflag(srtfu::SRTO_STREAMID, format!("bench/{i}"))
                .map_err(|e| e.to_string())?;
            let src = local.unwrap_or_else(|| "127.0.0.1:0".parse().expect("address"));
            s.connect_bind(src, ("127.0.0.1", port))
                .map_err(|e| format!("caller {i}: {e}"))?;
            if local.is_none() {
                local = Some(s.getsockname().map_err(|e| e.to_string())?);
            }
            socks.push(s);
        }
        let per = (mbps * 1e6 / (PAYLOAD as f64 * 8.0) * seconds).round() as u64;
        let pps = mbps * 1e6 / (PAYLOAD as f64 * 8.0);
        let payload = [0x47u8; PAYLOAD];
        let start = Instant::now();
        let mut sent = 0u64; // per caller
        while sent < per {
            let due = ((start.elapsed().as_secs_f64() * pps) as u64).min(per);
            while sent < due {
                for s in &socks {
                    if raw::sendmsg(s.id(), &payload) < 0 {
                        return Err(raw::last_error("srt_sendmsg"));
                    }
                }
                sent += 1;
            }
            thread::sleep(Duration::from_micros(500));
        }
        let drain = Instant::now();
        while socks.iter().any(|s| raw::unacked(s.id()) > 0)
            && drain.elapsed() < Duration::from_secs(3)
        {
            thread::sleep(Duration::from_millis(5));
        }
        thread::sleep(Duration::from_millis(420));
        drop(socks);
        Ok(per * n as u64)
    }

    fn one(n: usize, mbps: f64, seconds: f64, rcvbuf: Option<i32>) -> Result<Sample, String> {
        let limit = 30 + seconds as u64 + n as u64 / 8;
        let cmd = self_child(
            "many-server",
            &[
                n.to_string(),
                limit.to_string(),
                rcvbuf.unwrap_or(0).to_string(),
            ],
        );
        let (sent, u, stdout, stderr) =
            drive_port_child(cmd, Duration::from_secs(limit + 5), |p| {
                callers(p, n, mbps, seconds)
            })?;
        let sent = sent.map_err(|e| format!("{n} callers: {e}; server: {}", stderr.trim()))?;
        if !u.exit_ok {
            return Err(format!("server failed: {}", stderr.trim()));
        }
        Ok(Sample {
            sent,
            delivered: result_field(&stdout, "messages").unwrap_or(0),
            callers: result_field(&stdout, "callers").unwrap_or(0),
            cpu: u.cpu.as_secs_f64(),
            rss_kib: u.maxrss_kib,
        })
    }

    pub fn run(o: &Opts) -> Result<(), String> {
        let ns = o
            .callers
            .clone()
            .unwrap_or(if o.quick { vec![16] } else { vec![16, 64, 256] });
        let mbps = o.caller_mbps.unwrap_or(1.0);
        let seconds = o.seconds.unwrap_or(if o.quick { 1.0 } else { 5.0 });
        let rcvbuf = o.server_rcvbuf;
        println!(
            "\n## many connections: N live callers × {mbps} Mb/s for {seconds} s into \
             examples/server.rs (one thread, one Epoll; receive buffer per caller: {}) in a \
             child process, {} round(s); medians",
            rcvbuf.map_or("libsrt's default".to_string(), |b| format!("--rcvbuf {b}")),
            o.rounds()
        );
        println!(
            "Callers are paced by one thread of the bench process; CPU (wait4) and peak RSS \
             (VmHWM) are the server process's, start to end, handshakes included.\n"
        );
        let mut t = Table::new(&[
            "N",
            "connected",
            "sent",
            "delivered",
            "delivered/sent",
            "lost",
            "server CPU s",
            "CPU µs/pkt",
            "peak RSS MiB",
            "RSS KiB/caller",
        ]);
        let mut failed = 0;
        for &n in &ns {
            let mut v = Vec::new();
            for _ in 0..o.rounds() {
                match one(n, mbps, seconds, rcvbuf) {
                    Ok(s) => v.push(s),
                    Err(e) => {
                        eprintln!("many {n}: {e}");
                        failed += 1;
                    }
                }
            }
            let med = |f: &dyn Fn(&Sample) -> f64| {
                let mut x: Vec<f64> = v.iter().map(f).collect();
                median(&mut x)
            };
            t.row(vec![
                n.to_string(),
                format!("{:.0}", med(&|s| s.callers as f64)),
                format!("{:.0}", med(&|s| s.sent as f64)),
                format!("{:.0}", med(&|s| s.delivered as f64)),
                format!("{:.4}", med(&|s| s.delivered as f64 / s.sent as f64)),
                format!("{:.0}", med(&|s| s.sent as f64 - s.delivered as f64)),
                format!("{:.2}", med(&|s| s.cpu)),
                format!("{:.2}", med(&|s| s.cpu / s.delivered.max(1) as f64 * 1e6)),
                format!("{:.1}", med(&|s| s.rss_kib as f64 / 1024.0)),
                format!(
                    "{:.0}",
                    med(&|s| s.rss_kib as f64 / s.callers.max(1) as f64)
                ),
            ]);
            if v.iter().any(|s| s.delivered == 0 || s.callers < n as u64) {
                eprintln!("many {n}: not every caller connected and delivered");
                failed += 1;
            }
        }
        t.print();
        if failed == 0 {
            Ok(())
        } else {
            Err(format!("{failed} many-connection run(s) failed"))
        }
    }
}
