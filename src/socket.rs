//! `SrtSocket`: one libsrt socket, with methods named after the srt_* calls.

use std::ffi::CString;
use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::raw::{c_char, c_int, c_void};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::addr::RawAddr;
use crate::error::ErrorCode;
use crate::error::{Error, Result};
use crate::options::{
    self, Linger, OptionValue, Readable, SockOpt, SockStatus, TransType, Writable, SRTO_CONGESTION,
    SRTO_LINGER, SRTO_PAYLOADSIZE, SRTO_RCVTIMEO, SRTO_SNDTIMEO, SRTO_STREAMID, SRTO_TRANSTYPE,
};
use crate::reject::RejectReason;
use crate::stats::Stats;
use crate::sys;

/// Whether srtfu's `srt_startup` is in effect (a [`cleanup`] ends it; the next socket starts
/// libsrt again), and the result of the version check, made once.
static STARTED: Mutex<bool> = Mutex::new(false);
static VERSION_CHECK: OnceLock<std::result::Result<(), (String, String)>> = OnceLock::new();
/// srtfu sockets and epolls alive now; [`cleanup`] refuses while any is.
static LIVE: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn live_inc() {
    LIVE.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn live_dec() {
    LIVE.fetch_sub(1, Ordering::Relaxed);
}

/// Checks that the libsrt running is the one the bindings were generated from, then runs
/// `srt_startup` unless srtfu's startup is already in effect. Every constructor of a socket
/// or epoll calls it; calling it yourself is only needed before using srt-sys directly.
///
/// # Errors
/// [`Error::LibsrtMismatch`] when `srt_getversion` differs from the version of the headers
/// srt-sys was built from (major.minor.patch): struct layouts differ between releases, so
/// using the library would not be memory-safe. An error from `srt_startup` itself.
///
/// libsrt's own counting of `srt_startup` differs by version: up to 1.5.3 each call counts
/// and `srt_cleanup` ends libsrt only when the count is back to zero; since 1.5.4 a second
/// `srt_startup` is not counted (1.5.5 returns 0 for it) and one `srt_cleanup` ends libsrt for
/// every user in the process. srtfu calls `srt_startup` once while in effect, and [`cleanup`]
/// refuses while srtfu objects live. Code that also calls `srt_startup`/`srt_cleanup` through
/// srt-sys must match each call (up to 1.5.3, at process exit libsrt's static destructor stops
/// its threads only when the count is back to one) and, on 1.5.4+, must not call
/// `srt_cleanup` while srtfu still uses libsrt.
pub fn startup() -> Result<()> {
    check_version()?;
    let mut started = STARTED.lock().unwrap_or_else(|p| p.into_inner());
    if !*started {
        // SAFETY: srt_startup has no preconditions; the mutex makes srtfu call it once while
        // its startup is in effect.
        let rc = unsafe { sys::srt_startup() };
        check(rc, "srt_startup", None)?;
        *started = true;
    }
    Ok(())
}

fn check_version() -> Result<()> {
    VERSION_CHECK
        .get_or_init(|| {
            let (a, b, c) = version();
            let running = format!("{a}.{b}.{c}");
            if running == sys::SRT_VERSION_BUILT {
                Ok(())
            } else {
                Err((sys::SRT_VERSION_BUILT.to_string(), running))
            }
        })
        .clone()
        .map_err(|(built, running)| Error::LibsrtMismatch { built, running })
}

/// Calls `srt_cleanup`: stops libsrt's threads and frees its global state.
///
/// srtfu never does this by itself. Call it at the very end of a program that wants a clean
/// shutdown (for leak checkers). It ends only the startup srtfu made: when srtfu has not
/// started libsrt (or already cleaned up), it does nothing. A socket made afterwards starts
/// libsrt again.
///
/// # Errors
/// [`Error::InUse`] while any srtfu socket or epoll is alive (libsrt 1.5.4+ does not count
/// startups, so a cleanup then would pull libsrt down under them); whatever libsrt reports.
pub fn cleanup() -> Result<()> {
    let mut started = STARTED.lock().unwrap_or_else(|p| p.into_inner());
    let live = LIVE.load(Ordering::Acquire);
    if live > 0 {
        return Err(Error::InUse {
            call: "srt_cleanup",
            live,
        });
    }
    if !*started {
        return Ok(());
    }
    // SAFETY: srtfu's own startup is in effect and no srtfu socket or epoll is alive; the
    // mutex keeps a concurrent startup out until the flag is updated.
    let rc = unsafe { sys::srt_cleanup() };
    *started = false;
    check(rc, "srt_cleanup", None).map(drop)
}

/// The libsrt version the program runs with, as `(major, minor, patch)` (`srt_getversion`).
pub fn version() -> (u32, u32, u32) {
    // SAFETY: srt_getversion has no preconditions.
    let v = unsafe { sys::srt_getversion() };
    (v >> 16, (v >> 8) & 0xff, v & 0xff)
}

/// libsrt's clock in µs (`srt_time_now`): the clock of [`MsgCtrl::srctime`] and
/// [`SrtSocket::connection_time`].
pub fn time_now() -> i64 {
    // SAFETY: srt_time_now only reads a clock.
    unsafe { sys::srt_time_now() }
}

/// Turns libsrt's status return into a Result, reading the error right after the call.
pub(crate) fn check(rc: c_int, call: &'static str, sock: Option<sys::SRTSOCKET>) -> Result<c_int> {
    if rc == sys::SRT_ERROR {
        Err(Error::last(call, sock))
    } else {
        Ok(rc)
    }
}

fn len_arg(call: &'static str, len: usize) -> Result<c_int> {
    c_int::try_from(len).map_err(|_| {
        Error::invalid_argument(
            call,
            format!("buffer of {len} bytes is larger than libsrt takes"),
        )
    })
}

pub(crate) fn timeout_ms(call: &'static str, t: Option<Duration>) -> Result<i32> {
    match t {
        None => Ok(-1),
        Some(d) if d.is_zero() => Err(Error::invalid_argument(
            call,
            "a zero timeout is not allowed; use None for no timeout",
        )),
        Some(d) => i32::try_from(d.as_millis().max(1))
            .map_err(|_| Error::invalid_argument(call, format!("timeout {d:?} is too long"))),
    }
}

/// Message control for [`SrtSocket::sendmsg2`] and [`SrtSocket::recvmsg2`] (`SRT_MSGCTRL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgCtrl {
    /// Time to live in ms for a message that cannot be sent in time (-1: forever).
    pub ttl: i32,
    /// Deliver in order (message mode in file transtype).
    pub inorder: bool,
    /// Boundary flags (`PB_SOLO` = 3 for a whole message).
    pub boundary: i32,
    /// Source time in µs on libsrt's clock ([`time_now`](crate::time_now); 0 on send: now).
    /// On receive, libsrt 1.5.1 reports the delivery (TSBPD) time: the sender's srctime,
    /// carried over to the receiver's clock, plus the latency.
    pub srctime: i64,
    /// Sequence number of the first packet of the message (on receive).
    pub pktseq: i32,
    /// Message number (on send: set by libsrt and reported back; on receive: the sender's).
    pub msgno: i32,
}

impl Default for MsgCtrl {
    fn default() -> Self {
        MsgCtrl {
            ttl: -1,
            inorder: false,
            boundary: 0,
            srctime: 0,
            pktseq: -1,
            msgno: -1,
        }
    }
}

impl MsgCtrl {
    pub(crate) fn to_raw(self) -> sys::SRT_MSGCTRL {
        let mut raw = sys::SRT_MSGCTRL::default();
        // SAFETY: srt_msgctrl_init writes the documented defaults into a valid struct.
        unsafe { sys::srt_msgctrl_init(&mut raw) };
        raw.msgttl = self.ttl;
        raw.inorder = self.inorder as c_int;
        raw.boundary = self.boundary;
        raw.srctime = self.srctime;
        raw.pktseq = self.pktseq;
        raw.msgno = self.msgno;
        raw
    }
    pub(crate) fn from_raw(raw: &sys::SRT_MSGCTRL) -> MsgCtrl {
        MsgCtrl {
            ttl: raw.msgttl,
            inorder: raw.inorder != 0,
            boundary: raw.boundary,
            srctime: raw.srctime,
            pktseq: raw.pktseq,
            msgno: raw.msgno,
        }
    }
}

/// One SRT socket (an `SRTSOCKET`). Dropping it calls `srt_close`.
///
/// Methods carry the names of the libsrt calls they make: `srt_connect` is
/// [`SrtSocket::connect`], `srt_recvmsg` is [`SrtSocket::recvmsg`], and so on.
///
/// ```no_run
/// use srtfu::SrtSocket;
/// let sock = SrtSocket::open("srt://127.0.0.1:4201?latency=200")?;
/// let mut buf = [0u8; 1500];
/// let n = sock.recvmsg(&mut buf)?;
/// println!("got {n} bytes");
/// # Ok::<(), srtfu::Error>(())
/// ```
pub struct SrtSocket {
    id: sys::SRTSOCKET,
    /// Set once `srt_close` has been called (by [`close`](Self::close),
    /// [`close_ref`](Self::close_ref) or drop), so that the id is closed exactly once.
    closed: AtomicBool,
    /// Set once a receive reported the end of the stream (libsrt's 0, `SRT_ECONNLOST`, or
    /// the `SRT_EINVSOCK` of a socket libsrt collected), so that a collection reads as the
    /// end only when nothing else said so first.
    ended: AtomicBool,
    /// The address this socket connected to (caller, rendezvous): libsrt 1.5.1's
    /// srt_getpeername reports an empty address on a caller socket, so srtfu keeps it.
    connected_to: OnceLock<SocketAddr>,
    /// The URL the socket was made from, for connect()/bind() without arguments.
    url: Option<crate::url::SrtUrl>,
    /// The callback closures registered on this socket (registry entries, see callback.rs):
    /// dropped after `srt_close`, since `Drop::drop` runs before the fields are dropped.
    pub(crate) keepalive: Vec<Box<dyn std::any::Any + Send + Sync>>,
}

// SAFETY: an SRTSOCKET is an integer handle into libsrt's global socket table, which libsrt
// guards with its own mutexes (CUDTUnited::m_GlobControlLock and per-socket locks); every
// srt_* call may be made from any thread. SrtSocket holds no thread-affine state.
unsafe impl Send for SrtSocket {}
// SAFETY: libsrt allows concurrent calls on one socket from several threads (one thread
// receiving while another sends, a third reading stats); its send and receive paths take
// separate internal locks. `close_ref(&self)` is among them: srt_close is meant to be called
// while other threads are blocked on the socket (it wakes them with an error), and the
// `closed` flag is atomic so the id is closed once.
unsafe impl Sync for SrtSocket {}

impl SrtSocket {
    /// Creates a socket with libsrt's defaults (`srt_create_socket`).
    ///
    /// # Errors
    /// When libsrt cannot create a socket (resources).
    pub fn new_raw() -> Result<SrtSocket> {
        startup()?;
        // SAFETY: srt_startup has run; srt_create_socket has no other preconditions.
        let id = unsafe { sys::srt_create_socket() };
        if id == sys::SRT_INVALID_SOCK {
            return Err(Error::last("srt_create_socket", None));
        }
        live_inc();
        Ok(SrtSocket {
            id,
            closed: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            connected_to: OnceLock::new(),
            url: None,
            keepalive: Vec::new(),
        })
    }

    /// Creates a socket and applies the options of an `srt://` URL, ready for
    /// [`connect`](Self::connect) or [`bind`](Self::bind) without arguments.
    ///
    /// See [`SrtUrl`](crate::SrtUrl) for the query keys. Not one libsrt call:
    /// `srt_create_socket`, then `srt_setsockflag` for each option (SRTO_TRANSTYPE first).
    ///
    /// # Errors
    /// A bad URL, a bad option value (the error names the key), or libsrt refusing an option.
    pub fn new(url: &str) -> Result<SrtSocket> {
        let url: crate::url::SrtUrl = url.parse()?;
        SrtSocket::from_url(&url)
    }

    /// Like [`new`](Self::new), from a parsed URL (`srt_create_socket` + `srt_setsockflag`).
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn from_url(url: &crate::url::SrtUrl) -> Result<SrtSocket> {
        let mut sock = SrtSocket::new_raw()?;
        url.apply_options(&sock)?;
        sock.url = Some(url.clone());
        Ok(sock)
    }

    /// Opens the connection an `srt://` URL describes, by its mode: a caller connects; a
    /// listener binds, listens and accepts one caller (the listening socket is closed
    /// afterwards); rendezvous binds and connects both ways. Returns the connected socket.
    ///
    /// `retries=N` in the URL retries a failed caller or rendezvous connect up to N more
    /// times (see [`SrtUrl`](crate::SrtUrl)).
    ///
    /// Not one libsrt call: [`new`](Self::new), then `srt_connect` / `srt_connect_bind`
    /// (caller), `srt_bind` + `srt_listen` + `srt_accept` (listener) or `srt_rendezvous`.
    /// A listener needs a known port; to listen on port 0 and learn the port, use
    /// [`new`](Self::new), [`bind_url`](Self::bind_url), [`listen`](Self::listen),
    /// [`getsockname`](Self::getsockname) and [`accept`](Self::accept).
    ///
    /// A caller's or rendezvous' handshake runs with `SRTO_RCVSYN` off and is waited for
    /// (then the socket blocks again), not as a blocking `srt_connect`: libsrt 1.5.1 to
    /// 1.5.5 may lose the first packet the peer sends after a blocking connect (see
    /// [`connect`](Self::connect)).
    ///
    /// # Errors
    /// A bad URL, or the connection failing (timeout, rejection with its reason).
    pub fn open(url: &str) -> Result<SrtSocket> {
        let url: crate::url::SrtUrl = url.parse()?;
        crate::url::open(&url)
    }

    /// Wraps a socket id from libsrt (for example one obtained through srt-sys). The
    /// `SrtSocket` takes ownership and closes it (`srt_close`) on drop.
    ///
    /// # Safety
    /// `id` must be a valid socket that nothing else closes.
    pub unsafe fn from_raw(id: sys::SRTSOCKET) -> SrtSocket {
        live_inc();
        // SAFETY: the caller's contract; the socket is counted as alive, as Drop expects.
        unsafe { SrtSocket::view(id) }
    }

    /// A socket value for an id that something else owns (libsrt, in a callback), not counted
    /// among the live sockets.
    ///
    /// # Safety
    /// `id` must be valid for as long as the value is used, and the value must never be
    /// dropped (wrap it in `ManuallyDrop`): dropping it would close the id and miscount.
    pub(crate) unsafe fn view(id: sys::SRTSOCKET) -> SrtSocket {
        SrtSocket {
            id,
            closed: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            connected_to: OnceLock::new(),
            url: None,
            keepalive: Vec::new(),
        }
    }

    /// The libsrt socket id (`SRTSOCKET`), for calls through [`sys`](crate::sys).
    pub fn id(&self) -> sys::SRTSOCKET {
        self.id
    }

    /// Gives up ownership of the socket id without closing it (no `srt_close` on drop).
    ///
    /// Callbacks registered on the socket stay alive (they are leaked), since libsrt may
    /// still call them.
    pub fn into_raw(self) -> sys::SRTSOCKET {
        let mut this = std::mem::ManuallyDrop::new(self);
        std::mem::forget(std::mem::take(&mut this.keepalive));
        // SAFETY: `this` is never used or dropped again; the url is moved out once.
        drop(unsafe { std::ptr::read(&this.url) });
        live_dec();
        this.id
    }

    /// The URL this socket was made from, if any (no libsrt call).
    pub fn url(&self) -> Option<&crate::url::SrtUrl> {
        self.url.as_ref()
    }

    fn url_addr(&self, call: &'static str) -> Result<SocketAddr> {
        let url = self.url.as_ref().ok_or_else(|| {
            Error::invalid_argument(call, "the socket was not made from a URL; pass an address")
        })?;
        url.remote_addr()
    }

    // ----- connection set-up -------------------------------------------------------------

    /// Binds to a local address (`srt_bind`). Port 0 picks a free port; see
    /// [`getsockname`](Self::getsockname).
    ///
    /// # Errors
    /// The address does not resolve, is in use, or the socket is already bound.
    pub fn bind<A: ToSocketAddrs>(&self, addr: A) -> Result<()> {
        let addr = resolve("srt_bind", addr)?;
        let raw = RawAddr::from(addr);
        // SAFETY: raw points to a sockaddr of length raw.len that lives across the call.
        let rc = unsafe { sys::srt_bind(self.id, raw.as_ptr(), raw.len) };
        check(rc, "srt_bind", None).map(drop)
    }

    /// Binds to the URL's local address: the listener's `host:port`, or for a caller the
    /// `adapter`/`port`/`bind` keys. Not one libsrt call: resolves, then `srt_bind`.
    ///
    /// # Errors
    /// As [`bind`](Self::bind); also when the socket has no URL.
    pub fn bind_url(&self) -> Result<()> {
        let url = self.url.as_ref().ok_or_else(|| {
            Error::invalid_argument("srt_bind", "the socket was not made from a URL")
        })?;
        self.bind(url.local_addr()?)
    }

    /// Whether `err`, from [`accept`](Self::accept) on this listener (or from setting up the
    /// socket it returned), is about the caller rather than the listener: the caller was
    /// closed by libsrt before it could be used (`SRT_ESCLOSED` from `srt_accept`, or
    /// `SRT_EINVSOCK` from a call on the accepted socket) while this socket still listens.
    /// A server loop skips such a caller and accepts the next one.
    pub fn accept_lost_caller(&self, err: &Error) -> bool {
        matches!(
            err.code(),
            Some(ErrorCode::SocketClosed | ErrorCode::InvalidSocket)
        ) && self.getsockstate() == SockStatus::Listening
    }

    /// Starts listening (`srt_listen`), with at most `backlog` pending connections.
    ///
    /// # Errors
    /// The socket is not bound, or another socket listens on the port.
    pub fn listen(&self, backlog: i32) -> Result<()> {
        // SAFETY: plain call on our socket id.
        let rc = unsafe { sys::srt_listen(self.id, backlog) };
        check(rc, "srt_listen", None).map(drop)
    }

    /// Accepts one pending connection (`srt_accept`): the new socket and the caller's address.
    ///
    /// Blocks unless SRTO_RCVSYN is off, in which case it fails with a would-block error
    /// when nothing is pending.
    ///
    /// A caller that disconnects while it waits in the backlog is closed by libsrt's
    /// collector; when `srt_accept` takes such a caller it fails with `SRT_ESCLOSED`, the
    /// code it also uses for a closed listener. [`accept_lost_caller`](Self::accept_lost_caller)
    /// tells the two apart: for a lost caller the listener is fine, accept again.
    ///
    /// # Errors
    /// The socket is not listening, was closed, or (non-blocking) nothing is pending; a
    /// lost caller (above).
    pub fn accept(&self) -> Result<(SrtSocket, SocketAddr)> {
        let mut raw = RawAddr::empty();
        // SAFETY: raw has room for any address; libsrt writes at most raw.len bytes.
        let id = unsafe { sys::srt_accept(self.id, raw.as_mut_ptr(), &mut raw.len) };
        if id == sys::SRT_INVALID_SOCK {
            return Err(Error::last("srt_accept", None));
        }
        // SAFETY: libsrt returned a new socket that we now own.
        let sock = unsafe { SrtSocket::from_raw(id) };
        let addr = raw
            .to_socket_addr()
            .or_else(|| sock.getpeername().ok())
            .ok_or_else(|| Error::invalid_argument("srt_accept", "peer address is not IP"))?;
        Ok((sock, addr))
    }

    /// Connects to a listener (`srt_connect`). In blocking mode returns once connected; a
    /// rejected connection's error carries the [reject reason](Error::reject_reason).
    ///
    /// libsrt 1.5.1 to 1.5.5: a blocking connect may lose the first packet the peer sends
    /// after the connection is made (libsrt's receive thread registers the connection one
    /// packet late). A lost packet is resent, but in file mode that first loss can throttle
    /// the whole transfer to a trickle (BENCHMARKS.md, "File-mode stalls: cause"). Where the
    /// peer speaks first, connect non-blocking ([`set_blocking(false)`](Self::set_blocking)),
    /// wait for [`EpollEvents::OUT`](crate::EpollEvents::OUT) in an [`Epoll`](crate::Epoll),
    /// then block again; [`fetch`](fn@crate::fetch) does this.
    ///
    /// # Errors
    /// Timeout (`SRT_ENOSERVER` after SRTO_CONNTIMEO), rejection, or bad address.
    pub fn connect<A: ToSocketAddrs>(&self, addr: A) -> Result<()> {
        let addr = resolve("srt_connect", addr)?;
        let raw = RawAddr::from(addr);
        // SAFETY: raw points to a sockaddr of length raw.len that lives across the call.
        let rc = unsafe { sys::srt_connect(self.id, raw.as_ptr(), raw.len) };
        check(rc, "srt_connect", Some(self.id))?;
        let _ = self.connected_to.set(addr);
        Ok(())
    }

    /// Connects to the URL's host and port (made with [`new`](Self::new)); binds first to the
    /// URL's `adapter`/`port`/`bind` if it names one. Uses `srt_connect` or `srt_connect_bind`.
    ///
    /// # Errors
    /// As [`connect`](Self::connect); also when the socket has no URL.
    pub fn connect_url(&self) -> Result<()> {
        let remote = self.url_addr("srt_connect")?;
        match self
            .url
            .as_ref()
            .and_then(|u| u.caller_bind_addr().transpose())
        {
            Some(local) => self.connect_bind(local?, remote),
            None => self.connect(remote),
        }
    }

    /// Runs `start` (`srt_connect`, `srt_connect_bind` or `srt_rendezvous` on this socket)
    /// with `SRTO_RCVSYN` off, waits (bounded by `SRTO_CONNTIMEO`, ×10 for rendezvous, plus
    /// a second) until the connection is made or fails, then turns `SRTO_RCVSYN` back on. A
    /// socket that is already non-blocking just runs `start`.
    ///
    /// Why (libsrt 1.5.1 to 1.5.5): a blocking connect finishes the handshake in the calling
    /// thread and only queues the new connection for libsrt's receive thread, which
    /// registers it at the start of its next turn (srtcore/queue.cpp,
    /// `CRcvQueue::worker_RetrieveUnit`); the packet it is already waiting for when the
    /// connection completes is dispatched before that, finds no socket and is ignored
    /// (`CRcvQueue::worker_TryAsyncRend_OrStore`: "no sockets expect socket"). When that
    /// packet is the server's first data, the transfer starts with a loss. With RCVSYN off the
    /// receive thread completes the handshake itself (`processAsyncConnectResponse`) and
    /// registers the connection before it reads another packet. See BENCHMARKS.md,
    /// "File-mode stalls: cause".
    pub(crate) fn connect_in_receive_thread(
        &self,
        call: &'static str,
        rendezvous: bool,
        start: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        if !self.getsockflag(options::SRTO_RCVSYN)? {
            return start();
        }
        let limit = Duration::from_millis(
            self.getsockflag(options::SRTO_CONNTIMEO)?.max(0) as u64
                * if rendezvous { 10 } else { 1 },
        ) + Duration::from_secs(1);
        let ep = crate::epoll::Epoll::new()?;
        ep.add_usock(
            self,
            crate::epoll::EpollEvents::OUT | crate::epoll::EpollEvents::ERR,
        )?;
        self.setsockflag(options::SRTO_RCVSYN, false)?;
        let res = start().and_then(|()| {
            let t0 = std::time::Instant::now();
            let mut buf = crate::epoll::EpollBuffers::new();
            loop {
                match self.getsockstate() {
                    SockStatus::Connected => return Ok(()),
                    SockStatus::Connecting | SockStatus::Opened | SockStatus::Init => {}
                    // Connected and ended again before this look (a peer that closes at once):
                    // libsrt records a reject reason for every failed attempt and none for
                    // a connection that was made; the first receive reports the end.
                    SockStatus::Broken | SockStatus::Closing | SockStatus::Closed
                        if self.getrejectreason() == RejectReason::Unknown =>
                    {
                        return Ok(())
                    }
                    state => return Err(connect_failure(self, call, state)),
                }
                let left = limit.saturating_sub(t0.elapsed());
                if left.is_zero() {
                    return Err(Error::Srt(crate::error::SrtError::new(
                        call,
                        crate::error::ErrorCode::NoServer,
                        format!("not connected after {limit:?}"),
                    )));
                }
                // Timeouts and spurious wake-ups only lead back to the state check.
                let _ = ep.wait(&mut buf, Some(left.min(Duration::from_millis(100))));
            }
        });
        match res {
            Ok(()) => self.setsockflag(options::SRTO_RCVSYN, true),
            Err(e) => {
                let _ = self.setsockflag(options::SRTO_RCVSYN, true);
                Err(e)
            }
        }
    }

    /// Binds to `source` and connects to `target` in one call (`srt_connect_bind`).
    ///
    /// # Errors
    /// As [`bind`](Self::bind) and [`connect`](Self::connect).
    pub fn connect_bind<A: ToSocketAddrs, B: ToSocketAddrs>(
        &self,
        source: A,
        target: B,
    ) -> Result<()> {
        let src = RawAddr::from(resolve("srt_connect_bind", source)?);
        let target = resolve("srt_connect_bind", target)?;
        let dst = RawAddr::from(target);
        // SAFETY: both addresses are valid sockaddrs with their lengths, alive across the call.
        let rc = unsafe { sys::srt_connect_bind(self.id, src.as_ptr(), dst.as_ptr(), dst.len) };
        check(rc, "srt_connect_bind", Some(self.id))?;
        let _ = self.connected_to.set(target);
        Ok(())
    }

    /// Rendezvous connection: binds to `local` and connects to `remote`, which does the same
    /// towards us (`srt_rendezvous`).
    ///
    /// libsrt 1.5.1 (also seen from C): a message sent the moment both sides return may be
    /// dropped by a peer still registering the connection, and in live mode a lone lost
    /// packet is only recovered when a later one shows the gap. Streams do not notice; a
    /// single first message may need a short pause or a resend.
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    pub fn rendezvous<A: ToSocketAddrs, B: ToSocketAddrs>(
        &self,
        local: A,
        remote: B,
    ) -> Result<()> {
        let l = RawAddr::from(resolve("srt_rendezvous", local)?);
        let remote = resolve("srt_rendezvous", remote)?;
        let r = RawAddr::from(remote);
        // SAFETY: both addresses are valid sockaddrs with their lengths, alive across the call.
        let rc = unsafe { sys::srt_rendezvous(self.id, l.as_ptr(), l.len, r.as_ptr(), r.len) };
        check(rc, "srt_rendezvous", Some(self.id))?;
        let _ = self.connected_to.set(remote);
        Ok(())
    }

    /// Closes the socket now (`srt_close`) and reports libsrt's answer; dropping does the
    /// same silently.
    ///
    /// # Errors
    /// Whatever libsrt reports.
    pub fn close(self) -> Result<()> {
        // Drop runs afterwards and sees the socket closed.
        self.close_ref()
    }

    /// Closes the socket through a shared reference (`srt_close`), for example from another
    /// thread while one thread is blocked in [`recv`](Self::recv), [`send`](Self::send) or
    /// [`accept`](Self::accept) on the same socket: libsrt wakes the blocked call, which then
    /// returns an error. Every later call on this `SrtSocket` fails (`SRT_EINVSOCK`), and
    /// dropping it does not close the id again. Calling it twice is harmless (the second call
    /// does nothing and returns `Ok`).
    ///
    /// This is sound because libsrt never hands a closed socket's id to a new socket until
    /// its id space (2^30 ids, counted down from a random start) wraps around, so the stale
    /// id held here cannot name somebody else's socket in practice.
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// let sock = Arc::new(srtfu::SrtSocket::open("srt://127.0.0.1:4201")?);
    /// let reader = { let s = Arc::clone(&sock); std::thread::spawn(move || s.recv(&mut [0; 1500])) };
    /// sock.close_ref()?;
    /// assert!(reader.join().unwrap().is_err());
    /// # Ok::<(), srtfu::Error>(())
    /// ```
    ///
    /// # Errors
    /// Whatever libsrt reports for `srt_close`.
    pub fn close_ref(&self) -> Result<()> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        // SAFETY: we own the id and the flag makes this the only srt_close of it; libsrt
        // allows srt_close while other threads are inside calls on the same socket.
        let rc = unsafe { sys::srt_close(self.id) };
        check(rc, "srt_close", None).map(drop)
    }

    /// Whether [`close_ref`](Self::close_ref) (or `close`) has called `srt_close` on this
    /// socket.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    // ----- data ---------------------------------------------------------------------------

    /// Sends bytes (`srt_send`). In live mode one call sends one message of at most
    /// SRTO_PAYLOADSIZE bytes; in file mode, a part of the stream.
    ///
    /// A live message longer than SRTO_PAYLOADSIZE is refused whole, never cut: libsrt
    /// 1.5.1 answers `SRT_EINVALMSGAPI`, and srtfu's error message says the message is larger
    /// than SRTO_PAYLOADSIZE.
    ///
    /// # Errors
    /// Not connected, broken, timeout (SRTO_SNDTIMEO), would-block, or a message too large.
    /// After the peer closed: `SRT_ECONNLOST` ([`ErrorCode::ConnLost`](crate::ErrorCode::ConnLost));
    /// libsrt 1.5.3 and later often collect such a socket within ~50 ms, and a send after
    /// that answers `SRT_EINVSOCK` ([`ErrorCode::InvalidSocket`](crate::ErrorCode::InvalidSocket))
    /// instead. The same holds for the other send calls.
    pub fn send(&self, buf: &[u8]) -> Result<usize> {
        let len = len_arg("srt_send", buf.len())?;
        // SAFETY: buf is valid for len bytes during the call.
        let n = unsafe { sys::srt_send(self.id, buf.as_ptr() as *const c_char, len) };
        check(n, "srt_send", None)
            .map(|n| n as usize)
            .map_err(|e| self.explain_send_error(e, buf.len(), 0))
    }

    /// Sends one message with a time to live and an in-order flag (`srt_sendmsg`).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub fn sendmsg(&self, buf: &[u8], ttl: Option<Duration>, inorder: bool) -> Result<usize> {
        let len = len_arg("srt_sendmsg", buf.len())?;
        let ttl = timeout_ms("srt_sendmsg", ttl)?;
        // SAFETY: buf is valid for len bytes during the call.
        let n = unsafe {
            sys::srt_sendmsg(
                self.id,
                buf.as_ptr() as *const c_char,
                len,
                ttl,
                inorder as c_int,
            )
        };
        check(n, "srt_sendmsg", None)
            .map(|n| n as usize)
            .map_err(|e| self.explain_send_error(e, buf.len(), 0))
    }

    /// Sends one message with control data (`srt_sendmsg2`); returns the bytes sent and the
    /// control data as libsrt updated it (the message number it assigned, the source time).
    ///
    /// A `srctime` other than 0 must be on libsrt's clock ([`time_now`](crate::time_now)),
    /// not before the connection started ([`connection_time`](Self::connection_time)) and not
    /// in the future, and needs TSBPD with the message API (live mode); libsrt refuses it
    /// otherwise.
    ///
    /// # Errors
    /// As [`send`](Self::send); also a `srctime` libsrt refuses.
    pub fn sendmsg2(&self, buf: &[u8], ctrl: Option<MsgCtrl>) -> Result<(usize, MsgCtrl)> {
        let mut raw = ctrl.unwrap_or_default().to_raw();
        let n = self.sendmsg2_raw(buf, &mut raw)?;
        Ok((n, MsgCtrl::from_raw(&raw)))
    }

    /// `srt_sendmsg2` with a raw message control (shared with groups, whose control
    /// carries the members' data).
    pub(crate) fn sendmsg2_raw(&self, buf: &[u8], raw: &mut sys::SRT_MSGCTRL) -> Result<usize> {
        let len = len_arg("srt_sendmsg2", buf.len())?;
        // SAFETY: buf is valid for len bytes; raw is a valid SRT_MSGCTRL libsrt may update
        // (its grpdata, when set, points to grpdata_size entries the caller keeps alive).
        let n = unsafe { sys::srt_sendmsg2(self.id, buf.as_ptr() as *const c_char, len, raw) };
        check(n, "srt_sendmsg2", None)
            .map(|n| n as usize)
            .map_err(|e| self.explain_send_error(e, buf.len(), raw.srctime))
    }

    /// Receives into `buf` (`srt_recv`): in live mode one whole message, in file mode what is
    /// available. Returns the number of bytes.
    ///
    /// # End of stream
    /// `Ok(0)` (for a non-empty `buf`) is the end of the stream, as in [`io::Read`]; readers
    /// stop at the first one. What libsrt answers once the peer closed differs by mode and
    /// version (measured on loopback), and srtfu reports it so:
    ///
    /// - libsrt returns 0 in file mode, `SRT_ECONNLOST` in live mode (the same as a broken
    ///   link; the [`Read`](io::Read) impl turns it into `Ok(0)`), again on every call while
    ///   it keeps the socket, and `SRT_EINVSOCK` once it has collected it: 0.7–1 s after the
    ///   close on libsrt 1.5.1 (every run), and on 1.5.3–1.5.5 in some runs;
    /// - libsrt 1.5.3 to 1.5.5 often collect the socket within 50 ms of the close, before a
    ///   receive saw the end, and then answer `SRT_EINVSOCK` straight away (seen on 1.5.3
    ///   and 1.5.4 in file mode, on 1.5.3, 1.5.4 and 1.5.5 in live mode) — srtfu reads the
    ///   first such answer on a socket it has not closed as the end, `Ok(0)`, and later ones
    ///   as the error ([`ErrorCode::InvalidSocket`](crate::ErrorCode::InvalidSocket)).
    ///
    /// So on every version the end of the stream shows as `Ok(0)` (in live mode possibly as
    /// `SRT_ECONNLOST` instead), and calls after libsrt collected the socket fail.
    ///
    /// In live mode, `buf` must hold the largest message (SRTO_PAYLOADSIZE, 1316 by default);
    /// libsrt refuses smaller buffers rather than truncate.
    ///
    /// # Errors
    /// Connection broken (or, in live mode, possibly closed by the peer: see above),
    /// timeout, would-block, a socket libsrt has collected (`SRT_EINVSOCK`, after the end
    /// was reported).
    pub fn recv(&self, buf: &mut [u8]) -> Result<usize> {
        let len = len_arg("srt_recv", buf.len())?;
        // SAFETY: buf is valid for writes of len bytes during the call.
        let n = unsafe { sys::srt_recv(self.id, buf.as_mut_ptr() as *mut c_char, len) };
        self.recv_result(n, "srt_recv", buf.len())
    }

    /// A receive's return code as srtfu reports it (see [`recv`](Self::recv), "End of
    /// stream"): libsrt 1.5.3 and later may collect a socket whose connection ended before
    /// any receive saw the end, and then answer `SRT_EINVSOCK` where 1.5.1 answered 0 or
    /// `SRT_ECONNLOST`; on a socket srtfu has not closed, the first such answer reads as the
    /// end of the stream, `Ok(0)`, and only later ones as the error.
    fn recv_result(&self, rc: c_int, call: &'static str, len: usize) -> Result<usize> {
        use crate::error::ErrorCode as C;
        match check(rc, call, None) {
            Ok(n) => {
                if n == 0 && len > 0 {
                    self.ended.store(true, Ordering::Release);
                }
                Ok(n as usize)
            }
            Err(e) => match e.code() {
                Some(C::InvalidSocket)
                    if !self.closed.load(Ordering::Acquire)
                        && !self.ended.swap(true, Ordering::AcqRel) =>
                {
                    Ok(0)
                }
                Some(C::ConnLost) => {
                    self.ended.store(true, Ordering::Release);
                    Err(e)
                }
                _ => Err(self.explain_recv_error(e, len)),
            },
        }
    }

    /// Receives one message (`srt_recvmsg`); see [`recv`](Self::recv). `Ok(0)` is the end
    /// of the stream, as for [`recv`](Self::recv) ("End of stream").
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    pub fn recvmsg(&self, buf: &mut [u8]) -> Result<usize> {
        let len = len_arg("srt_recvmsg", buf.len())?;
        // SAFETY: buf is valid for writes of len bytes during the call.
        let n = unsafe { sys::srt_recvmsg(self.id, buf.as_mut_ptr() as *mut c_char, len) };
        self.recv_result(n, "srt_recvmsg", buf.len())
    }

    /// Receives one message with its control data (`srt_recvmsg2`): source time, the first
    /// packet's sequence number and the message number. A length of 0 is the end of the
    /// stream, as for [`recv`](Self::recv) ("End of stream").
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    pub fn recvmsg2(&self, buf: &mut [u8]) -> Result<(usize, MsgCtrl)> {
        let mut raw = MsgCtrl::default().to_raw();
        let n = self.recvmsg2_raw(buf, &mut raw)?;
        Ok((n, MsgCtrl::from_raw(&raw)))
    }

    /// `srt_recvmsg2` with a raw message control (shared with groups, whose control
    /// carries the members' data); end of stream as for [`recv`](Self::recv).
    pub(crate) fn recvmsg2_raw(&self, buf: &mut [u8], raw: &mut sys::SRT_MSGCTRL) -> Result<usize> {
        let len = len_arg("srt_recvmsg2", buf.len())?;
        // SAFETY: buf is valid for writes of len bytes; raw is a valid SRT_MSGCTRL (its
        // grpdata, when set, points to grpdata_size entries the caller keeps alive).
        let n = unsafe { sys::srt_recvmsg2(self.id, buf.as_mut_ptr() as *mut c_char, len, raw) };
        self.recv_result(n, "srt_recvmsg2", buf.len())
    }

    /// Sends `size` bytes of a file from `offset` (`srt_sendfile`); returns the bytes sent.
    /// `block` is the size libsrt reads at a time; 0 means libsrt's default
    /// (`SRT_DEFAULT_SENDFILE_BLOCK`, 364000) — srtfu passes that number, because libsrt
    /// 1.5.1 given a block of 0 loops forever sending nothing.
    ///
    /// # libsrt 1.5.1: never returns for a file above about a fifth of SRTO_SNDBUF
    /// On libsrt 1.5.1 `srt_sendfile` sends whole blocks until it has sent about a fifth to
    /// a quarter of the send buffer (SRTO_SNDBUF), then sends nothing more and never returns
    /// (measured on loopback, waiting 15 s, with 8 MiB files and `block` 364000: the default
    /// SNDBUF of 12058624 bytes stops after 2548000 bytes, 7 blocks; 3999424 bytes after
    /// 1092000; 29999360 bytes after 6188000; 999488 bytes after 364000). Files below that
    /// size return at once (1 MiB and 2.5 MB with the default SNDBUF). When the peer closes,
    /// the stalled call fails with `SRT_ECONNLOST`; closing this socket itself first waits
    /// for SRTO_LINGER (180 s by default in file mode). On libsrt 1.5.3, 1.5.4 and 1.5.5 it
    /// works: every size tried (1 to 32 MiB, default SNDBUF) was sent in under 0.5 s.
    /// srtfu's file server sends with [`send`](Self::send) instead, on every version.
    ///
    /// # Errors
    /// The file cannot be read, the connection breaks, or the path has a NUL byte.
    pub fn sendfile(&self, path: &Path, offset: u64, size: u64, block: usize) -> Result<u64> {
        let (c, mut off, size, block) = file_args(
            "srt_sendfile",
            path,
            offset,
            size,
            block,
            sys::SRT_DEFAULT_SENDFILE_BLOCK,
        )?;
        // SAFETY: c is a NUL-terminated path; off is a valid i64 libsrt updates.
        let n = unsafe { sys::srt_sendfile(self.id, c.as_ptr(), &mut off, size, block) };
        if n < 0 {
            return Err(Error::last("srt_sendfile", None));
        }
        Ok(n as u64)
    }

    /// Receives `size` bytes into a file at `offset` (`srt_recvfile`); returns the bytes
    /// written. `block` is the size libsrt writes at a time; 0 means libsrt's default
    /// (`SRT_DEFAULT_RECVFILE_BLOCK`, 7280000), passed as that number as in
    /// [`sendfile`](Self::sendfile).
    ///
    /// # Errors
    /// The file cannot be written, the connection breaks, or the path has a NUL byte.
    pub fn recvfile(&self, path: &Path, offset: u64, size: u64, block: usize) -> Result<u64> {
        let (c, mut off, size, block) = file_args(
            "srt_recvfile",
            path,
            offset,
            size,
            block,
            sys::SRT_DEFAULT_RECVFILE_BLOCK,
        )?;
        // SAFETY: c is a NUL-terminated path; off is a valid i64 libsrt updates.
        let n = unsafe { sys::srt_recvfile(self.id, c.as_ptr(), &mut off, size, block) };
        if n < 0 {
            return Err(Error::last("srt_recvfile", None));
        }
        Ok(n as u64)
    }

    /// libsrt answers several mistakes with the same `SRT_EINVALMSGAPI` ("Incorrect use of
    /// Message API"); this adds what was actually wrong to the message, keeping the code.
    fn explain_send_error(&self, e: Error, len: usize, srctime: i64) -> Error {
        let Error::Srt(mut s) = e else { return e };
        if s.code() != crate::error::ErrorCode::InvalidMessageApi {
            return Error::Srt(s);
        }
        let payload = self.payload_size().unwrap_or(0);
        if payload > 0 && len > payload {
            s.reword(|m| {
                format!(
                    "message of {len} bytes is larger than SRTO_PAYLOADSIZE ({payload}); \
                 it was not sent ({})",
                    m
                )
            });
        } else if srctime != 0 {
            s.reword(|m| {
                format!(
                    "srctime {srctime} refused: it must be on libsrt's clock, not before the \
                 connection started nor in the future, with TSBPD and the message API on ({})",
                    m
                )
            });
        }
        Error::Srt(s)
    }

    /// libsrt 1.5.1 refuses a live receive buffer smaller than SRTO_PAYLOADSIZE with
    /// `SRT_EINVALMSGAPI`; this says so in the message, keeping the code.
    fn explain_recv_error(&self, e: Error, len: usize) -> Error {
        let Error::Srt(mut s) = e else { return e };
        if s.code() == crate::error::ErrorCode::InvalidMessageApi {
            let payload = self.payload_size().unwrap_or(0);
            if payload > 0 && len < payload {
                s.reword(|m| {
                    format!(
                        "a buffer of {len} bytes is smaller than SRTO_PAYLOADSIZE ({payload}); \
                     libsrt refuses it rather than cut a message ({})",
                        m
                    )
                });
            }
        }
        Error::Srt(s)
    }

    /// When the socket was opened for its connection (at bind, or when connect began), on
    /// libsrt's clock in µs (`srt_connection_time`); the earliest `srctime`
    /// [`sendmsg2`](Self::sendmsg2) takes.
    ///
    /// # Errors
    /// The socket is invalid, or was never bound nor connected (libsrt then reports 0).
    pub fn connection_time(&self) -> Result<i64> {
        // SAFETY: plain call on our socket id.
        let t = unsafe { sys::srt_connection_time(self.id) };
        match t {
            t if t < 0 => Err(Error::last("srt_connection_time", None)),
            0 => Err(Error::invalid_argument(
                "srt_connection_time",
                "the socket was never bound nor connected",
            )),
            t => Ok(t),
        }
    }

    // ----- options and state --------------------------------------------------------------

    /// Sets an option (`srt_setsockflag`). The constant fixes the value's type:
    /// `sock.setsockflag(SRTO_LATENCY, 200)`, `sock.setsockflag(SRTO_MAXBW, 10_000_000i64)`.
    ///
    /// libsrt judges the value: a value it refuses is an error with its code (`SRT_EINVPARAM`,
    /// [`ErrorCode::InvalidParam`](crate::ErrorCode::InvalidParam)) whose message names the
    /// option, the value (a passphrase hidden) and, where known, what libsrt accepts
    /// ([`accepted_range`](crate::options::accepted_range)). srtfu refuses by itself only a
    /// string with a NUL byte inside or too long for libsrt's `int`, with the same code (see
    /// [`ValidateValue`]).
    ///
    /// # Errors
    /// A value libsrt refuses, or an option set at the wrong time (after connect, say).
    pub fn setsockflag<T, A, V>(&self, opt: SockOpt<T, A>, value: V) -> Result<()>
    where
        T: OptionValue + ValidateValue,
        A: Writable,
        V: Into<T>,
    {
        let value: T = value.into();
        value.validate(opt.name())?;
        let rc = value.with_raw(|ptr, len| {
            // SAFETY: ptr/len describe the value in the layout libsrt expects for this option
            // (the option's type is fixed by the constant); they live across the call.
            unsafe { sys::srt_setsockflag(self.id, opt.raw(), ptr, len) }
        });
        check(rc, "srt_setsockflag", None)
            .map(drop)
            .map_err(|e| name_option(e, opt.name(), Some(value.shown(opt.name()))))
    }

    /// Reads an option (`srt_getsockflag`), typed by the constant.
    ///
    /// # Errors
    /// An invalid socket, or an option libsrt does not report.
    pub fn getsockflag<T, A>(&self, opt: SockOpt<T, A>) -> Result<T>
    where
        T: OptionValue,
        A: Readable,
    {
        // Numbers, booleans and enums fit in 16 bytes: a small buffer keeps the call cheap.
        // Strings (and anything larger) get room for the longest, SRTO_STREAMID.
        if T::GET_SIZE <= 16 {
            self.getsockflag_in(opt, &mut [0u8; 16])
        } else {
            self.getsockflag_in(opt, &mut [0u8; 1024])
        }
    }

    fn getsockflag_in<T: OptionValue, A>(&self, opt: SockOpt<T, A>, buf: &mut [u8]) -> Result<T> {
        let size = T::GET_SIZE.min(buf.len());
        let mut len = size as c_int;
        // SAFETY: buf is valid for writes of len bytes; libsrt writes at most len and updates
        // len to the size written.
        let rc = unsafe {
            sys::srt_getsockflag(
                self.id,
                opt.raw(),
                buf.as_mut_ptr() as *mut c_void,
                &mut len,
            )
        };
        check(rc, "srt_getsockflag", None).map_err(|e| name_option(e, opt.name(), None))?;
        let len = (len.max(0) as usize).min(size);
        T::from_raw(opt.name(), &buf[..len])
    }

    /// The socket's state (`srt_getsockstate`).
    pub fn getsockstate(&self) -> SockStatus {
        // SAFETY: plain call; an invalid id yields SRTS_NONEXIST.
        SockStatus::from_raw(unsafe { sys::srt_getsockstate(self.id) } as i32)
    }

    /// The peer's address (`srt_getpeername`).
    ///
    /// libsrt 1.5.1 answers srt_getpeername on a connected *caller* socket with success and an
    /// empty address; srtfu then gives the address the socket connected to (which is the
    /// peer: SRT does not redirect).
    ///
    /// # Errors
    /// The socket is not connected.
    pub fn getpeername(&self) -> Result<SocketAddr> {
        let mut raw = RawAddr::empty();
        // SAFETY: raw has room for any address; libsrt writes at most raw.len bytes.
        let rc = unsafe { sys::srt_getpeername(self.id, raw.as_mut_ptr(), &mut raw.len) };
        check(rc, "srt_getpeername", None)?;
        if raw.len == 0 {
            if let Some(addr) = self.connected_to.get() {
                return Ok(*addr);
            }
        }
        raw.to_socket_addr().ok_or_else(|| {
            Error::invalid_argument("srt_getpeername", "libsrt reported no IP address")
        })
    }

    /// The local address (`srt_getsockname`); after binding to port 0, the chosen port.
    ///
    /// # Errors
    /// The socket is not bound.
    pub fn getsockname(&self) -> Result<SocketAddr> {
        let mut raw = RawAddr::empty();
        // SAFETY: raw has room for any address; libsrt writes at most raw.len bytes.
        let rc = unsafe { sys::srt_getsockname(self.id, raw.as_mut_ptr(), &mut raw.len) };
        check(rc, "srt_getsockname", None)?;
        raw.to_socket_addr()
            .ok_or_else(|| Error::invalid_argument("srt_getsockname", "address is not IP"))
    }

    /// Why the last connection attempt was rejected (`srt_getrejectreason`).
    pub fn getrejectreason(&self) -> RejectReason {
        // SAFETY: plain call on any id.
        RejectReason::from_raw(unsafe { sys::srt_getrejectreason(self.id) })
    }

    /// Statistics (`srt_bstats`). `clear` resets the interval counters after reading them.
    ///
    /// # Errors
    /// The socket is invalid.
    pub fn bstats(&self, clear: bool) -> Result<Stats> {
        let mut raw = sys::SRT_TRACEBSTATS::default();
        // SAFETY: raw is a valid SRT_TRACEBSTATS for libsrt to fill.
        let rc = unsafe { sys::srt_bstats(self.id, &mut raw, clear as c_int) };
        check(rc, "srt_bstats", None)?;
        Ok(Stats::from_raw(&raw))
    }

    /// Statistics with instantaneous values (`srt_bistats`). `clear` resets the interval
    /// counters; `instantaneous` reports current rather than averaged rates and sizes.
    ///
    /// # Errors
    /// The socket is invalid.
    pub fn bistats(&self, clear: bool, instantaneous: bool) -> Result<Stats> {
        let mut raw = sys::SRT_TRACEBSTATS::default();
        // SAFETY: raw is a valid SRT_TRACEBSTATS for libsrt to fill.
        let rc =
            unsafe { sys::srt_bistats(self.id, &mut raw, clear as c_int, instantaneous as c_int) };
        check(rc, "srt_bistats", None)?;
        Ok(Stats::from_raw(&raw))
    }

    // ----- the seed's helpers -------------------------------------------------------------

    /// Sets live transmission type (`SRTO_TRANSTYPE` = `SRTT_LIVE`): the seed's `livecc`.
    ///
    /// # Errors
    /// After connect, libsrt refuses.
    pub fn livecc(&self) -> Result<()> {
        self.setsockflag(SRTO_TRANSTYPE, TransType::Live)
    }

    /// Sets file transmission type (`SRTO_TRANSTYPE` = `SRTT_FILE`): the seed's `filecc`.
    ///
    /// # Errors
    /// After connect, libsrt refuses.
    pub fn filecc(&self) -> Result<()> {
        self.setsockflag(SRTO_TRANSTYPE, TransType::File)
    }

    /// Selects the congestion controller by name, `"live"` or `"file"` (`SRTO_CONGESTION`).
    ///
    /// # Errors
    /// An unknown name.
    pub fn congestion_control(&self, name: &str) -> Result<()> {
        self.setsockflag(SRTO_CONGESTION, name)
    }

    /// Sets the receive timeout (`SRTO_RCVTIMEO`); `None` waits forever.
    ///
    /// # Errors
    /// A zero or overlong duration.
    pub fn set_read_timeout(&self, t: Option<Duration>) -> Result<()> {
        self.setsockflag(SRTO_RCVTIMEO, timeout_ms("SRTO_RCVTIMEO", t)?)
    }

    /// Sets the send timeout (`SRTO_SNDTIMEO`); `None` waits forever.
    ///
    /// # Errors
    /// A zero or overlong duration.
    pub fn set_write_timeout(&self, t: Option<Duration>) -> Result<()> {
        self.setsockflag(SRTO_SNDTIMEO, timeout_ms("SRTO_SNDTIMEO", t)?)
    }

    /// Sets blocking (true, the default) or non-blocking mode for both directions
    /// (`SRTO_RCVSYN` and `SRTO_SNDSYN`).
    ///
    /// # Errors
    /// An invalid socket.
    pub fn set_blocking(&self, blocking: bool) -> Result<()> {
        self.setsockflag(options::SRTO_RCVSYN, blocking)?;
        self.setsockflag(options::SRTO_SNDSYN, blocking)
    }

    /// The stream id (`SRTO_STREAMID`): on an accepted socket, what the caller sent.
    ///
    /// # Errors
    /// An invalid socket.
    pub fn streamid(&self) -> Result<String> {
        self.getsockflag(SRTO_STREAMID)
    }

    /// The payload size (`SRTO_PAYLOADSIZE`), the largest message in live mode.
    ///
    /// # Errors
    /// An invalid socket.
    pub fn payload_size(&self) -> Result<usize> {
        Ok(self.getsockflag(SRTO_PAYLOADSIZE)?.max(0) as usize)
    }

    /// Sets `SRTO_LINGER`.
    ///
    /// # Errors
    /// An invalid socket.
    pub fn set_linger(&self, linger: Option<Duration>) -> Result<()> {
        self.setsockflag(SRTO_LINGER, Linger(linger))
    }
}

// ----- more mirrors of srt.h: accept_bond, accept with a timeout, bind_acquire,
// connect_debug, getsndbuffer ----------------------------------------------------------------

/// A timeout for `srt_accept_bond` in ms: `None` is -1 (forever), zero is 0 (only what is
/// pending now), anything else at least 1 ms.
fn accept_timeout_ms(t: Option<Duration>) -> Result<i64> {
    match t {
        None => Ok(-1),
        Some(d) if d.is_zero() => Ok(0),
        Some(d) => i64::try_from(d.as_millis().max(1)).map_err(|_| {
            Error::invalid_argument("srt_accept_bond", format!("timeout {d:?} is too long"))
        }),
    }
}

impl SrtSocket {
    /// Accepts one connection from whichever of `listeners` has one first
    /// (`srt_accept_bond`), waiting at most `timeout` (`None`: forever; zero: only a
    /// connection already pending). Returns the new socket and the caller's address.
    ///
    /// Despite its name this needs no connection bonding: libsrt waits on an internal epoll
    /// subscribed for `SRT_EPOLL_ACCEPT` on every listener, then calls `srt_accept` on the
    /// first ready one (with plain listeners, as Debian's libsrt has, it accepts plain
    /// sockets). libsrt silently skips a listener it cannot subscribe (closed, or not
    /// listening) and, with none left, waits the whole timeout; srtfu therefore refuses a
    /// socket that is not listening when the call starts (`SRT_ENOLISTEN`). One closed while
    /// the call waits is still skipped by libsrt.
    ///
    /// libsrt's epoll is new for each call and libsrt raises a listener's accept event only
    /// when a caller arrives: **a caller already waiting in a backlog when the call starts is
    /// not seen** (libsrt 1.5.1 to 1.5.5) until another caller arrives, and then `srt_accept`
    /// hands out the first of its backlog (ordered by socket id, not by arrival). For a
    /// server that must not miss callers, subscribe the listeners to one long-lived
    /// [`Epoll`](crate::Epoll) before they listen and [`accept`](Self::accept) the ready one,
    /// or call the blocking `accept`, which reads the backlog.
    ///
    /// # Errors
    /// `SRT_ETIMEOUT` ([`Error::is_timeout`]) when nothing arrived in time; `SRT_ENOLISTEN`
    /// for a socket that does not listen; `SRT_EPOLLEMPTY` for an empty list (libsrt's
    /// answer); whatever `srt_accept` reports.
    pub fn accept_bond(
        listeners: &[&SrtSocket],
        timeout: Option<Duration>,
    ) -> Result<(SrtSocket, SocketAddr)> {
        // libsrt skips a listener it cannot subscribe and waits on the others; with none
        // left it waits out the whole timeout (forever with `None`). Say so at once instead.
        for l in listeners {
            let state = l.getsockstate();
            if state != SockStatus::Listening {
                return Err(Error::Srt(crate::error::SrtError::new(
                    "srt_accept_bond",
                    crate::error::ErrorCode::NoListen,
                    format!(
                        "socket @{} is {state}, not listening: libsrt would ignore it and wait",
                        l.id
                    ),
                )));
            }
        }
        let ids: Vec<sys::SRTSOCKET> = listeners.iter().map(|l| l.id).collect();
        let n = len_arg("srt_accept_bond", ids.len())?;
        let ms = accept_timeout_ms(timeout)?;
        // SAFETY: ids is valid for n socket ids during the call; libsrt only reads them.
        let id = unsafe { sys::srt_accept_bond(ids.as_ptr(), n, ms) };
        if id == sys::SRT_INVALID_SOCK {
            return Err(Error::last("srt_accept_bond", None));
        }
        // SAFETY: libsrt returned a new socket that we now own.
        let sock = unsafe { SrtSocket::from_raw(id) };
        // srt_accept_bond does not report the address; the accepted socket knows it, and an
        // accepted group through its members (srt_getpeername on a group id is SRT_ENOCONN).
        let addr = if crate::group::is_group_id(id) {
            crate::group::accepted_group_peer(&sock)?
        } else {
            sock.getpeername()?
        };
        Ok((sock, addr))
    }

    /// Accepts one connection arriving within `timeout`.
    ///
    /// Not `srt_accept`: this is [`accept_bond`](Self::accept_bond) with this one listener
    /// (`srt_accept_bond` with libsrt's own timeout), so like it, it does not see a caller
    /// that was already waiting in the backlog when the call started (see there); a zero
    /// timeout therefore finds nothing. Not `SRTO_RCVTIMEO` on the listener:
    /// libsrt 1.5.1's blocking `srt_accept` ignores it, and it would change an option other
    /// threads see. Works on a blocking or non-blocking listener alike.
    ///
    /// # Errors
    /// `SRT_ETIMEOUT` ([`Error::is_timeout`]) when no caller arrived in time; as
    /// [`accept`](Self::accept) otherwise.
    pub fn accept_timeout(&self, timeout: Duration) -> Result<(SrtSocket, SocketAddr)> {
        SrtSocket::accept_bond(&[self], Some(timeout))
    }

    /// Binds the socket to an existing UDP socket (`srt_bind_acquire`): libsrt takes the
    /// descriptor over, sends and receives on it, and closes it with the SRT socket. The
    /// address is the UDP socket's own ([`getsockname`](Self::getsockname) reports it).
    ///
    /// On failure the descriptor is closed when libsrt refused before taking it (the socket
    /// is already bound: `SRT_EINVOP`; the descriptor has no address: `SRT_EINVPARAM`; an
    /// invalid SRT socket: `SRT_EINVSOCK`). After any other failure libsrt may hold it, so
    /// srtfu leaves it open rather than risk closing a descriptor twice.
    ///
    /// # Errors
    /// As above, or whatever libsrt reports.
    pub fn bind_acquire(&self, udp: std::net::UdpSocket) -> Result<()> {
        use crate::error::ErrorCode as C;
        use std::os::fd::{AsRawFd, IntoRawFd};
        // SAFETY: the descriptor is a valid UDP socket owned by `udp` for the whole call.
        let rc = unsafe { sys::srt_bind_acquire(self.id, udp.as_raw_fd()) };
        match check(rc, "srt_bind_acquire", None) {
            Ok(_) => {
                // libsrt owns the descriptor now.
                let _ = udp.into_raw_fd();
                Ok(())
            }
            Err(e) => {
                let untouched = matches!(
                    e.code(),
                    Some(C::InvalidOperation | C::InvalidParam | C::InvalidSocket)
                );
                if !untouched {
                    let _ = udp.into_raw_fd();
                }
                Err(e)
            }
        }
    }

    /// Connects as [`connect`](Self::connect) does, with the initial sequence number forced
    /// to `forced_isn` instead of a random one (`srt_connect_debug`; for tests and
    /// debugging). The connected socket reports it as `SRTO_ISN`.
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    pub fn connect_debug<A: ToSocketAddrs>(&self, addr: A, forced_isn: i32) -> Result<()> {
        let addr = resolve("srt_connect_debug", addr)?;
        let raw = RawAddr::from(addr);
        // SAFETY: raw points to a sockaddr of length raw.len that lives across the call.
        let rc = unsafe { sys::srt_connect_debug(self.id, raw.as_ptr(), raw.len, forced_isn) };
        check(rc, "srt_connect_debug", Some(self.id))?;
        let _ = self.connected_to.set(addr);
        Ok(())
    }

    /// What waits in the send buffer, unacknowledged (`srt_getsndbuffer`): `(blocks,
    /// bytes)`, blocks being packets.
    ///
    /// # Errors
    /// An invalid socket.
    pub fn getsndbuffer(&self) -> Result<(usize, usize)> {
        let (mut blocks, mut bytes) = (0usize, 0usize);
        // SAFETY: both pointers are valid for writes of a size_t during the call.
        let rc = unsafe { sys::srt_getsndbuffer(self.id, &mut blocks, &mut bytes) };
        check(rc, "srt_getsndbuffer", None)?;
        Ok((blocks, bytes))
    }
}

/// The error of a failed non-blocking connect, with libsrt's reject reason: SRT_ENOSERVER
/// for a timeout (as a blocking `srt_connect` reports it), SRT_ECONNREJ otherwise.
pub(crate) fn connect_failure(sock: &SrtSocket, call: &'static str, state: SockStatus) -> Error {
    let reason = sock.getrejectreason();
    let code = if reason == RejectReason::Timeout {
        crate::error::ErrorCode::NoServer
    } else {
        crate::error::ErrorCode::ConnRejected
    };
    let text = if reason == RejectReason::Timeout {
        format!("the connection timed out (SRTO_CONNTIMEO; socket {state:?})")
    } else {
        format!("the connection failed (socket {state:?}): {reason:?}")
    };
    let mut e = crate::error::SrtError::new(call, code, text);
    e.reject = Some(reason);
    Error::Srt(e)
}

/// The clock libsrt was built with (`srt_clock_type`): the clock of [`time_now`] and of
/// message source times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClockType {
    /// `SRT_SYNC_CLOCK_STDCXX_STEADY`: C++11 `std::chrono::steady_clock`.
    StdCxxSteady,
    /// `SRT_SYNC_CLOCK_GETTIME_MONOTONIC`: `clock_gettime(CLOCK_MONOTONIC)`.
    GettimeMonotonic,
    /// `SRT_SYNC_CLOCK_WINQPC`: Windows' QueryPerformanceCounter.
    WinQpc,
    /// `SRT_SYNC_CLOCK_MACH_ABSTIME`: macOS' mach_absolute_time.
    MachAbstime,
    /// `SRT_SYNC_CLOCK_POSIX_GETTIMEOFDAY`: `gettimeofday` (not monotonic).
    PosixGettimeofday,
    /// `SRT_SYNC_CLOCK_AMD64_RDTSC`: the x86-64 time stamp counter.
    Amd64Rdtsc,
    /// `SRT_SYNC_CLOCK_IA32_RDTSC`: the x86 time stamp counter.
    Ia32Rdtsc,
    /// `SRT_SYNC_CLOCK_IA64_ITC`: the Itanium interval time counter.
    Ia64Itc,
    /// A value this version of srtfu does not know; the number is kept.
    Other(i32),
}

/// The clock libsrt was built with (`srt_clock_type`).
pub fn clock_type() -> ClockType {
    // SAFETY: srt_clock_type only returns a build-time constant.
    let v = unsafe { sys::srt_clock_type() };
    match u32::try_from(v) {
        Ok(sys::SRT_SYNC_CLOCK_STDCXX_STEADY) => ClockType::StdCxxSteady,
        Ok(sys::SRT_SYNC_CLOCK_GETTIME_MONOTONIC) => ClockType::GettimeMonotonic,
        Ok(sys::SRT_SYNC_CLOCK_WINQPC) => ClockType::WinQpc,
        Ok(sys::SRT_SYNC_CLOCK_MACH_ABSTIME) => ClockType::MachAbstime,
        Ok(sys::SRT_SYNC_CLOCK_POSIX_GETTIMEOFDAY) => ClockType::PosixGettimeofday,
        Ok(sys::SRT_SYNC_CLOCK_AMD64_RDTSC) => ClockType::Amd64Rdtsc,
        Ok(sys::SRT_SYNC_CLOCK_IA32_RDTSC) => ClockType::Ia32Rdtsc,
        Ok(sys::SRT_SYNC_CLOCK_IA64_ITC) => ClockType::Ia64Itc,
        _ => ClockType::Other(v),
    }
}

/// What srtfu checks itself before a value reaches libsrt, and how the value is shown in an
/// error message.
///
/// srtfu lets libsrt judge option values (ranges, lengths) and puts its own words on
/// libsrt's error; it refuses only what libsrt would misread: a string with a NUL byte inside
/// or too long for libsrt's `int` length. Those refusals carry libsrt's code for an invalid
/// argument, [`ErrorCode::InvalidParam`](crate::ErrorCode::InvalidParam), as libsrt's own.
pub trait ValidateValue {
    /// Checks the value for the option named `option`.
    ///
    /// # Errors
    /// A value libsrt would misread (code `InvalidParam`), naming the option.
    fn validate(&self, option: &'static str) -> Result<()>;
    /// The value as an error message shows it (a passphrase is hidden).
    fn shown(&self, option: &'static str) -> String;
}

impl ValidateValue for String {
    fn validate(&self, option: &'static str) -> Result<()> {
        options::check_str(option, self)
    }
    fn shown(&self, option: &'static str) -> String {
        options::shown_str(option, self)
    }
}
macro_rules! no_validation {
    ($($t:ty),*) => {$(
        impl ValidateValue for $t {
            fn validate(&self, _option: &'static str) -> Result<()> { Ok(()) }
            fn shown(&self, _option: &'static str) -> String { format!("{self:?}") }
        }
    )*};
}
no_validation!(
    i32,
    i64,
    bool,
    Linger,
    TransType,
    options::KmState,
    SockStatus
);

/// Puts srtfu's words on libsrt's error for `option`, keeping libsrt's code: the option's
/// name, and for a refused value (`SRT_EINVPARAM`) the value and what libsrt accepts. A
/// group option on a libsrt without bonding gets srtfu's one no-bonding error.
fn name_option(e: Error, option: &'static str, value: Option<String>) -> Error {
    if crate::group::is_group_option(option) && !crate::group::has_bonding() {
        return crate::group::no_bonding(option);
    }
    match e {
        Error::Srt(mut s) => {
            let range = options::accepted_range(option)
                .filter(|_| s.code() == crate::error::ErrorCode::InvalidParam);
            s.reword(|m| match (value, range) {
                (Some(v), Some(r)) => format!("{option} = {v} refused, libsrt takes {r}: {m}"),
                (Some(v), None) => format!("{option} = {v}: {m}"),
                (None, _) => format!("{option}: {m}"),
            });
            Error::Srt(s)
        }
        other => other,
    }
}

/// The block size for srt_sendfile / srt_recvfile: 0 becomes libsrt's default.
fn file_block(block: usize, default: u32) -> usize {
    if block == 0 {
        default as usize
    } else {
        block
    }
}

/// The arguments of srt_sendfile / srt_recvfile in C form: the path, offset, size and block
/// (0 replaced by libsrt's default `default_block`).
fn file_args(
    call: &'static str,
    path: &Path,
    offset: u64,
    size: u64,
    block: usize,
    default_block: u32,
) -> Result<(CString, i64, i64, c_int)> {
    let c = path_cstring(call, path)?;
    let off =
        i64::try_from(offset).map_err(|_| Error::invalid_argument(call, "offset too large"))?;
    let size = i64::try_from(size).map_err(|_| Error::invalid_argument(call, "size too large"))?;
    let block = len_arg(call, file_block(block, default_block))?;
    Ok((c, off, size, block))
}

fn path_cstring(call: &'static str, path: &Path) -> Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Error::invalid_argument(call, format!("path {path:?} contains a NUL byte")))
}

/// Resolves to the first address, with an error naming the call.
pub(crate) fn resolve<A: ToSocketAddrs>(call: &'static str, addr: A) -> Result<SocketAddr> {
    let mut it = addr
        .to_socket_addrs()
        .map_err(|e| Error::io(format!("{call}: cannot resolve address"), e))?;
    it.next()
        .ok_or_else(|| Error::invalid_argument(call, "the address resolved to nothing"))
}

impl Drop for SrtSocket {
    fn drop(&mut self) {
        if !self.closed.swap(true, Ordering::AcqRel) && self.id != sys::SRT_INVALID_SOCK {
            // SAFETY: we own the id and it was not closed yet; closing an already-broken
            // socket is harmless in libsrt.
            unsafe { sys::srt_close(self.id) };
        }
        live_dec();
    }
}

impl fmt::Debug for SrtSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("SrtSocket");
        d.field("id", &self.id).field("state", &self.getsockstate());
        if let Ok(a) = self.getsockname() {
            d.field("local", &a);
        }
        if let Ok(a) = self.getpeername() {
            d.field("peer", &a);
        }
        d.finish()
    }
}

impl io::Read for &SrtSocket {
    /// One [`SrtSocket::recv`]; the end of the stream reads as `Ok(0)` as there (see its
    /// "End of stream"), and so do `SRT_ECONNLOST` and `SRT_ENOCONN` on a socket that was
    /// connected. Once libsrt has collected the socket, later reads fail with
    /// `SRT_EINVSOCK` ([`io::ErrorKind::BrokenPipe`]).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        match self.recv(buf) {
            Ok(n) => Ok(n),
            Err(e) if is_eof(&e, self) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }
}

impl io::Write for &SrtSocket {
    /// One `srt_send`: in live mode, one message (at most SRTO_PAYLOADSIZE bytes).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.send(buf).map_err(Into::into)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl io::Read for SrtSocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl io::Write for SrtSocket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// True when a receive error means the peer closed the connection (end of stream).
///
/// `SRT_ENOCONN` counts only on a socket that was connected (now broken or closing): on a
/// socket that never connected it is an error, not an empty stream.
pub(crate) fn is_eof(e: &Error, sock: &SrtSocket) -> bool {
    use crate::error::ErrorCode as C;
    match e.code() {
        Some(C::ConnLost) => true,
        Some(C::NoConn) => matches!(
            sock.getsockstate(),
            SockStatus::Broken | SockStatus::Closing | SockStatus::Closed
        ),
        _ => false,
    }
}
