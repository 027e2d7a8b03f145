//! Async srtfu for tokio (cargo feature `tokio`): [`AsyncSrtSocket`], the async
//! datagramer [`AsyncDatagramer`], an async [`fetch`] and the [`AsyncFileServer`].
//!
//! SRT sockets are not file descriptors, so tokio's own reactor cannot watch them. srtfu runs
//! one reactor thread per process (named `srtfu-reactor`) that waits in `srt_epoll_uwait`
//! (edge-triggered, no timeout) on one shared libsrt epoll and wakes the tasks whose sockets
//! became readable, writable or broken. Every async socket is non-blocking; an operation is
//! tried first and waits for the reactor only when libsrt answers would-block
//! (`SRT_EASYNCRCV` / `SRT_EASYNCSND`), trying once more after it registered, so no
//! readiness edge is lost. There is no thread per socket or per operation and no timeout
//! polling. The reactor thread starts with the first async socket and ends when the last one
//! is dropped. It does not depend on a tokio runtime: the futures run on any executor, and a
//! runtime shut down with sockets open leaves nothing waiting. The exception is
//! [`AsyncFileServer`], which spawns a task per client on the runtime that awaits it.
//!
//! ```no_run
//! # async fn demo() -> srtfu::Result<()> {
//! use srtfu::tokio::AsyncSrtSocket;
//! let sock = AsyncSrtSocket::connect("srt://127.0.0.1:4201?latency=200").await?;
//! sock.sendmsg2(b"hello", None).await?;
//! let mut buf = [0u8; 1500];
//! let n = sock.recvmsg(&mut buf).await?;
//! println!("got {n} bytes");
//! # Ok(()) }
//! ```
//!
//! # Cancel safety
//! As in tokio's documentation, a method is *cancel-safe* when dropping its future before it
//! completes (in a `tokio::select!` branch that lost, or under `tokio::time::timeout`) loses
//! nothing:
//!
//! - receiving ([`recv`](AsyncSrtSocket::recv), [`recvmsg`](AsyncSrtSocket::recvmsg),
//!   [`recvmsg2`](AsyncSrtSocket::recvmsg2), [`AsyncDatagramer::recv_into`],
//!   [`AsyncDatagramer::recv`], the `Stream` and `AsyncRead`) is cancel-safe: a message is
//!   taken from libsrt only inside the poll that returns it, so a dropped future has taken
//!   none, and the next receive gets it;
//! - [`accept`](AsyncSrtSocket::accept) is cancel-safe: a pending caller stays in libsrt's
//!   backlog until a poll returns it;
//! - sending ([`send`](AsyncSrtSocket::send), [`sendmsg2`](AsyncSrtSocket::sendmsg2),
//!   `AsyncWrite`) is cancel-safe in the same sense: the message was either handed to libsrt
//!   whole by the poll that returns `Ready`, or not at all; a dropped future sent nothing;
//! - the `Sink` holds one item between `start_send` and a completed flush; dropping the
//!   [`AsyncDatagramer`] drops that item;
//! - [`connect`](AsyncSrtSocket::connect) and [`connect_addr`](AsyncSrtSocket::connect_addr)
//!   are not: dropping the future drops (closes) the socket being connected, or leaves the
//!   connection attempt running in libsrt for `connect_addr`.

use std::future::poll_fn;
use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorCode, Result, SrtError};
use crate::options::{SockStatus, SRTO_PEERIDLETIMEO, SRTO_RCVSYN, SRTO_SNDSYN};
use crate::reactor::{Direction, Registration};
use crate::reject::RejectReason;
use crate::socket::{is_eof, MsgCtrl, SrtSocket};
use crate::url::{Mode, SrtUrl};
use crate::{FetchSummary, IncomingCaller, SRTO_PAYLOADSIZE};

pub use crate::reactor::{reactor_sockets, reactor_threads, REACTOR_THREAD_NAME};

mod fileserver;
pub use fileserver::AsyncFileServer;

/// A non-blocking [`SrtSocket`] driven by srtfu's reactor; its methods are the sync ones
/// as futures (`srt_recvmsg` is [`recvmsg`](Self::recvmsg)`.await`, and so on).
///
/// Options, stats and everything else that does not wait go through the inner socket,
/// [`socket`](Self::socket) (for example `sock.socket().bstats(false)` or
/// `sock.socket().getsockflag(SRTO_LATENCY)`). All methods take `&self`: share the socket
/// between tasks with an `Arc` (one task receiving while another sends). Dropping it removes
/// it from the reactor and closes it (`srt_close`).
///
/// See the [module documentation](self) for which methods are cancel-safe.
#[derive(Debug)]
pub struct AsyncSrtSocket {
    // Declared first so it is dropped first: out of the reactor, then closed.
    reg: Registration,
    sock: SrtSocket,
}

impl AsyncSrtSocket {
    /// Makes `sock` non-blocking (`SRTO_RCVSYN` and `SRTO_SNDSYN` off) and registers it with
    /// the reactor (started if none runs).
    ///
    /// Register a listener before callers can arrive (right after
    /// [`listen`](SrtSocket::listen) is fine: [`accept`](Self::accept) tries libsrt first,
    /// so callers already pending are found).
    ///
    /// # Errors
    /// An invalid or closed socket, or the reactor thread cannot be started.
    pub fn from_socket(sock: SrtSocket) -> Result<AsyncSrtSocket> {
        sock.set_blocking(false)?;
        let reg = Registration::new(&sock)?;
        Ok(AsyncSrtSocket { reg, sock })
    }

    /// Creates a socket with the options of an `srt://` URL ([`SrtSocket::new`]), non-blocking
    /// and registered, ready for [`connect_url`](Self::connect_url) or
    /// [`bind_url`](Self::bind_url).
    ///
    /// # Errors
    /// As [`SrtSocket::new`] and [`from_socket`](Self::from_socket).
    pub fn new(url: &str) -> Result<AsyncSrtSocket> {
        AsyncSrtSocket::from_socket(SrtSocket::new(url)?)
    }

    /// Connects to the `srt://` URL's host and port as a caller (or, with
    /// `mode=rendezvous`, by rendezvous), with the URL's options. Honours the URL's
    /// `retries=N` for connections that time out.
    ///
    /// Not one libsrt call: [`new`](Self::new), then `srt_connect` (or `srt_connect_bind`,
    /// `srt_rendezvous`) on the non-blocking socket, then waiting for libsrt to report it
    /// connected (OUT) or failed (ERR).
    ///
    /// Not cancel-safe: dropping the future closes the socket being connected.
    ///
    /// A connection that was made and ended again before the task looked (the peer closed
    /// at once) is returned as connected: its first receive reports the end. libsrt keeps no
    /// record of "was connected", so srtfu tells the two apart by the reject reason, which
    /// libsrt sets for every failed attempt and leaves `SRT_REJ_UNKNOWN` otherwise.
    ///
    /// # Errors
    /// A bad URL, a listener URL (use [`bind_url`](Self::bind_url) and
    /// [`accept`](Self::accept)), a timeout (`SRT_ENOSERVER`,
    /// [`Error::is_timeout`]) or a rejection (`SRT_ECONNREJ` with its
    /// [reject reason](Error::reject_reason)).
    pub async fn connect(url: &str) -> Result<AsyncSrtSocket> {
        let parsed: SrtUrl = url.parse()?;
        AsyncSrtSocket::connect_parsed(&parsed).await
    }

    /// [`connect`](Self::connect) with a parsed URL.
    async fn connect_parsed(parsed: &SrtUrl) -> Result<AsyncSrtSocket> {
        if parsed.mode() == Mode::Listener {
            return Err(Error::invalid_argument(
                "srt_connect",
                format!(
                    "{parsed:?} is a listener URL (no host, or mode=listener): \
                     use AsyncSrtSocket::new, bind_url, listen and accept"
                ),
            ));
        }
        let mut attempt = 0;
        loop {
            let sock = AsyncSrtSocket::from_socket(SrtSocket::from_url(parsed)?)?;
            let started = match parsed.mode() {
                Mode::Rendezvous => sock
                    .sock
                    .rendezvous(parsed.local_addr()?, parsed.remote_addr()?),
                _ => sock.sock.connect_url(),
            };
            let res = match started {
                Ok(()) => sock.connected("srt_connect").await,
                Err(e) => Err(e),
            };
            match res {
                Ok(()) => return Ok(sock),
                Err(e) if e.is_timeout() && attempt < parsed.retries() => {
                    attempt += 1;
                    log::warn!(
                        "connect to {}:{} timed out; retry {attempt} of {}",
                        parsed.host(),
                        parsed.port(),
                        parsed.retries()
                    );
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Connects this socket to `addr` (`srt_connect` on the non-blocking socket, then
    /// waiting for libsrt to report the outcome).
    ///
    /// Not cancel-safe: a dropped future leaves libsrt's connection attempt running.
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    pub async fn connect_addr<A: ToSocketAddrs>(&self, addr: A) -> Result<()> {
        self.sock.connect(addr)?;
        self.connected("srt_connect").await
    }

    /// Connects to the URL this socket was made from ([`SrtSocket::connect_url`]), then
    /// waits for the outcome.
    ///
    /// # Errors
    /// As [`connect`](Self::connect); also when the socket has no URL.
    pub async fn connect_url(&self) -> Result<()> {
        self.sock.connect_url()?;
        self.connected("srt_connect").await
    }

    /// Waits until a connection started on the non-blocking socket is made or fails.
    async fn connected(&self, call: &'static str) -> Result<()> {
        poll_fn(|cx| self.poll_connected(cx, call)).await
    }

    fn poll_connected(&self, cx: &mut Context<'_>, call: &'static str) -> Poll<Result<()>> {
        self.reg
            .poll_ready(cx, Direction::Write, || match self.sock.getsockstate() {
                SockStatus::Connected => Some(Ok(())),
                SockStatus::Connecting | SockStatus::Opened | SockStatus::Init => None,
                // Connected, then ended before this poll looked (a peer that closes right
                // after accepting): libsrt records a reject reason for every failed
                // connection attempt (SRT_REJ_TIMEOUT, SRT_REJ_PEER, ...) and none for a
                // connection that was made. The first receive reports the end.
                SockStatus::Broken | SockStatus::Closing | SockStatus::Closed
                    if self.sock.getrejectreason() == RejectReason::Unknown =>
                {
                    Some(Ok(()))
                }
                state => Some(Err(self.connect_failure(call, state))),
            })
    }

    /// The error of a failed non-blocking connect, with libsrt's reject reason.
    fn connect_failure(&self, call: &'static str, state: SockStatus) -> Error {
        crate::socket::connect_failure(&self.sock, call, state)
    }

    /// Binds to a local address (`srt_bind`; does not wait).
    ///
    /// # Errors
    /// As [`SrtSocket::bind`].
    pub fn bind<A: ToSocketAddrs>(&self, addr: A) -> Result<()> {
        self.sock.bind(addr)
    }

    /// Binds to the URL's local address ([`SrtSocket::bind_url`]; does not wait).
    ///
    /// # Errors
    /// As [`SrtSocket::bind_url`].
    pub fn bind_url(&self) -> Result<()> {
        self.sock.bind_url()
    }

    /// Starts listening (`srt_listen`; does not wait).
    ///
    /// # Errors
    /// As [`SrtSocket::listen`].
    pub fn listen(&self, backlog: i32) -> Result<()> {
        self.sock.listen(backlog)
    }

    /// Sets the listen callback ([`SrtSocket::listen_callback`]), run by libsrt for each
    /// caller before [`accept`](Self::accept) sees it; it accepts or rejects with a reason.
    /// Set it before [`listen`](Self::listen): libsrt 1.5.4 and later refuse it on a
    /// socket that already listens.
    ///
    /// # Errors
    /// As [`SrtSocket::listen_callback`].
    pub fn listen_callback<F>(&mut self, f: F) -> Result<()>
    where
        F: FnMut(&IncomingCaller<'_>) -> std::result::Result<(), RejectReason> + Send + 'static,
    {
        self.sock.listen_callback(f)
    }

    /// Accepts one caller (`srt_accept`), waiting until one is pending: the new socket,
    /// already non-blocking and registered, and the caller's address. Cancel-safe.
    ///
    /// A caller whose connection broke after libsrt queued it is still returned (its first
    /// receive reports the end, and gets what it sent before). One that libsrt's collector
    /// has already closed (a caller that connects and closes at once: `srt_accept` fails
    /// with `SRT_ESCLOSED`, or the socket it returned is gone before the registration) is
    /// no socket any more: it is skipped and `accept` waits for the next caller
    /// ([`SrtSocket::accept_lost_caller`]), so that a loop of `accept().await?` is not
    /// ended by one such caller.
    ///
    /// # Errors
    /// The socket is not listening or was closed; the reactor cannot take the new socket.
    pub async fn accept(&self) -> Result<(AsyncSrtSocket, SocketAddr)> {
        poll_fn(|cx| self.poll_accept_registered(cx)).await
    }

    /// [`accept`](Self::accept) as a poll function (the socket registered, closed callers
    /// skipped).
    pub(crate) fn poll_accept_registered(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(AsyncSrtSocket, SocketAddr)>> {
        loop {
            let (sock, addr) = match self.poll_accept(cx) {
                Poll::Ready(Ok(x)) => x,
                Poll::Ready(Err(e)) if self.sock.accept_lost_caller(&e) => {
                    log::debug!("accept: a pending caller was closed by libsrt: {e}");
                    continue;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            match AsyncSrtSocket::accepted(sock) {
                Ok(accepted) => return Poll::Ready(Ok((accepted, addr))),
                Err(e) if self.sock.accept_lost_caller(&e) => {
                    log::debug!("accept: caller {addr} was closed by libsrt before use: {e}");
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// Registers a socket that `srt_accept` returned.
    fn accepted(sock: SrtSocket) -> Result<AsyncSrtSocket> {
        // libsrt copies SRTO_RCVSYN/SNDSYN from the (non-blocking) listener; setting them
        // again would fail on a caller whose connection already broke, which is for its
        // first receive to report, not for accept.
        let blocking = sock.getsockflag(SRTO_RCVSYN)? || sock.getsockflag(SRTO_SNDSYN)?;
        if blocking {
            sock.set_blocking(false)?;
        }
        let reg = Registration::new(&sock)?;
        Ok(AsyncSrtSocket { reg, sock })
    }

    /// [`accept`](Self::accept) as a poll function: `Ready` with a (blocking, unregistered)
    /// [`SrtSocket`], or `Pending` with the task's waker stored.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<Result<(SrtSocket, SocketAddr)>> {
        self.reg.poll_io(cx, Direction::Read, || self.sock.accept())
    }

    /// Receives into `buf` (`srt_recv`), waiting until something arrives: in live mode one
    /// message, in file mode what is there. `Ok(0)` is the end of the stream, as for
    /// [`SrtSocket::recv`]. Cancel-safe.
    ///
    /// # Errors
    /// As [`SrtSocket::recv`], except that it never reports would-block.
    pub async fn recv(&self, buf: &mut [u8]) -> Result<usize> {
        poll_fn(|cx| self.poll_recv(cx, buf)).await
    }

    /// [`recv`](Self::recv) as a poll function.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize>> {
        self.reg
            .poll_recv_io(cx, &self.sock, || self.sock.recv(buf))
    }

    /// Receives one message (`srt_recvmsg`), waiting until one arrives; see
    /// [`recv`](Self::recv). Cancel-safe.
    ///
    /// # Errors
    /// As [`SrtSocket::recvmsg`], except that it never reports would-block.
    pub async fn recvmsg(&self, buf: &mut [u8]) -> Result<usize> {
        poll_fn(|cx| self.poll_recvmsg(cx, buf)).await
    }

    /// [`recvmsg`](Self::recvmsg) as a poll function.
    pub fn poll_recvmsg(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize>> {
        self.reg
            .poll_recv_io(cx, &self.sock, || self.sock.recvmsg(buf))
    }

    /// Receives one message with its control data (`srt_recvmsg2`), waiting until one
    /// arrives. Cancel-safe.
    ///
    /// # Errors
    /// As [`SrtSocket::recvmsg2`], except that it never reports would-block.
    pub async fn recvmsg2(&self, buf: &mut [u8]) -> Result<(usize, MsgCtrl)> {
        poll_fn(|cx| self.poll_recvmsg2(cx, buf)).await
    }

    /// [`recvmsg2`](Self::recvmsg2) as a poll function.
    pub fn poll_recvmsg2(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<(usize, MsgCtrl)>> {
        self.reg
            .poll_recv_io(cx, &self.sock, || self.sock.recvmsg2(buf))
    }

    /// Sends bytes (`srt_send`), waiting while libsrt's send buffer is full: in live mode one
    /// message, in file mode a part of the stream (returns how much was taken). Cancel-safe.
    ///
    /// # Errors
    /// As [`SrtSocket::send`], except that it never reports would-block.
    pub async fn send(&self, buf: &[u8]) -> Result<usize> {
        poll_fn(|cx| self.poll_send(cx, buf)).await
    }

    /// [`send`](Self::send) as a poll function.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize>> {
        self.reg
            .poll_io(cx, Direction::Write, || self.sock.send(buf))
    }

    /// Sends one message with control data (`srt_sendmsg2`), waiting while libsrt's send
    /// buffer is full; returns the bytes sent and the control data as libsrt updated it.
    /// Cancel-safe.
    ///
    /// # Errors
    /// As [`SrtSocket::sendmsg2`], except that it never reports would-block.
    pub async fn sendmsg2(&self, buf: &[u8], ctrl: Option<MsgCtrl>) -> Result<(usize, MsgCtrl)> {
        poll_fn(|cx| self.poll_sendmsg2(cx, buf, ctrl)).await
    }

    /// [`sendmsg2`](Self::sendmsg2) as a poll function.
    pub fn poll_sendmsg2(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        ctrl: Option<MsgCtrl>,
    ) -> Poll<Result<(usize, MsgCtrl)>> {
        self.reg
            .poll_io(cx, Direction::Write, || self.sock.sendmsg2(buf, ctrl))
    }

    /// The inner (non-blocking) socket, for options, stats, addresses and state.
    pub fn socket(&self) -> &SrtSocket {
        &self.sock
    }

    /// The libsrt socket id.
    pub fn id(&self) -> crate::sys::SRTSOCKET {
        self.sock.id()
    }

    /// Removes the socket from the reactor and gives back the inner socket, still
    /// non-blocking.
    pub fn into_socket(self) -> SrtSocket {
        let AsyncSrtSocket { reg, sock } = self;
        drop(reg);
        sock
    }

    /// Closes the socket now (`srt_close`); tasks waiting on it (through an `Arc`) are woken
    /// and their calls fail.
    ///
    /// # Errors
    /// Whatever libsrt reports.
    pub fn close(self) -> Result<()> {
        self.into_socket().close()
    }
}

/// Reads the byte stream of a file-mode socket (`srt_recv`). The end of the stream (the peer
/// closed) reads as 0 bytes, as for the sync [`Read`](std::io::Read) impl.
impl ::tokio::io::AsyncRead for AsyncSrtSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ::tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.get_mut().poll_read_ref(cx, buf)
    }
}

impl AsyncSrtSocket {
    fn poll_read_ref(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ::tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let dst = buf.initialize_unfilled();
        match self.poll_recv(cx, dst) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) if is_eof(&e, &self.sock) => Poll::Ready(Ok(())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e.into())),
        }
    }
}

/// Writes to a file-mode socket (`srt_send`). `poll_flush` and `poll_shutdown` return at
/// once: libsrt delivers what it took in the background, and after a close it goes on
/// delivering for `SRTO_LINGER` (dropping the socket does not wait for that).
impl ::tokio::io::AsyncWrite for AsyncSrtSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.poll_send(cx, buf).map_err(Into::into)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The async datagramer: live payloads from one connection, as a `Stream` (one `Vec` per
/// payload), through [`recv_into`](Self::recv_into) into a caller's buffer (no allocation),
/// or [`recv`](Self::recv) into its own; and a `Sink` for sending payloads.
///
/// Like the sync [`Datagramer`](crate::Datagramer), it ends (`None`) when the peer closes
/// and yields an error when the link breaks: libsrt 1.5.1 reports both as `SRT_ECONNLOST`
/// in live mode, so an end that comes within 90 % of `SRTO_PEERIDLETIMEO` of the last
/// payload is a clean close, and one after a longer silence a broken link. It does not
/// reconnect.
#[derive(Debug)]
pub struct AsyncDatagramer {
    sock: AsyncSrtSocket,
    buf: Vec<u8>,
    pending: Vec<u8>,
    has_pending: bool,
    done: bool,
    last_data: Instant,
    peer_idle: Duration,
}

/// Opens a live connection by the URL's mode (a caller connects, a listener accepts one
/// caller, rendezvous meets its peer) and returns it as an [`AsyncDatagramer`]. The URL's
/// options apply; `transtype` is live unless the URL says otherwise.
///
/// ```no_run
/// # async fn demo() -> srtfu::Result<()> {
/// use futures_core::Stream; // futures_util::StreamExt gives .next()
/// let mut d = srtfu::tokio::datagramer("srt://:4201").await?;
/// let mut buf = vec![0u8; d.min_buffer()];
/// while let Some(n) = d.recv_into(&mut buf).await? {
///     println!("payload of {n} bytes");
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// A bad URL, a failed connection, or the reactor cannot take the socket.
pub async fn datagramer(url: &str) -> Result<AsyncDatagramer> {
    let parsed: SrtUrl = url.parse()?;
    let sock = match parsed.mode() {
        Mode::Listener => {
            let listener = SrtSocket::from_url(&parsed)?;
            listener.bind(parsed.local_addr()?)?;
            listener.listen(1)?;
            let listener = AsyncSrtSocket::from_socket(listener)?;
            let (sock, _) = listener.accept().await?;
            sock
        }
        _ => AsyncSrtSocket::connect(url).await?,
    };
    AsyncDatagramer::from_socket(sock)
}

impl AsyncDatagramer {
    /// Wraps a connected async socket.
    ///
    /// # Errors
    /// The socket's options cannot be read (a closed socket).
    pub fn from_socket(sock: AsyncSrtSocket) -> Result<AsyncDatagramer> {
        let inner = sock.socket();
        let payload = inner.getsockflag(SRTO_PAYLOADSIZE)?.max(1) as usize;
        let idle = inner.getsockflag(SRTO_PEERIDLETIMEO).unwrap_or(5000).max(1);
        Ok(AsyncDatagramer {
            sock,
            buf: vec![0; payload.max(crate::MIN_RECV_BUFFER)],
            pending: Vec::new(),
            has_pending: false,
            done: false,
            last_data: Instant::now(),
            peer_idle: Duration::from_millis(idle as u64),
        })
    }

    /// The socket underneath.
    pub fn socket(&self) -> &AsyncSrtSocket {
        &self.sock
    }

    /// The smallest buffer [`recv_into`](Self::recv_into) takes: the payload size.
    pub fn min_buffer(&self) -> usize {
        self.buf.len()
    }

    /// Receives the next payload into `buf` (at least [`min_buffer`](Self::min_buffer)
    /// bytes); `Ok(None)` once the peer closed. Allocates nothing. Cancel-safe.
    ///
    /// # Errors
    /// The link broke (`SRT_ECONNLOST` after a silence), or `buf` is too small.
    pub async fn recv_into(&mut self, buf: &mut [u8]) -> Result<Option<usize>> {
        poll_fn(|cx| self.poll_recv_into(cx, buf)).await
    }

    /// Receives the next payload into the datagramer's own buffer; `Ok(None)` once the peer
    /// closed. Cancel-safe.
    ///
    /// # Errors
    /// As [`recv_into`](Self::recv_into).
    pub async fn recv(&mut self) -> Result<Option<&[u8]>> {
        let mut own = std::mem::take(&mut self.buf);
        let r = poll_fn(|cx| self.poll_recv_into(cx, &mut own)).await;
        self.buf = own;
        Ok(r?.map(|n| &self.buf[..n]))
    }

    /// [`recv_into`](Self::recv_into) as a poll function.
    pub fn poll_recv_into(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<Option<usize>>> {
        if self.done {
            return Poll::Ready(Ok(None));
        }
        let r = match self.sock.poll_recvmsg(cx, buf) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(r) => r,
        };
        Poll::Ready(match r {
            Ok(0) if !buf.is_empty() => self.end(None),
            Ok(n) => {
                self.last_data = Instant::now();
                Ok(Some(n))
            }
            Err(e) if matches!(e.code(), Some(ErrorCode::ConnLost | ErrorCode::NoConn)) => {
                self.end(Some(e))
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        })
    }

    /// The end of the connection: a clean close (`None`) when it came within 90 % of the
    /// peer idle timeout of the last payload, else the link broke.
    fn end(&mut self, err: Option<Error>) -> Result<Option<usize>> {
        self.done = true;
        let since = self.last_data.elapsed();
        if since < self.peer_idle.mul_f64(0.9) {
            return Ok(None);
        }
        Err(err.unwrap_or_else(|| {
            Error::Srt(SrtError::new(
                "srt_recvmsg",
                ErrorCode::ConnLost,
                format!(
                    "the connection ended after {since:?} without data \
                     (SRTO_PEERIDLETIMEO {:?}): the link broke",
                    self.peer_idle
                ),
            ))
        }))
    }

    /// Sends one payload (`srt_sendmsg2`), waiting while libsrt's send buffer is full.
    /// Cancel-safe.
    ///
    /// # Errors
    /// As [`AsyncSrtSocket::sendmsg2`].
    pub async fn send(&self, payload: &[u8]) -> Result<usize> {
        Ok(self.sock.sendmsg2(payload, None).await?.0)
    }

    fn poll_flush_pending(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if !self.has_pending {
            return Poll::Ready(Ok(()));
        }
        match self.sock.poll_sendmsg2(cx, &self.pending, None) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(r) => {
                self.has_pending = false;
                Poll::Ready(r.map(drop))
            }
        }
    }
}

/// One `Vec` per payload, until the peer closes (`None`) or the link breaks (an error, then
/// `None`).
impl futures_core::Stream for AsyncDatagramer {
    type Item = Result<Vec<u8>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let mut own = std::mem::take(&mut this.buf);
        let r = this.poll_recv_into(cx, &mut own);
        let out = match r {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(Some(n))) => Poll::Ready(Some(Ok(own[..n].to_vec()))),
            Poll::Ready(Ok(None)) => Poll::Ready(None),
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
        };
        this.buf = own;
        out
    }
}

/// Sends each slice as one payload (`srt_sendmsg2`). The sink holds one item: `start_send`
/// copies it into a buffer that is reused (no allocation per item once it has grown), and
/// `poll_ready` / `poll_flush` send it, waiting while libsrt's send buffer is full.
/// `poll_close` flushes; the socket closes when the datagramer is dropped.
impl<'a> futures_sink::Sink<&'a [u8]> for AsyncDatagramer {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_flush_pending(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: &'a [u8]) -> Result<()> {
        let this = self.get_mut();
        if this.has_pending {
            return Err(Error::invalid_argument(
                "srt_sendmsg2",
                "start_send called before poll_ready returned Ready",
            ));
        }
        this.pending.clear();
        this.pending.extend_from_slice(item);
        this.has_pending = true;
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_flush_pending(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_flush_pending(cx)
    }
}

/// Downloads `remote` from a file server into `local` (async [`fetch`](fn@crate::fetch), same
/// wire protocol: libsrt's examples/sendfile.cpp and recvfile.cpp, and srtfu's
/// [`FileServer`](crate::FileServer)). Connects as a caller (or by rendezvous) in file mode
/// with the URL's options, sends the name, receives the size and the bytes. The file appears
/// at `local` only when complete (written to a hidden part file beside it, then renamed).
///
/// The local file is written with plain (blocking) writes of at most
/// [`FETCH_BUFFER_SIZE`](crate::FETCH_BUFFER_SIZE) bytes; on slow storage, run the fetch on
/// a runtime thread that may block, or in `spawn_blocking` with the sync
/// [`fetch`](fn@crate::fetch).
///
/// Not cancel-safe in the sense of resuming: a dropped future closes the connection and
/// removes the part file; nothing appears at `local`.
///
/// # Errors
/// As [`fetch`](fn@crate::fetch): a bad URL or name, a failed connection,
/// [`Error::RemoteNotFound`] when the server has no such file, [`Error::Incomplete`] when
/// the connection ends early, or a local I/O error.
pub async fn fetch(url: &str, remote: &str, local: impl AsRef<Path>) -> Result<FetchSummary> {
    let parsed: SrtUrl = url.parse()?;
    let parsed = parsed.with("transtype", "file")?;
    let sock = AsyncSrtSocket::connect_parsed(&parsed).await?;
    sock.fetch(remote, local).await
}

impl AsyncSrtSocket {
    /// Downloads `remote` over this connected file-mode socket into `local`; see
    /// [`fetch`](fn@fetch).
    ///
    /// # Errors
    /// As [`fetch`](fn@fetch).
    pub async fn fetch(&self, remote: &str, local: impl AsRef<Path>) -> Result<FetchSummary> {
        let local = local.as_ref();
        let start = Instant::now();
        self.send_all(&crate::fetch::request_bytes(remote)?).await?;
        let mut size = [0u8; 8];
        self.recv_exact(&mut size).await?;
        let mut stats = self.sock.bstats(false).unwrap_or_default();
        let total = crate::fetch::announced_size(remote, size)?;
        let mut part = crate::fetch::PartFile::create(local)?;
        let mut buf = vec![0u8; crate::FETCH_BUFFER_SIZE.min(total.max(1) as usize)];
        let mut done = 0u64;
        while done < total {
            let want = buf.len().min((total - done) as usize);
            let n = match self.recv(&mut buf[..want]).await {
                Ok(0) => Err(crate::fetch::stream_ended()),
                other => other,
            }
            .map_err(|e| Error::Incomplete {
                path: remote.to_string(),
                received: done,
                expected: total,
                source: Box::new(e),
            })?;
            part.file
                .write_all(&buf[..n])
                .map_err(|e| Error::io(format!("write {:?}", part.path), e))?;
            done += n as u64;
            if let Ok(s) = self.sock.bstats(false) {
                stats = s;
            }
        }
        part.commit(local)?;
        Ok(FetchSummary {
            remote: remote.to_string(),
            local: local.to_path_buf(),
            bytes: done,
            duration: start.elapsed(),
            stats,
        })
    }

    /// `send` until all of `buf` is handed to libsrt (file mode may take part of it).
    pub(crate) async fn send_all(&self, mut buf: &[u8]) -> Result<()> {
        while !buf.is_empty() {
            let n = self.send(buf).await?;
            if n == 0 {
                return Err(crate::fetch::short_send());
            }
            buf = &buf[n..];
        }
        Ok(())
    }

    /// `recv` until `buf` is full (a stream may deliver a header in pieces).
    pub(crate) async fn recv_exact(&self, buf: &mut [u8]) -> Result<()> {
        let mut got = 0;
        while got < buf.len() {
            let n = self.recv(&mut buf[got..]).await?;
            if n == 0 {
                return Err(crate::fetch::stream_ended());
            }
            got += n;
        }
        Ok(())
    }
}
