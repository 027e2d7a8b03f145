//! A many-caller SRT server: one thread, one `Epoll`.
//!
//! Every caller is vetted in the listen callback against a small access list (allowed
//! streamids, each with an optional passphrase set on that connection only), then served by a
//! single loop over `Epoll::uwait`: the server counts bytes and messages per caller, prints
//! them, and can forward every payload to a UDP address.
//!
//! ```text
//! cargo run --example server -- --listen 127.0.0.1:9000 --access examples/server-access.txt
//! srt-live-transmit udp://:5000 'srt://127.0.0.1:9000?streamid=live/cam1'
//! ```

use std::collections::{BTreeMap, HashMap};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use srtfu::{
    sys, Epoll, EpollBuffers, EpollEvents, IncomingCaller, RejectReason, SrtSocket, SRTO_FC,
    SRTO_LATENCY, SRTO_PASSPHRASE, SRTO_RCVBUF,
};

/// A many-caller SRT server (one thread, one epoll) with streamid-based access control.
#[derive(Parser, Debug, Clone)]
#[command(version)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:9000")]
    pub listen: SocketAddr,
    /// Access list: one "streamid [passphrase]" per line, "*" for any other streamid
    /// (see examples/server-access.txt). Without it every caller is accepted.
    #[arg(long)]
    pub access: Option<PathBuf>,
    /// Forward every received payload to this UDP address.
    #[arg(long)]
    pub forward: Option<SocketAddr>,
    /// Print every caller's counters every this many seconds (0: only when a caller leaves).
    #[arg(long, default_value_t = 5)]
    pub report: u64,
    /// Stop after this many seconds (default: run until killed).
    #[arg(long)]
    pub duration: Option<u64>,
    /// Listen backlog (callers waiting to be accepted).
    #[arg(long, default_value_t = 128)]
    pub backlog: i32,
    /// SRTO_LATENCY in milliseconds.
    #[arg(long, default_value_t = 120)]
    pub latency: i32,
    /// Each caller's receive buffer in bytes (SRTO_RCVBUF, with SRTO_FC sized to it):
    /// libsrt's default is about 8 MB per caller, far more than a low-rate stream needs.
    /// Rate × (latency + RTT) with room to spare is enough, e.g. 262144 for 1 Mb/s at a
    /// latency of 120 ms. libsrt judges the value.
    #[arg(long)]
    pub rcvbuf: Option<i32>,
}

/// Who may connect: streamid → optional passphrase.
#[derive(Debug, Clone, Default)]
pub struct Access {
    streams: HashMap<String, Option<String>>,
    any: bool,
}

impl Access {
    /// Everyone is welcome, without a passphrase.
    pub fn open() -> Access {
        Access {
            streams: HashMap::new(),
            any: true,
        }
    }

    /// Parses the access list format of examples/server-access.txt.
    pub fn parse(text: &str) -> Result<Access, String> {
        let mut access = Access::default();
        for (no, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            let mut words = line.split_whitespace();
            let Some(stream) = words.next() else { continue };
            let pass = words.next().map(str::to_string);
            if let Some(extra) = words.next() {
                return Err(format!("line {}: unexpected {extra:?}", no + 1));
            }
            if stream == "*" {
                if pass.is_some() {
                    return Err(format!("line {}: \"*\" takes no passphrase", no + 1));
                }
                access.any = true;
                continue;
            }
            if let Some(p) = &pass {
                // libsrt's bounds (1.5.1 to 1.5.5), in bytes as libsrt counts them; checked
                // here so a bad line is reported at start-up, not at the first caller.
                if !(10..=80).contains(&p.len()) {
                    return Err(format!(
                        "line {}: passphrase for {stream:?} must have 10 to 80 bytes",
                        no + 1
                    ));
                }
            }
            if access.streams.insert(stream.to_string(), pass).is_some() {
                return Err(format!("line {}: {stream:?} is listed twice", no + 1));
            }
        }
        Ok(access)
    }

    /// Reads and parses an access list file.
    pub fn load(path: &Path) -> Result<Access, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Access::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The listen callback's decision for one caller.
    pub fn decide(&self, caller: &IncomingCaller<'_>) -> Result<(), RejectReason> {
        match self.streams.get(caller.streamid()) {
            Some(Some(pass)) => caller
                .socket()
                .setsockflag(SRTO_PASSPHRASE, pass.as_str())
                .map_err(|_| RejectReason::ServerError),
            Some(None) => Ok(()),
            None if self.any => Ok(()),
            None if caller.streamid().is_empty() => Err(RejectReason::Unauthorized),
            None => Err(RejectReason::NotFound),
        }
    }
}

/// Counters of one caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerStats {
    /// The caller's address.
    pub peer: SocketAddr,
    /// The streamid it connected with.
    pub streamid: String,
    /// Payload bytes received.
    pub bytes: u64,
    /// Messages received.
    pub messages: u64,
}

struct Client {
    sock: SrtSocket,
    stats: CallerStats,
}

/// The server: a listener, one epoll, the live callers and the counters of those gone.
pub struct Server {
    listener: SrtSocket,
    epoll: Epoll,
    clients: HashMap<sys::SRTSOCKET, Client>,
    forward: Option<(UdpSocket, SocketAddr)>,
    refused: Arc<AtomicU64>,
    /// Callers that left, in the order they left.
    pub finished: Vec<CallerStats>,
    report_every: Option<Duration>,
}

impl Server {
    /// Binds and listens as `args` say, with `access` deciding in the listen callback.
    pub fn bind(args: &Args, access: Access) -> srtfu::Result<Server> {
        let mut listener = SrtSocket::new_raw()?;
        listener.setsockflag(SRTO_LATENCY, args.latency)?;
        if let Some(bytes) = args.rcvbuf {
            // libsrt caps SRTO_RCVBUF at SRTO_FC packets: the flight window first (libsrt's
            // minimum is 32 packets).
            let packets = (bytes / 1456).max(32);
            listener.setsockflag(SRTO_FC, packets)?;
            listener.setsockflag(SRTO_RCVBUF, bytes)?;
        }
        listener.set_blocking(false)?;
        let refused = Arc::new(AtomicU64::new(0));
        let count = refused.clone();
        listener.listen_callback(move |caller| {
            let verdict = access.decide(caller);
            if let Err(reason) = verdict {
                count.fetch_add(1, Ordering::Relaxed);
                println!(
                    "refused {} stream={:?}: {reason}",
                    caller
                        .peer_addr()
                        .map_or_else(|| "?".to_string(), |a| a.to_string()),
                    caller.streamid()
                );
            }
            verdict
        })?;
        listener.bind(args.listen)?;
        let epoll = Epoll::new()?;
        // Watch the listener before it listens, so no caller arrives unseen.
        epoll.add_usock(&listener, EpollEvents::IN | EpollEvents::ERR)?;
        listener.listen(args.backlog)?;
        let forward = match args.forward {
            Some(to) => {
                let bind = if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
                let udp = UdpSocket::bind(bind).map_err(|source| srtfu::Error::Io {
                    context: format!("binding a UDP socket to forward to {to}"),
                    source,
                })?;
                Some((udp, to))
            }
            None => None,
        };
        Ok(Server {
            listener,
            epoll,
            clients: HashMap::new(),
            forward,
            refused,
            finished: Vec::new(),
            report_every: (args.report > 0).then(|| Duration::from_secs(args.report)),
        })
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> srtfu::Result<SocketAddr> {
        self.listener.getsockname()
    }

    /// How many callers the listen callback refused (libsrt's own rejections, such as a
    /// wrong passphrase, are not counted: they happen after the callback accepted).
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// The callers connected now, by streamid then address.
    pub fn live(&self) -> Vec<CallerStats> {
        let sorted: BTreeMap<_, _> = self
            .clients
            .values()
            .map(|c| ((c.stats.streamid.clone(), c.stats.peer), c.stats.clone()))
            .collect();
        sorted.into_values().collect()
    }

    /// Serves until `stop` is set or `until` passes.
    pub fn run(&mut self, stop: &AtomicBool, until: Option<Instant>) -> srtfu::Result<()> {
        let mut buf = [0u8; 1500];
        let mut next_report = self.report_every.map(|d| Instant::now() + d);
        // This thread's wait buffers (the events borrow them, not the server).
        let mut ready = EpollBuffers::new();
        while !stop.load(Ordering::Relaxed) && until.map_or(true, |t| Instant::now() < t) {
            let events = self
                .epoll
                .uwait(&mut ready, Some(Duration::from_millis(100)))?;
            for (id, ev) in events.iter().map(|e| (e.socket(), e.events())) {
                if id == self.listener.id() {
                    self.accept_all()?;
                } else {
                    self.serve(id, ev, &mut buf);
                }
            }
            if let (Some(at), Some(every)) = (next_report, self.report_every) {
                if Instant::now() >= at {
                    for s in self.live() {
                        print_stats("live", &s);
                    }
                    next_report = Some(at + every);
                }
            }
        }
        Ok(())
    }

    fn accept_all(&mut self) -> srtfu::Result<()> {
        loop {
            match self.listener.accept() {
                Ok((sock, peer)) => {
                    let streamid = sock.streamid().unwrap_or_default();
                    println!("joined {peer} stream={streamid:?}");
                    match self
                        .epoll
                        .add_usock(&sock, EpollEvents::IN | EpollEvents::ERR)
                    {
                        Ok(()) => {}
                        // Closed by libsrt already (the caller left at once): skip it.
                        Err(e) if self.listener.accept_lost_caller(&e) => continue,
                        Err(e) => return Err(e),
                    }
                    let stats = CallerStats {
                        peer,
                        streamid,
                        bytes: 0,
                        messages: 0,
                    };
                    self.clients.insert(sock.id(), Client { sock, stats });
                }
                Err(e) if e.is_would_block() => return Ok(()),
                // A pending caller that libsrt closed (it left at once): the next one.
                Err(e) if self.listener.accept_lost_caller(&e) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn serve(&mut self, id: sys::SRTSOCKET, ev: EpollEvents, buf: &mut [u8]) {
        let Some(client) = self.clients.get_mut(&id) else {
            return;
        };
        let mut gone = ev.contains(EpollEvents::ERR);
        // Read everything there is, even from a caller that is leaving.
        loop {
            match client.sock.recvmsg(buf) {
                // The end of the stream.
                Ok(0) => {
                    gone = true;
                    break;
                }
                Ok(n) => {
                    client.stats.bytes += n as u64;
                    client.stats.messages += 1;
                    if let Some((udp, to)) = &self.forward {
                        if let Err(e) = udp.send_to(&buf[..n], to) {
                            eprintln!("forward to {to}: {e}");
                        }
                    }
                }
                Err(e) if e.is_would_block() => break,
                Err(_) => {
                    gone = true;
                    break;
                }
            }
        }
        if gone {
            if let Some(c) = self.clients.remove(&id) {
                print_stats("left", &c.stats);
                self.finished.push(c.stats);
            }
        }
    }
}

fn print_stats(what: &str, s: &CallerStats) {
    println!(
        "{what} {} stream={:?} bytes={} messages={}",
        s.peer, s.streamid, s.bytes, s.messages
    );
}

fn main() {
    let args = Args::parse();
    let access = match &args.access {
        Some(path) => Access::load(path).unwrap_or_else(|e| {
            eprintln!("server: bad access list {e}");
            std::process::exit(2);
        }),
        None => Access::open(),
    };
    let mut server = Server::bind(&args, access).unwrap_or_else(|e| {
        eprintln!("server: cannot listen on {}: {e}", args.listen);
        std::process::exit(1);
    });
    println!(
        "listening on {}",
        server.local_addr().unwrap_or(args.listen)
    );
    let until = args
        .duration
        .map(|s| Instant::now() + Duration::from_secs(s));
    let stop = AtomicBool::new(false);
    if let Err(e) = server.run(&stop, until) {
        eprintln!("server: {e}");
        std::process::exit(1);
    }
    for s in server.live() {
        print_stats("still", &s);
    }
    println!(
        "{} callers served, {} refused",
        server.finished.len() + server.live().len(),
        server.refused()
    );
}
