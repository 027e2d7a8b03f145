//! [`AsyncFileServer`]: the [`FileServer`](crate::FileServer) on tokio, a task per client
//! instead of a thread per client.

use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use ::tokio::io::{AsyncRead, ReadBuf};
use ::tokio::task::JoinSet;

use super::AsyncSrtSocket;
use crate::error::{Error, Result};
use crate::fetch::parse_file_request_streamid;
use crate::fileserver::{
    canonical_root, file_shrank, listening_socket, name_len, open_under_root, size_answer,
};
use crate::options::{SockStatus, SRTO_SNDDATA};
use crate::SEND_CHUNK_SIZE;

/// What every client task needs.
#[derive(Debug)]
struct Config {
    root: PathBuf,
    max_clients: usize,
    request_timeout: Duration,
    drain_timeout: Duration,
}

/// The [`FileServer`](crate::FileServer) as async code: the same protocol (libsrt's
/// `examples/sendfile.cpp`, or the request in the stream id), the same refusals (nothing
/// outside the root, no directories, FIFOs or devices), the same defaults; each client is a
/// task on the tokio runtime that runs [`serve`](Self::serve), instead of a thread.
///
/// Needs a tokio runtime (with the time driver) where it is awaited: it spawns the client
/// tasks there. Files are read through `tokio::fs` (tokio's blocking pool).
///
/// ```no_run
/// # async fn demo() -> srtfu::Result<()> {
/// use srtfu::tokio::AsyncFileServer;
/// let server = AsyncFileServer::bind("srt://:9000", "/srv/files")?;
/// println!("serving on {}", server.local_addr()?);
/// server.serve().await?; // runs until accepting fails
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct AsyncFileServer {
    listener: AsyncSrtSocket,
    config: Config,
}

impl AsyncFileServer {
    /// Binds and listens as `url` says, to serve the files under `root`; as
    /// [`FileServer::bind`](crate::FileServer::bind).
    ///
    /// # Errors
    /// As [`FileServer::bind`](crate::FileServer::bind); also when the reactor cannot take
    /// the listener.
    pub fn bind(url: &str, root: impl AsRef<Path>) -> Result<AsyncFileServer> {
        let root = canonical_root(root.as_ref())?;
        let listener = AsyncSrtSocket::from_socket(listening_socket(url)?)?;
        Ok(AsyncFileServer {
            listener,
            config: Config {
                root,
                max_clients: 64,
                request_timeout: Duration::from_secs(10),
                drain_timeout: Duration::from_secs(60),
            },
        })
    }

    /// The most transfers served at once (default 64, at least 1); more callers wait in
    /// the listen backlog.
    pub fn max_clients(mut self, n: usize) -> Self {
        self.config.max_clients = n.max(1);
        self
    }

    /// How long a client may take to send its request (default 10 s).
    pub fn request_timeout(mut self, t: Duration) -> Self {
        self.config.request_timeout = t.max(Duration::from_millis(1));
        self
    }

    /// How long, after the last send of a file, the server waits for the client to
    /// acknowledge every byte (SRTO_SNDDATA reaching 0) before it closes (default 60 s).
    pub fn drain_timeout(mut self, t: Duration) -> Self {
        self.config.drain_timeout = t;
        self
    }

    /// The address the server listens on, with the real port when bound to port 0.
    ///
    /// # Errors
    /// As [`SrtSocket::getsockname`](crate::SrtSocket::getsockname).
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener.socket().getsockname()
    }

    /// The canonical root directory files are served from.
    pub fn root(&self) -> &Path {
        &self.config.root
    }

    /// Serves until accepting fails. Dropping the future stops the server and every
    /// transfer in progress (their connections are closed).
    ///
    /// # Errors
    /// The error of `srt_accept` that ended the loop.
    pub async fn serve(self) -> Result<()> {
        self.serve_until(std::future::pending()).await
    }

    /// Serves until `shutdown` completes, then stops accepting (the listener is closed)
    /// and waits for the transfers in progress to finish. Dropping the future stops them
    /// too.
    ///
    /// # Errors
    /// The error of `srt_accept` that ended the loop before `shutdown` did.
    pub async fn serve_until(self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let AsyncFileServer { listener, config } = self;
        let config = Arc::new(config);
        let mut shutdown = pin!(shutdown);
        let mut clients = JoinSet::new();
        let ended = loop {
            let next = poll_fn(|cx| {
                if shutdown.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                // Finished transfers free their slots; at the cap, wait for one to end.
                while let Poll::Ready(Some(_)) = clients.poll_join_next(cx) {}
                if clients.len() >= config.max_clients {
                    return Poll::Pending;
                }
                listener.poll_accept_registered(cx).map(Some)
            })
            .await;
            match next {
                None => break Ok(()),
                Some(Ok((sock, peer))) => {
                    let config = Arc::clone(&config);
                    clients.spawn(async move { serve_client(sock, peer, &config).await });
                }
                Some(Err(e)) => {
                    log::error!("file server: srt_accept failed: {e}");
                    break Err(e);
                }
            }
        };
        drop(listener);
        while clients.join_next().await.is_some() {}
        ended
    }
}

/// Handles one client: request, answer, data, drain. Errors are logged, never returned.
async fn serve_client(sock: AsyncSrtSocket, peer: SocketAddr, config: &Config) {
    // As in the sync server: the task waits for delivery itself (bounded), so libsrt's
    // lingering close must not make the close block.
    if let Err(e) = sock.socket().set_linger(None) {
        log::warn!("file server: cannot turn SRTO_LINGER off for {peer}: {e}");
    }
    let name = match ::tokio::time::timeout(config.request_timeout, read_request(&sock)).await {
        Ok(Ok(name)) => name,
        Ok(Err(e)) => {
            log::warn!("file server: bad request from {peer}: {e}");
            return answer_not_found(&sock, config).await;
        }
        Err(_) => {
            log::warn!(
                "file server: no request from {peer} within {:?}",
                config.request_timeout
            );
            return answer_not_found(&sock, config).await;
        }
    };
    let shown = String::from_utf8_lossy(&name).into_owned();
    let (file, size) = match open_under_root(&config.root, &name) {
        Ok(x) => x,
        Err(why) => {
            log::warn!("file server: {peer} asked for {shown:?}: refused, {why}");
            return answer_not_found(&sock, config).await;
        }
    };
    log::info!("file server: sending {shown:?} ({size} bytes) to {peer}");
    let start = Instant::now();
    match send_file(&sock, ::tokio::fs::File::from_std(file), size).await {
        Ok(()) => {
            wait_delivered(&sock, config.drain_timeout).await;
            log::info!(
                "file server: sent {shown:?} to {peer} in {:.3} s",
                start.elapsed().as_secs_f64()
            );
        }
        Err(e) => log::warn!("file server: sending {shown:?} to {peer} failed: {e}"),
    }
}

/// The requested name: from the stream id when it is a file request, else the
/// length-prefixed name.
async fn read_request(sock: &AsyncSrtSocket) -> Result<Vec<u8>> {
    if let Ok(sid) = sock.socket().streamid() {
        if let Some(name) = parse_file_request_streamid(&sid) {
            return Ok(name.as_bytes().to_vec());
        }
    }
    let mut len = [0u8; 4];
    sock.recv_exact(&mut len).await?;
    let mut name = vec![0u8; name_len(len)?];
    sock.recv_exact(&mut name).await?;
    Ok(name)
}

/// Answers -1 ("no such file") and waits (at most 5 s) until the client has it.
async fn answer_not_found(sock: &AsyncSrtSocket, config: &Config) {
    if sock.send_all(&(-1i64).to_ne_bytes()).await.is_ok() {
        wait_delivered(sock, config.drain_timeout.min(Duration::from_secs(5))).await;
    }
}

/// Sends the size, then exactly `size` bytes of `file`.
async fn send_file(sock: &AsyncSrtSocket, mut file: ::tokio::fs::File, size: u64) -> Result<()> {
    sock.send_all(&size_answer(size)?).await?;
    let mut buf = vec![0u8; SEND_CHUNK_SIZE.min(size.max(1) as usize)];
    let mut left = size;
    while left > 0 {
        let want = buf.len().min(left as usize);
        let mut rb = ReadBuf::new(&mut buf[..want]);
        poll_fn(|cx| std::pin::Pin::new(&mut file).poll_read(cx, &mut rb))
            .await
            .map_err(|e| Error::io("read the file being served", e))?;
        let n = rb.filled().len();
        if n == 0 {
            return Err(file_shrank(left));
        }
        sock.send_all(&buf[..n]).await?;
        left -= n as u64;
    }
    Ok(())
}

/// Waits until the client has acknowledged everything sent (SRTO_SNDDATA reaches 0), the
/// connection ends, or `limit` passes; polled every 2 ms, as the sync server does (libsrt
/// raises no event for it).
async fn wait_delivered(sock: &AsyncSrtSocket, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        match sock.socket().getsockflag(SRTO_SNDDATA) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if sock.socket().getsockstate() != SockStatus::Connected || Instant::now() >= deadline {
            return;
        }
        ::tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
