//! An SRT relay on tokio: publishers push a live stream in, any number of readers take it out.
//!
//! ```sh
//! cargo run --features tokio --example relay -- --listen 127.0.0.1:4200 [--config FILE]
//! ffmpeg -re -i in.ts -c copy -f mpegts 'srt://127.0.0.1:4200?streamid=publish:cam1'
//! ffplay 'srt://127.0.0.1:4200?streamid=read:cam1'
//! ```
//!
//! Stream ids: `publish:NAME` / `read:NAME` (MediaMTX's convention), or libsrt's access-control
//! syntax `#!::r=NAME,m=publish` / `#!::r=NAME,m=request` (`m` defaults to `request`). The
//! listen callback rejects, with a reason the caller sees:
//! - a stream id it cannot read: `SRT_REJX_BAD_REQUEST` (1400);
//! - a second publisher of a stream that has one: `SRT_REJX_CONFLICT` (1409);
//! - a reader of a stream that has no publisher and is not in the config file:
//!   `SRT_REJX_NOTFOUND` (1404).
//!
//! The config file has one stream a line, `NAME [PASSPHRASE]` (`#` starts a comment): a
//! stream listed there is known even before its publisher comes, and its passphrase (if any)
//! is set on every connection of that stream in the listen callback, so libsrt refuses
//! publishers and readers that do not have it.
//!
//! Each publisher's payloads go to all its readers, byte-exact, each through a bounded queue
//! (`--queue`, payloads); a reader whose queue is full is dropped, so it never slows the
//! publisher or the other readers. A live-mode reader that stops reading hardly fills its
//! queue (libsrt rarely makes a live send wait: it buffers what the reader does not
//! acknowledge, then drops what is too late), so a reader with more than `--queue` packets
//! unacknowledged in libsrt's send buffer, or more than 64 packets dropped by libsrt, is
//! dropped too. Per-stream stats go to stderr every `--stats` seconds.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use clap::Parser;
use srtfu::tokio::AsyncSrtSocket;
use srtfu::{
    RejectReason, SrtSocket, TransType, SRTO_PASSPHRASE, SRTO_PAYLOADSIZE, SRTO_TRANSTYPE,
};

/// Packets libsrt may drop for one reader (too late to send) before the relay drops the
/// reader as too slow.
const MAX_SEND_DROPS: i32 = 64;

/// libsrt's largest live-mode payload (`SRT_LIVE_MAX_PLSIZE`).
const MAX_LIVE_PAYLOAD: i32 = 1456;
use tokio::sync::mpsc;

/// What a caller asks for in its stream id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Pushes the stream in.
    Publish(String),
    /// Takes the stream out.
    Read(String),
}

/// Reads a stream id: `publish:NAME`, `read:NAME`, or `#!::r=NAME,m=publish|request`.
pub fn parse_streamid(sid: &str) -> Option<Role> {
    let valid = |n: &str| !n.is_empty() && n.len() <= 256 && !n.contains(['\0', ',', ' ']);
    if let Some(name) = sid.strip_prefix("publish:") {
        return valid(name).then(|| Role::Publish(name.to_string()));
    }
    if let Some(name) = sid.strip_prefix("read:") {
        return valid(name).then(|| Role::Read(name.to_string()));
    }
    let rest = sid.strip_prefix("#!::")?;
    let (mut name, mut mode) = (None, "request");
    for kv in rest.split(',') {
        let (k, v) = kv.split_once('=')?;
        match k {
            "r" => name = Some(v),
            "m" => mode = v,
            _ => {}
        }
    }
    let name = name.filter(|n| valid(n))?.to_string();
    match mode {
        "publish" => Some(Role::Publish(name)),
        "request" => Some(Role::Read(name)),
        _ => None,
    }
}

/// The relay's configuration: streams known in advance, with their passphrases.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Stream name → passphrase (`None`: no encryption).
    pub streams: HashMap<String, Option<String>>,
}

impl Config {
    /// Parses the config file's text: `NAME [PASSPHRASE]` a line, `#` comments.
    ///
    /// # Errors
    /// A line with more than two fields, naming the line.
    pub fn parse(text: &str) -> Result<Config, String> {
        let mut streams = HashMap::new();
        for (no, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields.as_slice() {
                [name] => streams.insert(name.to_string(), None),
                [name, pass] => streams.insert(name.to_string(), Some(pass.to_string())),
                _ => return Err(format!("line {}: expected `NAME [PASSPHRASE]`", no + 1)),
            };
        }
        Ok(Config { streams })
    }
}

/// One reader's end of its queue.
struct Reader {
    id: u64,
    tx: mpsc::Sender<Arc<[u8]>>,
}

/// Counters of one stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Payloads received from the publisher.
    pub received: u64,
    /// Bytes of those payloads.
    pub bytes_received: u64,
    /// Payloads queued to readers (one per reader per payload).
    pub delivered: u64,
    /// Payloads the readers' tasks handed to libsrt (`srt_sendmsg2`), all readers together.
    pub sent: u64,
    /// Bytes of those payloads.
    pub bytes_sent: u64,
    /// Readers dropped because their queue was full.
    pub dropped_readers: u64,
    /// Readers now attached.
    pub readers: usize,
}

#[derive(Default)]
struct Stream {
    live: bool,
    readers: Vec<Reader>,
    stats: StreamStats,
    /// What the readers' tasks sent: (payloads, bytes), counted by the tasks.
    sent: Arc<(AtomicU64, AtomicU64)>,
}

/// The relay's shared state: the streams by name.
#[derive(Clone, Default)]
pub struct Relay {
    config: Arc<Config>,
    streams: Arc<Mutex<HashMap<String, Stream>>>,
    queue: usize,
}

impl Relay {
    /// A relay with `config`, each reader's queue holding `queue` payloads.
    pub fn new(config: Config, queue: usize) -> Relay {
        Relay {
            config: Arc::new(config),
            streams: Arc::default(),
            queue: queue.max(1),
        }
    }

    fn streams(&self) -> std::sync::MutexGuard<'_, HashMap<String, Stream>> {
        self.streams.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Per-stream counters, by name.
    pub fn stats(&self) -> Vec<(String, StreamStats)> {
        let mut v: Vec<_> = self
            .streams()
            .iter()
            .map(|(n, s)| {
                let mut st = s.stats;
                st.readers = s.readers.len();
                st.sent = s.sent.0.load(Ordering::Relaxed);
                st.bytes_sent = s.sent.1.load(Ordering::Relaxed);
                (n.clone(), st)
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// The listen callback's decision for a stream id.
    fn admit(&self, sid: &str) -> Result<(Role, Option<String>), RejectReason> {
        let role = parse_streamid(sid).ok_or(RejectReason::BadRequest)?;
        let (Role::Publish(name) | Role::Read(name)) = &role;
        let pass = self.config.streams.get(name).cloned().flatten();
        let live = self.streams().get(name).is_some_and(|s| s.live);
        match &role {
            Role::Publish(_) if live => Err(RejectReason::Conflict),
            Role::Read(_) if !live && !self.config.streams.contains_key(name) => {
                Err(RejectReason::NotFound)
            }
            _ => Ok((role, pass)),
        }
    }

    /// Binds a live-mode listener to `addr` with the relay's listen callback.
    ///
    /// # Errors
    /// The address is in use or invalid.
    pub fn listener(&self, addr: SocketAddr) -> srtfu::Result<AsyncSrtSocket> {
        let mut l = SrtSocket::new_raw()?;
        l.setsockflag(SRTO_TRANSTYPE, TransType::Live)?;
        // Accepted sockets inherit it: readers can be sent the largest live payload a
        // publisher may use (srt-live-transmit sends 1456 bytes), not only 1316.
        l.setsockflag(SRTO_PAYLOADSIZE, MAX_LIVE_PAYLOAD)?;
        let relay = self.clone();
        l.listen_callback(move |caller| {
            let (_, pass) = relay.admit(caller.streamid()).inspect_err(|r| {
                let (sid, peer) = (caller.streamid(), caller.peer_addr());
                eprintln!("relay: rejected {sid:?} ({peer:?}): {r:?}");
            })?;
            if let Some(pass) = pass {
                caller
                    .socket()
                    .setsockflag(SRTO_PASSPHRASE, pass)
                    .map_err(|_| RejectReason::ServerError)?;
            }
            Ok(())
        })?;
        l.bind(addr)?;
        l.listen(64)?;
        AsyncSrtSocket::from_socket(l)
    }

    /// Accepts callers for ever, each served by a task of its own.
    pub async fn serve(&self, listener: AsyncSrtSocket) -> srtfu::Result<()> {
        let mut next_id = 0u64;
        loop {
            let (sock, peer) = listener.accept().await?;
            let sid = sock.socket().streamid().unwrap_or_default();
            next_id += 1;
            match parse_streamid(&sid) {
                Some(Role::Publish(name)) => {
                    let relay = self.clone();
                    tokio::spawn(async move { relay.publisher(name, sock, peer).await });
                }
                Some(Role::Read(name)) => self.add_reader(name, next_id, sock),
                None => {} // the callback refused it already; dropped here
            }
        }
    }

    async fn publisher(&self, name: String, sock: AsyncSrtSocket, peer: SocketAddr) {
        {
            let mut streams = self.streams();
            let s = streams.entry(name.clone()).or_default();
            if s.live {
                // Two publishers passed the callback at once: the first one keeps it.
                eprintln!("relay: {peer} lost the race to publish {name}");
                return;
            }
            s.live = true;
        }
        eprintln!("relay: {peer} publishes {name}");
        let mut buf = vec![0u8; 1500];
        loop {
            let n = match sock.recvmsg(&mut buf).await {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    eprintln!("relay: publisher of {name}: {e}");
                    break;
                }
            };
            let payload: Arc<[u8]> = Arc::from(&buf[..n]);
            let mut streams = self.streams();
            let Some(s) = streams.get_mut(&name) else {
                break;
            };
            s.stats.received += 1;
            s.stats.bytes_received += n as u64;
            let mut delivered = 0;
            let mut dropped = 0;
            s.readers
                .retain(|r| match r.tx.try_send(Arc::clone(&payload)) {
                    Ok(()) => {
                        delivered += 1;
                        true
                    }
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        eprintln!("relay: reader {} of {name} is too slow: dropped", r.id);
                        dropped += 1;
                        false
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => false,
                });
            s.stats.delivered += delivered;
            s.stats.dropped_readers += dropped;
        }
        eprintln!("relay: {name} ended");
        let mut streams = self.streams();
        if let Some(s) = streams.get_mut(&name) {
            s.live = false;
            // Readers end with the stream: their queues close, their tasks close them.
            s.readers.clear();
        }
    }

    fn add_reader(&self, name: String, id: u64, sock: AsyncSrtSocket) {
        let (tx, mut rx) = mpsc::channel::<Arc<[u8]>>(self.queue);
        let counters = {
            let mut streams = self.streams();
            let s = streams.entry(name.clone()).or_default();
            s.readers.push(Reader { id, tx });
            Arc::clone(&s.sent)
        };
        let relay = self.clone();
        let queue = self.queue;
        tokio::spawn(async move {
            let mut sent = 0u64;
            while let Some(p) = rx.recv().await {
                if let Err(e) = sock.sendmsg2(&p, None).await {
                    eprintln!("relay: reader {id}: {e}");
                    break;
                }
                sent += 1;
                counters.0.fetch_add(1, Ordering::Relaxed);
                counters.1.fetch_add(p.len() as u64, Ordering::Relaxed);
                // A live-mode reader that stops reading rarely makes a send wait: libsrt
                // buffers for it (its receiver stops acknowledging), then drops what became
                // too late. So what libsrt holds unacknowledged for it counts against the
                // same bound as the queue, and so do packets libsrt dropped for it.
                if sent % 64 == 0 {
                    let st = sock.socket().bstats(false).unwrap_or_default();
                    let backlog = usize::try_from(st.pkt_snd_buf).unwrap_or(0);
                    let drops = st.pkt_snd_drop_total;
                    if backlog > queue || drops > MAX_SEND_DROPS {
                        eprintln!(
                            "relay: reader {id} of {name} is too slow ({backlog} packets \
                             unacknowledged, {drops} dropped by libsrt): dropped"
                        );
                        relay.drop_reader(&name, id);
                        break;
                    }
                }
            }
            // Let libsrt deliver what is queued before the close.
            let _ = sock.socket().set_linger(Some(Duration::from_secs(1)));
        });
    }

    /// Removes a reader judged too slow, counting it.
    fn drop_reader(&self, name: &str, id: u64) {
        if let Some(s) = self.streams().get_mut(name) {
            let before = s.readers.len();
            s.readers.retain(|r| r.id != id);
            if s.readers.len() < before {
                s.stats.dropped_readers += 1;
            }
        }
    }
}

/// Command line.
#[derive(Parser, Debug)]
#[command(about = "SRT relay: publish:NAME in, read:NAME out")]
struct Args {
    /// Address to listen on, e.g. 0.0.0.0:4200.
    #[arg(long)]
    listen: SocketAddr,
    /// Config file: `NAME [PASSPHRASE]` a line.
    #[arg(long)]
    config: Option<std::path::PathBuf>,
    /// Payloads each reader's queue holds before the reader is dropped as too slow (also the
    /// bound on packets libsrt holds unacknowledged for it).
    #[arg(long, default_value_t = 1024)]
    queue: usize,
    /// Seconds between stats lines (0: none).
    #[arg(long, default_value_t = 5)]
    stats: u64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let config = match &args.config {
        Some(p) => Config::parse(&std::fs::read_to_string(p)?)
            .map_err(|e| format!("{}: {e}", p.display()))?,
        None => Config::default(),
    };
    let relay = Relay::new(config, args.queue);
    let listener = relay.listener(args.listen)?;
    eprintln!("relay: listening on {}", args.listen);
    if args.stats > 0 {
        let r = relay.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(args.stats));
            loop {
                tick.tick().await;
                for (name, s) in r.stats() {
                    eprintln!(
                        "stats {name}: received {} ({} bytes) delivered {} sent {} ({} bytes) \
                         readers {} dropped-readers {}",
                        s.received,
                        s.bytes_received,
                        s.delivered,
                        s.sent,
                        s.bytes_sent,
                        s.readers,
                        s.dropped_readers
                    );
                }
            }
        });
    }
    relay.serve(listener).await?;
    Ok(())
}
