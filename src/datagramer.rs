//! `datagramer(url)`: an iterator over the payloads of a live SRT stream.
//!
//! ```no_run
//! for datagram in srtfu::datagramer("srt://127.0.0.1:4201")? {
//!     let datagram = datagram?;
//!     assert!(datagram.len() <= 1456); // 1316 for MPEG-TS: seven 188-byte packets
//! }
//! # Ok::<(), srtfu::Error>(())
//! ```
//!
//! # How the end of a stream is told from a broken link
//!
//! libsrt 1.5.1 answers `srt_recvmsg` with `SRT_ECONNLOST` both when the peer closed the
//! connection (it sent a shutdown) and when the peer went silent and libsrt gave up; in both
//! cases `srt_getsockstate` says `SRTS_BROKEN` and `srt_bstats` fails. libsrt gives up on a
//! silent peer after `SRTO_PEERIDLETIMEO` (5 s by default), and not before its response timer
//! expired 16 times (measured: about 5 s even with `peeridletimeo=1000`).
//!
//! What differs is time: a link that broke by silence delivered nothing for at least
//! `SRTO_PEERIDLETIMEO` before the error, whereas a peer that closes while streaming does so
//! right after its last payload. So the datagramer notes when each payload arrives; an
//! `SRT_ECONNLOST` (or `SRT_ENOCONN`) that comes less than 90 % of `SRTO_PEERIDLETIMEO` after
//! the last payload (or after the connection was made) is a clean close and ends the
//! iteration; a later one is reported as an error. A peer that keeps the connection open,
//! sends nothing for longer than `SRTO_PEERIDLETIMEO` and then closes is therefore reported
//! as an error; set a receive [`timeout`](DatagramerBuilder::timeout) to hear of silence
//! sooner.
//!
//! # Closing a live sender
//!
//! When the sender's shutdown arrives, libsrt 1.5.1's receiver drops the payloads it still
//! holds back for their delivery time (TSBPD, the latency). Measured on loopback with 120 ms
//! latency: a srtfu sender that closed right after its last `srt_sendmsg2` lost everything
//! sent in its last ~120 ms (all of a 100 ms burst), in one process or two. (ffmpeg's
//! `srt://` output also loses the end of its stream: 2.7 to 2.85 s of a 3 s clip arrived.)
//! Senders should wait the latency (plus a round trip) after the last payload before
//! closing: [`close_after_latency`] does that.

use std::fmt;
use std::thread;
use std::time::{Duration, Instant};

use crate::epoll::{Epoll, EpollEvent, EpollEvents};
use crate::error::{Error, ErrorCode, Result, SrtError};
use crate::group::{is_group_id, SrtGroup};
use crate::group_url::GroupUrl;
use crate::options::{
    SRTO_GROUPCONNECT, SRTO_LATENCY, SRTO_MSS, SRTO_PEERIDLETIMEO, SRTO_RCVTIMEO,
};
use crate::socket::SrtSocket;
use crate::url::{Mode, SrtUrl};

/// The smallest receive buffer the datagramer uses: a whole Ethernet MTU, larger than any
/// live payload libsrt sends with the default SRTO_MSS (at most 1456 bytes).
pub const MIN_RECV_BUFFER: usize = 1500;

/// How long one group receive waits before the datagramer calls libsrt again (a group's
/// SRTO_RCVTIMEO in the datagramer): see [`Datagramer`] over groups.
pub const GROUP_RECV_SLICE: Duration = Duration::from_millis(100);

/// Opens the connection an `srt://` URL describes (caller by default, `mode=listener` waits
/// for one sender, `mode=rendezvous`), in live transtype, and returns an iterator over the
/// received payloads. See [`Datagramer`] and, for options, [`Datagramer::builder`].
///
/// Socket groups (a libsrt built with bonding): a group URL
/// (`srt:////group?type=broadcast&nodes=host:port,host:port`, see [`GroupUrl`]) connects a
/// group and receives from it; a listener URL with `groupconnect=1` accepts a group (and
/// keeps listening while the group lives, for its other members).
///
/// # Errors
/// A bad URL, a URL asking for `transtype=file`, or the connection failing (timeout,
/// rejection with its reason, e.g. a wrong passphrase); [`Error::NoBonding`] for a group
/// URL on a libsrt without bonding.
pub fn datagramer(url: &str) -> Result<Datagramer> {
    Datagramer::builder(url).open()
}

/// When and how often a [`Datagramer`] reconnects after its link drops.
///
/// Off unless set with [`DatagramerBuilder::reconnect`]. Each attempt opens the URL again
/// (a caller connects again, a listener waits for the next caller); between failed attempts
/// it waits, doubling the wait from `initial_backoff` up to `max_backoff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// How many reconnect attempts in a row before giving up (`None`: never give up).
    pub max_attempts: Option<u32>,
    /// The wait before the first attempt.
    pub initial_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
    /// Whether a clean close by the peer also triggers a reconnect (default false: a clean
    /// close ends the iteration).
    pub after_clean_close: bool,
}

impl ReconnectPolicy {
    /// At most `attempts` reconnect attempts in a row, 100 ms to 5 s apart.
    pub fn bounded(attempts: u32) -> ReconnectPolicy {
        ReconnectPolicy {
            max_attempts: Some(attempts),
            ..ReconnectPolicy::unbounded()
        }
    }

    /// Reconnects forever, 100 ms to 5 s apart: for an ingest that must come back by itself.
    pub fn unbounded() -> ReconnectPolicy {
        ReconnectPolicy {
            max_attempts: None,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            after_clean_close: false,
        }
    }

    /// Sets the first and the longest wait between attempts.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> ReconnectPolicy {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Also reconnects after the peer closed cleanly.
    pub fn after_clean_close(mut self, yes: bool) -> ReconnectPolicy {
        self.after_clean_close = yes;
        self
    }
}

/// What happened to a [`Datagramer`]'s link, reported to the callback set with
/// [`DatagramerBuilder::on_link_event`] (and to the `log` crate).
#[derive(Debug)]
#[non_exhaustive]
pub enum LinkEvent<'a> {
    /// The link dropped: `error` is `None` for a clean close by the peer.
    Dropped {
        /// Why, if it was not a clean close.
        error: Option<&'a Error>,
    },
    /// A reconnect attempt failed; the next one follows after `retry_in`.
    AttemptFailed {
        /// The attempt's number, from 1.
        attempt: u32,
        /// Why it failed.
        error: &'a Error,
        /// The wait before the next attempt.
        retry_in: Duration,
    },
    /// The link is back.
    Reconnected {
        /// The attempt that succeeded, from 1.
        attempt: u32,
    },
}

type LinkCallback = Box<dyn FnMut(&LinkEvent<'_>) + Send>;

/// Options for a [`Datagramer`]; made by [`Datagramer::builder`].
pub struct DatagramerBuilder {
    url: String,
    timeout: Option<Duration>,
    reconnect: Option<ReconnectPolicy>,
    on_event: Option<LinkCallback>,
}

impl fmt::Debug for DatagramerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a passphrase: show the parsed form, which hides it.
        let url = self
            .url
            .parse::<SrtUrl>()
            .map(|u| format!("{u:?}"))
            .unwrap_or_else(|_| "<unparsable>".into());
        f.debug_struct("DatagramerBuilder")
            .field("url", &url)
            .field("timeout", &self.timeout)
            .field("reconnect", &self.reconnect)
            .field("on_event", &self.on_event.is_some())
            .finish()
    }
}

impl DatagramerBuilder {
    /// Gives up when no payload arrives for `t` (`SRTO_RCVTIMEO`): the iterator yields a
    /// timeout error (or reconnects, with a policy). In listener mode it also bounds the wait
    /// for a caller. Overrides the URL's `timeout` key.
    pub fn timeout(mut self, t: Duration) -> DatagramerBuilder {
        self.timeout = Some(t);
        self
    }

    /// Reconnects after a drop, by `policy`.
    pub fn reconnect(mut self, policy: ReconnectPolicy) -> DatagramerBuilder {
        self.reconnect = Some(policy);
        self
    }

    /// Calls `f` on every drop, failed attempt and reconnection. Runs on the thread that
    /// iterates.
    pub fn on_link_event(mut self, f: impl FnMut(&LinkEvent<'_>) + Send + 'static) -> Self {
        self.on_event = Some(Box::new(f));
        self
    }

    /// Opens the connection (with retries under a reconnect policy) and returns the
    /// datagramer.
    ///
    /// # Errors
    /// A bad URL, `transtype=file` in it, a zero timeout, or the connection failing (after
    /// the policy's attempts, if any).
    pub fn open(self) -> Result<Datagramer> {
        // A group URL (`srt:////group?type=...&nodes=...`): the group is the connection, its
        // shared options are the URL's.
        let group = if self.url.starts_with("srt:////group") {
            Some(self.url.parse::<GroupUrl>()?)
        } else {
            None
        };
        let mut url: SrtUrl = match &group {
            Some(g) => g.options().clone(),
            None => self.url.parse()?,
        };
        if url.is_file_mode() {
            return Err(Error::invalid_option(
                "transtype",
                "file",
                "datagramer receives live streams; leave transtype out or set it to live",
            ));
        }
        // A group is live only, and libsrt refuses SRTO_TRANSTYPE on it.
        if group.is_none() {
            url = url.with("transtype", "live")?;
        }
        if let Some(t) = self.timeout {
            let ms = crate::socket::timeout_ms("Datagramer::timeout", Some(t))?;
            url = url.with("timeout", ms)?;
        }
        let mut d = Datagramer {
            url,
            group,
            sock: None,
            listener: None,
            group_slices: false,
            buf: Vec::new(),
            last_data: Instant::now(),
            peer_idle: Duration::from_secs(5),
            done: false,
            reconnect: self.reconnect,
            on_event: self.on_event,
            reconnects: 0,
        };
        match d.reconnect {
            None => d.connect()?,
            Some(_) => {
                if let Err(e) = d.connect() {
                    d.retry(Some(e))?;
                }
            }
        }
        Ok(d)
    }
}

/// An iterator over the payloads of a live SRT stream; made by [`datagramer`] or
/// [`Datagramer::builder`].
///
/// Each item is one payload exactly as the sender passed it to `srt_sendmsg` (1316 bytes for
/// MPEG-TS), never padded nor cut. The iterator ends (`None`) after the peer closes cleanly;
/// when the link breaks or the receive timeout passes it yields one error and then ends
/// (unless a [`ReconnectPolicy`] brings the link back). See the [module docs](mod@crate::datagramer) for how a
/// close is told from a break.
///
/// [`recv_into`](Self::recv_into) and [`recv`](Self::recv) receive without allocating; the
/// iterator allocates one `Vec` of exactly the payload's length per item.
pub struct Datagramer {
    url: SrtUrl,
    /// For a group URL: the group type and members (`url` holds the shared options).
    group: Option<GroupUrl>,
    sock: Option<SrtSocket>,
    /// The listener a group came through, open while the group lives (its other members
    /// connect through it).
    listener: Option<SrtSocket>,
    /// The connection is a group: receive in slices (see `recv_group`).
    group_slices: bool,
    buf: Vec<u8>,
    last_data: Instant,
    peer_idle: Duration,
    done: bool,
    reconnect: Option<ReconnectPolicy>,
    on_event: Option<LinkCallback>,
    reconnects: u32,
}

impl fmt::Debug for Datagramer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Datagramer")
            .field("url", &self.url)
            .field("socket", &self.sock)
            .field("done", &self.done)
            .field("reconnects", &self.reconnects)
            .finish()
    }
}

enum Ended {
    Clean,
    Broken(Error),
}

impl Datagramer {
    /// Starts building a datagramer for `url`, with a receive timeout and a reconnect
    /// policy:
    ///
    /// ```no_run
    /// use srtfu::{Datagramer, ReconnectPolicy};
    /// use std::time::Duration;
    /// let feed = Datagramer::builder("srt://127.0.0.1:4201?latency=200")
    ///     .timeout(Duration::from_secs(2))
    ///     .reconnect(ReconnectPolicy::unbounded())
    ///     .on_link_event(|e| eprintln!("link: {e:?}"))
    ///     .open()?;
    /// for datagram in feed {
    ///     let _ = datagram?;
    /// }
    /// # Ok::<(), srtfu::Error>(())
    /// ```
    pub fn builder(url: &str) -> DatagramerBuilder {
        DatagramerBuilder {
            url: url.to_string(),
            timeout: None,
            reconnect: None,
            on_event: None,
        }
    }

    /// The connected socket, for stats ([`SrtSocket::bstats`]) or options; `None` after the
    /// iteration ended.
    pub fn socket(&self) -> Option<&SrtSocket> {
        self.sock.as_ref()
    }

    /// The URL in use (with `transtype=live` and the timeout added).
    pub fn url(&self) -> &SrtUrl {
        &self.url
    }

    /// How many times the link was re-established under the reconnect policy.
    pub fn reconnects(&self) -> u32 {
        self.reconnects
    }

    /// The smallest buffer [`recv_into`](Self::recv_into) accepts: the larger of 1500 bytes,
    /// SRTO_PAYLOADSIZE and SRTO_MSS, so no payload can be cut.
    pub fn min_buffer(&self) -> usize {
        self.buf.len().max(MIN_RECV_BUFFER)
    }

    /// Receives the next payload into `buf` (one `srt_recvmsg`), without allocating;
    /// returns its length, or `Ok(None)` when the stream ended cleanly (and ever after).
    ///
    /// # Errors
    /// `buf` shorter than [`min_buffer`](Self::min_buffer); the link broke or the receive
    /// timeout passed (reported once; later calls return `Ok(None)`), after the reconnect
    /// policy, if any, gave up.
    pub fn recv_into(&mut self, buf: &mut [u8]) -> Result<Option<usize>> {
        if buf.len() < self.min_buffer() {
            return Err(Error::invalid_argument(
                "Datagramer::recv_into",
                format!(
                    "a buffer of {} bytes may cut a payload; give at least {}",
                    buf.len(),
                    self.min_buffer()
                ),
            ));
        }
        loop {
            if self.done {
                return Ok(None);
            }
            let Some(sock) = self.sock.as_ref() else {
                self.done = true;
                return Ok(None);
            };
            let res = if self.group_slices {
                self.recv_group(sock, buf)
            } else {
                sock.recvmsg(buf)
            };
            match res {
                // The end of the stream: never a payload.
                Ok(0) => {
                    let ended = self.classify_end();
                    self.sock = None;
                    self.listener = None;
                    self.handle_end(ended)?;
                }
                Ok(n) => {
                    self.last_data = Instant::now();
                    return Ok(Some(n));
                }
                Err(e) => {
                    let ended = self.classify(e);
                    self.sock = None;
                    self.listener = None;
                    self.handle_end(ended)?;
                }
            }
        }
    }

    /// One receive on a group, in slices of [`GROUP_RECV_SLICE`] (the group's SRTO_RCVTIMEO)
    /// up to the datagramer's timeout (none: for ever). libsrt 1.5.5's broadcast group can
    /// stop delivering inside one `srt_recvmsg2` although its members hold the payloads
    /// (RELIABILITY.md, "Broadcast receive stall"); the next call delivers them, so a stall
    /// costs at most one slice instead of the whole timeout, and the payloads are not lost
    /// with the group when the sender closes.
    fn recv_group(&self, sock: &SrtSocket, buf: &mut [u8]) -> Result<usize> {
        let deadline = self.url.timeout().map(|t| Instant::now() + t);
        loop {
            match sock.recvmsg(buf) {
                Err(e)
                    if (e.is_would_block() || e.is_timeout())
                        && deadline.map_or(true, |d| Instant::now() < d) => {}
                other => return other,
            }
        }
    }

    /// Receives the next payload into the datagramer's own buffer and lends it out: no
    /// allocation per payload. `Ok(None)` when the stream ended cleanly.
    ///
    /// # Errors
    /// As [`recv_into`](Self::recv_into).
    pub fn recv(&mut self) -> Result<Option<&[u8]>> {
        let mut buf = std::mem::take(&mut self.buf);
        let size = buf.len().max(MIN_RECV_BUFFER);
        buf.resize(size, 0);
        let res = self.recv_into(&mut buf);
        self.buf = buf;
        match res {
            Ok(Some(n)) => Ok(Some(&self.buf[..n])),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Closes the connection now (`srt_close`); the iterator then ends.
    pub fn close(&mut self) {
        self.done = true;
        self.sock = None;
        self.listener = None;
    }

    /// `Ok(0)` from libsrt 1.5.3+ (which answers a collected socket's `SRT_EINVSOCK`, read
    /// as the end): a clean close unless the link had gone silent for about the idle
    /// timeout, as [`classify`](Self::classify) judges `SRT_ECONNLOST`.
    fn classify_end(&self) -> Ended {
        let since = self.last_data.elapsed();
        if since < self.peer_idle.mul_f64(0.9) {
            Ended::Clean
        } else {
            Ended::Broken(Error::Srt(SrtError::new(
                "srt_recvmsg",
                ErrorCode::ConnLost,
                format!(
                    "the connection to {} ended after {since:?} without data \
                     (SRTO_PEERIDLETIMEO {:?}): the link broke",
                    peer(&self.url),
                    self.peer_idle
                ),
            )))
        }
    }

    fn classify(&self, e: Error) -> Ended {
        let since = self.last_data.elapsed();
        match e.code() {
            Some(ErrorCode::ConnLost | ErrorCode::NoConn)
                if since < self.peer_idle.mul_f64(0.9) =>
            {
                Ended::Clean
            }
            _ => Ended::Broken(e),
        }
    }

    /// After the link ended: Ok(()) to go on receiving (reconnected), or the end.
    fn handle_end(&mut self, ended: Ended) -> Result<()> {
        let policy = self.reconnect;
        let (error, reconnect) = match ended {
            Ended::Clean => {
                log::info!("datagramer: {} closed the connection", peer(&self.url));
                self.emit(&LinkEvent::Dropped { error: None });
                (None, policy.is_some_and(|p| p.after_clean_close))
            }
            Ended::Broken(e) => {
                log::warn!("datagramer: link to {} dropped: {e}", peer(&self.url));
                self.emit(&LinkEvent::Dropped { error: Some(&e) });
                (Some(e), policy.is_some())
            }
        };
        if !reconnect {
            self.done = true;
            return match error {
                Some(e) => Err(e),
                None => Ok(()),
            };
        }
        match self.retry(error) {
            Ok(true) => Ok(()),
            Ok(false) => {
                self.done = true;
                Ok(())
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    /// Reconnects under the policy: `Ok(true)` once back; when it gives up, the last
    /// attempt's error, or `Ok(false)` if no attempt was made after a clean close.
    fn retry(&mut self, mut last: Option<Error>) -> Result<bool> {
        let Some(policy) = self.reconnect else {
            return last.map_or(Ok(false), Err);
        };
        let mut wait = policy.initial_backoff;
        let mut attempt = 0u32;
        loop {
            if policy.max_attempts.is_some_and(|m| attempt >= m) {
                return last.map_or(Ok(false), Err);
            }
            thread::sleep(wait);
            attempt += 1;
            match self.connect() {
                Ok(()) => {
                    self.reconnects += 1;
                    log::info!(
                        "datagramer: reconnected to {} (attempt {attempt})",
                        peer(&self.url)
                    );
                    self.emit(&LinkEvent::Reconnected { attempt });
                    return Ok(true);
                }
                Err(e) => {
                    let next = (wait * 2).min(policy.max_backoff);
                    log::warn!(
                        "datagramer: reconnect attempt {attempt} to {} failed: {e}",
                        peer(&self.url)
                    );
                    self.emit(&LinkEvent::AttemptFailed {
                        attempt,
                        error: &e,
                        retry_in: next,
                    });
                    last = Some(e);
                    wait = next;
                }
            }
        }
    }

    fn emit(&mut self, event: &LinkEvent<'_>) {
        if let Some(f) = self.on_event.as_mut() {
            f(event);
        }
    }

    fn connect(&mut self) -> Result<()> {
        let (sock, listener) = match &self.group {
            Some(g) => (open_group(g, &self.url)?, None),
            None => open_url(&self.url)?,
        };
        self.listener = listener;
        // A group receives in slices (see recv_group).
        self.group_slices = is_group_id(sock.id());
        if self.group_slices {
            let ms = i32::try_from(GROUP_RECV_SLICE.as_millis()).unwrap_or(100);
            sock.setsockflag(SRTO_RCVTIMEO, ms)?;
        }
        let payload = sock.payload_size().unwrap_or(0);
        let mss = sock.getsockflag(SRTO_MSS).unwrap_or(0).max(0) as usize;
        let size = payload.max(mss).max(MIN_RECV_BUFFER);
        if self.buf.len() < size {
            self.buf.resize(size, 0);
        }
        let idle = sock.getsockflag(SRTO_PEERIDLETIMEO).unwrap_or(5000).max(1);
        self.peer_idle = Duration::from_millis(idle as u64);
        self.last_data = Instant::now();
        self.sock = Some(sock);
        Ok(())
    }
}

/// `host:port (mode)` for messages: never the query, which may hold a passphrase.
fn peer(url: &SrtUrl) -> String {
    let host = if url.host().is_empty() {
        "*"
    } else {
        url.host()
    };
    format!("{host}:{} ({})", url.port(), url.mode())
}

/// Creates the group of a group URL with the options of `options` (the group URL's own,
/// with the datagramer's additions), connects its members and returns the group's handle.
fn open_group(group: &GroupUrl, options: &SrtUrl) -> Result<SrtSocket> {
    let g = SrtGroup::create_group(group.group_type())?;
    options.apply_options(g.as_socket())?;
    g.connect_group(&mut group.endpoints()?)?;
    Ok(g.into_socket())
}

/// Opens the URL's connection; a listener with a timeout waits for a caller at most that long
/// (libsrt 1.5.1's blocking `srt_accept` ignores SRTO_RCVTIMEO, so the wait is an
/// `srt_epoll_uwait` on the listening socket). When a listener accepts a group
/// (`groupconnect=1`), the listener is returned too: the group's other members connect
/// through it, so it stays open as long as the group.
fn open_url(url: &SrtUrl) -> Result<(SrtSocket, Option<SrtSocket>)> {
    if url.mode() != Mode::Listener {
        return Ok((crate::url::open(url)?, None));
    }
    let listener = SrtSocket::from_url(url)?;
    listener.bind(url.local_addr()?)?;
    let backlog = if listener.getsockflag(SRTO_GROUPCONNECT).unwrap_or(0) != 0 {
        8
    } else {
        1
    };
    if let Some(t) = url.timeout() {
        // Subscribe before listen(): libsrt does not look at a listener's backlog when it
        // is added to an epoll, so a caller arriving between listen() and the subscription
        // would raise no event and the wait would time out with a caller pending.
        let epoll = Epoll::new()?;
        epoll.add_usock(&listener, EpollEvents::ACCEPT)?;
        listener.listen(backlog)?;
        let mut events = [EpollEvent::default(); 1];
        if epoll.uwait_into(&mut events, Some(t))?.is_empty() {
            return Err(Error::Srt(SrtError::new(
                "srt_accept",
                ErrorCode::Timeout,
                format!("no caller connected to {} within {t:?}", peer(url)),
            )));
        }
    } else {
        listener.listen(backlog)?;
    }
    let (sock, _peer) = listener.accept()?;
    if is_group_id(sock.id()) {
        Ok((sock, Some(listener)))
    } else {
        Ok((sock, None))
    }
}

impl Iterator for Datagramer {
    type Item = Result<Vec<u8>>;

    /// The next payload, as a `Vec` of exactly its length; `None` once the stream ended.
    fn next(&mut self) -> Option<Result<Vec<u8>>> {
        match self.recv() {
            Ok(Some(p)) => Some(Ok(p.to_vec())),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// For live senders: waits the socket's latency (SRTO_LATENCY, the larger of both sides) plus
/// `extra` so the receiver can deliver what it holds back, then closes (`srt_close`).
///
/// libsrt 1.5.1's receiver drops payloads that were not yet due when the peer's shutdown
/// arrives, so a sender that closes right after its last send loses up to a latency's worth
/// of stream.
///
/// # Errors
/// Whatever `srt_close` reports.
pub fn close_after_latency(sock: SrtSocket, extra: Duration) -> Result<()> {
    let latency = sock.getsockflag(SRTO_LATENCY).unwrap_or(120).max(0) as u64;
    thread::sleep(Duration::from_millis(latency) + extra);
    sock.close()
}
