//! A UDP impairment proxy for tests: relays between one caller and one listener on loopback
//! and, per direction, applies random loss, reordering, duplication, delay with jitter, byte
//! corruption, a bandwidth cap, blackouts (switched at run time) and handshake-only loss.
//!
//! Randomness comes from a seeded xorshift generator; the seed is printed when the proxy
//! starts (and can be forced with `SRTFU_PROXY_SEED=<n>`) so a failing run can be replayed.
//! Counters of everything done are available through [`Proxy::counters`]. The relay threads
//! stop when the proxy is dropped or [`Proxy::stop`] is called.
#![allow(dead_code)]

use std::collections::BinaryHeap;
use std::fmt;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// What the proxy does to the packets of one direction.
#[derive(Clone, Debug, Default)]
pub struct Impair {
    /// Probability (0..1) of dropping a packet.
    pub loss: f64,
    /// Probability of holding a packet back by `reorder_by` so later ones overtake it.
    pub reorder: f64,
    /// How long a reordered packet is held back (default 5 ms when zero).
    pub reorder_by: Duration,
    /// Probability of sending a packet twice.
    pub duplicate: f64,
    /// Fixed one-way delay added to every packet.
    pub delay: Duration,
    /// Extra random delay, uniform in 0..jitter (may reorder too).
    pub jitter: Duration,
    /// Probability of flipping one byte of a packet.
    pub corrupt: f64,
    /// Corrupt only data packets, and only bytes past their 16-byte SRT header (control
    /// packets and headers stay valid).
    pub corrupt_payload_only: bool,
    /// Bandwidth cap in bytes per second (0: none).
    pub bandwidth: u64,
    /// With a bandwidth cap: the longest a packet may wait for the link before it is
    /// dropped (the router's queue; default 1 s when zero).
    pub queue_limit: Duration,
    /// Drop the first N packets of any kind.
    pub drop_first: u32,
    /// Drop these handshake packets (1-based index among the handshake control packets
    /// seen in this direction).
    pub hs_drop_nth: Vec<u32>,
    /// Probability of dropping a handshake control packet (other packets untouched).
    pub hs_loss: f64,
    /// Let handshake packets through untouched by the random impairments (loss, reorder,
    /// duplication, corruption) so only the established connection is impaired.
    pub spare_handshake: bool,
    /// Duplicate these handshake packets (1-based index, as `hs_drop_nth`).
    pub hs_dup_nth: Vec<u32>,
}

impl Impair {
    /// Loss, reordering and duplication at the given rate (reorder and duplicate at `p / 2`),
    /// sparing handshake packets: libsrt 1.5.1 can fail a connect when a conclusion response
    /// is lost (the "CONFUSED" case, tested on its own in reliability_peer.rs), so tests about
    /// data under loss apply it after the handshake.
    pub fn lossy(p: f64) -> Impair {
        Impair {
            loss: p,
            reorder: p / 2.0,
            duplicate: p / 2.0,
            spare_handshake: true,
            ..Impair::default()
        }
    }
}

/// Counters for one direction.
#[derive(Default, Debug)]
pub struct Counters {
    /// Packets received from the source.
    pub received: AtomicU64,
    /// Bytes received from the source.
    pub bytes: AtomicU64,
    /// Packets sent on (duplicates included).
    pub forwarded: AtomicU64,
    /// Dropped by random loss.
    pub lost: AtomicU64,
    /// Dropped by `drop_first`.
    pub dropped_first: AtomicU64,
    /// Handshake packets dropped (`hs_drop_nth`, `hs_loss`).
    pub hs_dropped: AtomicU64,
    /// Handshake control packets seen.
    pub hs_seen: AtomicU64,
    /// Dropped during a blackout.
    pub blackout_dropped: AtomicU64,
    /// Dropped by the bandwidth cap (queue over 1 s).
    pub bw_dropped: AtomicU64,
    /// Packets held back for reordering.
    pub reordered: AtomicU64,
    /// Packets duplicated.
    pub duplicated: AtomicU64,
    /// Packets with a byte flipped.
    pub corrupted: AtomicU64,
    /// Packets containing the inspection marker.
    pub marker_hits: AtomicU64,
}

impl fmt::Display for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rx {} ({} B) fwd {} lost {} first {} hs {}/{} blackout {} bw {} reord {} dup {} corrupt {} marker {}",
            self.received.load(Relaxed),
            self.bytes.load(Relaxed),
            self.forwarded.load(Relaxed),
            self.lost.load(Relaxed),
            self.dropped_first.load(Relaxed),
            self.hs_dropped.load(Relaxed),
            self.hs_seen.load(Relaxed),
            self.blackout_dropped.load(Relaxed),
            self.bw_dropped.load(Relaxed),
            self.reordered.load(Relaxed),
            self.duplicated.load(Relaxed),
            self.corrupted.load(Relaxed),
            self.marker_hits.load(Relaxed),
        )
    }
}

/// Tiny xorshift64* generator (seeded, reproducible).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

/// State shared by the proxy handle and its threads.
struct Shared {
    stop: AtomicBool,
    blackout: AtomicBool,
    hs_block: AtomicBool,
    /// The caller's address (learned from the first packet it sends).
    client: Mutex<Option<SocketAddr>>,
    marker: Mutex<Option<Vec<u8>>>,
    c2s: Counters,
    s2c: Counters,
}

/// True for an SRT handshake control packet: control bit set, control type 0.
pub fn is_handshake(pkt: &[u8]) -> bool {
    pkt.len() >= 16 && pkt[0] == 0x80 && pkt[1] == 0x00
}

/// True for an SRT control packet.
pub fn is_control(pkt: &[u8]) -> bool {
    !pkt.is_empty() && pkt[0] & 0x80 != 0
}

/// A running proxy. Callers connect to [`Proxy::addr`]; it relays to the listener.
pub struct Proxy {
    addr: SocketAddr,
    seed: u64,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

/// A packet waiting in a direction's delay queue.
struct Pending {
    due: Instant,
    seq: u64,
    data: Vec<u8>,
}

impl PartialEq for Pending {
    fn eq(&self, o: &Self) -> bool {
        self.due == o.due && self.seq == o.seq
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Pending {
    // Reversed: BinaryHeap is a max-heap, we want the earliest first.
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (o.due, o.seq).cmp(&(self.due, self.seq))
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Dir {
    C2S,
    S2C,
}

impl Proxy {
    /// Starts a proxy in front of the listener at `server` (a random seed, printed).
    pub fn start(server: SocketAddr, c2s: Impair, s2c: Impair) -> Proxy {
        let seed = std::env::var("SRTFU_PROXY_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                let t = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                t.as_nanos() as u64 ^ u64::from(std::process::id())
            });
        Proxy::start_seeded(server, c2s, s2c, seed)
    }

    /// Starts a proxy with a given seed.
    pub fn start_seeded(server: SocketAddr, c2s: Impair, s2c: Impair, seed: u64) -> Proxy {
        let front = UdpSocket::bind("127.0.0.1:0").expect("proxy front bind");
        let back = UdpSocket::bind("127.0.0.1:0").expect("proxy back bind");
        back.connect(server).expect("proxy back connect");
        let addr = front.local_addr().unwrap();
        eprintln!(
            "impairment proxy {addr} -> {server}: seed {seed} (replay with SRTFU_PROXY_SEED={seed}); c2s {c2s:?}; s2c {s2c:?}"
        );
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            blackout: AtomicBool::new(false),
            hs_block: AtomicBool::new(false),
            client: Mutex::new(None),
            marker: Mutex::new(None),
            c2s: Counters::default(),
            s2c: Counters::default(),
        });
        let mut threads = Vec::new();
        for (dir, imp, rng_seed) in [(Dir::C2S, c2s, seed), (Dir::S2C, s2c, seed ^ 0xA5A5_5A5A)] {
            let front = front.try_clone().unwrap();
            let back = back.try_clone().unwrap();
            let shared = shared.clone();
            threads.push(
                thread::Builder::new()
                    .name(format!(
                        "proxy-{}",
                        if dir == Dir::C2S { "c2s" } else { "s2c" }
                    ))
                    .spawn(move || relay(dir, imp, Rng::new(rng_seed), front, back, &shared))
                    .unwrap(),
            );
        }
        Proxy {
            addr,
            seed,
            shared,
            threads,
        }
    }

    /// The address callers connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The seed in use.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Starts (`true`) or ends (`false`) a blackout: every packet both ways is dropped.
    pub fn blackout(&self, on: bool) {
        self.shared.blackout.store(on, Relaxed);
    }

    /// Starts or ends dropping every SRT handshake packet, both ways (other packets pass).
    pub fn drop_handshakes(&self, on: bool) {
        self.shared.hs_block.store(on, Relaxed);
    }

    /// Counts packets containing `marker` from now on (`None` stops looking).
    pub fn watch(&self, marker: Option<&[u8]>) {
        *self.shared.marker.lock().unwrap() = marker.map(<[u8]>::to_vec);
    }

    /// Counters for caller → listener and listener → caller.
    pub fn counters(&self) -> (&Counters, &Counters) {
        (&self.shared.c2s, &self.shared.s2c)
    }

    /// Packets containing the marker, both directions.
    pub fn marker_hits(&self) -> u64 {
        self.shared.c2s.marker_hits.load(Relaxed) + self.shared.s2c.marker_hits.load(Relaxed)
    }

    /// A one-line report of what the proxy did.
    pub fn report(&self) -> String {
        format!(
            "seed {}: c2s [{}] s2c [{}]",
            self.seed, self.shared.c2s, self.shared.s2c
        )
    }

    /// Stops the relay threads and waits for them.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}

fn relay(dir: Dir, imp: Impair, mut rng: Rng, front: UdpSocket, back: UdpSocket, sh: &Shared) {
    let (src, dst) = match dir {
        Dir::C2S => (&front, &back),
        Dir::S2C => (&back, &front),
    };
    let ctr = match dir {
        Dir::C2S => &sh.c2s,
        Dir::S2C => &sh.s2c,
    };
    let mut queue: BinaryHeap<Pending> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut wire_free = Instant::now();
    let mut hs_index = 0u32;
    let mut buf = vec![0u8; 65536];
    let trace: u64 = std::env::var("SRTFU_PROXY_TRACE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let name = if dir == Dir::C2S { "c2s" } else { "s2c" };
    let show = |n: u64, data: &[u8], fate: &str| {
        if n <= trace {
            let kind = if is_handshake(data) {
                "handshake".to_string()
            } else if is_control(data) {
                format!("control 0x{:02x}{:02x}", data[0] & 0x7f, data[1])
            } else {
                "data".to_string()
            };
            eprintln!("proxy {name} #{n}: {} B {kind}: {fate}", data.len());
        }
    };
    let reorder_by = if imp.reorder_by.is_zero() {
        Duration::from_millis(5)
    } else {
        imp.reorder_by
    };
    while !sh.stop.load(Relaxed) {
        // Send what is due.
        let now = Instant::now();
        while queue.peek().is_some_and(|p| p.due <= now) {
            let p = queue.pop().unwrap();
            let ok = match dir {
                Dir::C2S => dst.send(&p.data).is_ok(),
                Dir::S2C => match *sh.client.lock().unwrap() {
                    Some(c) => dst.send_to(&p.data, c).is_ok(),
                    None => false,
                },
            };
            if ok {
                ctr.forwarded.fetch_add(1, Relaxed);
            }
        }
        let wait = queue
            .peek()
            .map(|p| p.due.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_millis(20))
            .clamp(Duration::from_micros(200), Duration::from_millis(20));
        src.set_read_timeout(Some(wait)).unwrap();
        let (n, from) = match src.recv_from(&mut buf) {
            Ok(x) => x,
            Err(_) => continue, // timeout (or an ICMP error from a closed port): go on
        };
        if dir == Dir::C2S {
            *sh.client.lock().unwrap() = Some(from);
        }
        let mut data = buf[..n].to_vec();
        ctr.received.fetch_add(1, Relaxed);
        ctr.bytes.fetch_add(n as u64, Relaxed);
        if let Some(m) = sh.marker.lock().unwrap().as_deref() {
            if !m.is_empty() && data.windows(m.len()).any(|w| w == m) {
                ctr.marker_hits.fetch_add(1, Relaxed);
            }
        }
        let received = ctr.received.load(Relaxed);
        if sh.blackout.load(Relaxed) {
            ctr.blackout_dropped.fetch_add(1, Relaxed);
            show(received, &data, "blackout");
            continue;
        }
        if received <= u64::from(imp.drop_first) {
            ctr.dropped_first.fetch_add(1, Relaxed);
            show(received, &data, "dropped (first)");
            continue;
        }
        if is_handshake(&data) {
            hs_index += 1;
            ctr.hs_seen.fetch_add(1, Relaxed);
            if sh.hs_block.load(Relaxed)
                || imp.hs_drop_nth.contains(&hs_index)
                || rng.chance(imp.hs_loss)
            {
                ctr.hs_dropped.fetch_add(1, Relaxed);
                show(received, &data, "handshake dropped");
                continue;
            }
        }
        let hs = is_handshake(&data);
        if hs && imp.hs_dup_nth.contains(&hs_index) {
            ctr.duplicated.fetch_add(1, Relaxed);
            seq += 1;
            let due = Instant::now() + imp.delay + Duration::from_millis(1);
            queue.push(Pending {
                due,
                seq,
                data: data.clone(),
            });
        }
        if hs && imp.spare_handshake {
            show(received, &data, "forwarded (spared)");
            seq += 1;
            queue.push(Pending {
                due: Instant::now() + imp.delay,
                seq,
                data,
            });
            continue;
        }
        if rng.chance(imp.loss) {
            ctr.lost.fetch_add(1, Relaxed);
            show(received, &data, "lost");
            continue;
        }
        if (!imp.corrupt_payload_only || !is_control(&data)) && rng.chance(imp.corrupt) {
            let lo = if imp.corrupt_payload_only { 16 } else { 0 };
            if data.len() > lo {
                let i = lo + rng.below((data.len() - lo) as u64) as usize;
                data[i] ^= 1 << rng.below(8);
                ctr.corrupted.fetch_add(1, Relaxed);
            }
        }
        let now = Instant::now();
        let mut due = now + imp.delay;
        if !imp.jitter.is_zero() {
            due += Duration::from_nanos(rng.below(imp.jitter.as_nanos() as u64));
        }
        if imp.bandwidth > 0 {
            let start = wire_free.max(now);
            let limit = if imp.queue_limit.is_zero() {
                Duration::from_secs(1)
            } else {
                imp.queue_limit
            };
            if start > now + limit {
                ctr.bw_dropped.fetch_add(1, Relaxed);
                continue;
            }
            wire_free = start + Duration::from_secs_f64(n as f64 / imp.bandwidth as f64);
            due = due.max(wire_free);
        }
        let mut fate = String::from("forwarded");
        if rng.chance(imp.reorder) {
            ctr.reordered.fetch_add(1, Relaxed);
            due += reorder_by;
            fate.push_str(" late");
        }
        if rng.chance(imp.duplicate) {
            fate.push_str(" twice");
            ctr.duplicated.fetch_add(1, Relaxed);
            seq += 1;
            queue.push(Pending {
                due: due + Duration::from_micros(rng.below(2000)),
                seq,
                data: data.clone(),
            });
        }
        show(received, &data, &fate);
        seq += 1;
        queue.push(Pending { due, seq, data });
        // Bound the queue (a stalled peer must not grow memory without limit).
        if queue.len() > 100_000 {
            queue.clear();
        }
    }
}

/// A child process that is killed (SIGKILL) and reaped when dropped, so a failing test never
/// leaves a peer process behind.
pub struct ChildGuard(pub std::process::Child);

impl std::ops::Deref for ChildGuard {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for ChildGuard {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // std remembers a reaped child, so this never signals a reused pid.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
