//! [`FileServer`]: serves the files under one directory with the protocol of libsrt's
//! `examples/sendfile.cpp` (see [the `fetch` module](mod@crate::fetch) for the wire format).
//!
//! # Threads
//!
//! One thread accepts; each accepted client gets its own thread, which reads the request,
//! reads the file with ordinary Rust I/O and sends it with blocking `srt_send` calls. A thread
//! per client is the simplest correct design here: a file transfer is a long sequence of
//! blocking sends that libsrt's own sender thread paces, so the client thread mostly sleeps
//! inside `srt_send`, and a server moves a handful of large files at once, not thousands of
//! small requests. The number of concurrent transfers is capped ([`FileServer::max_clients`],
//! default 64); further callers wait in the listen backlog until a transfer ends.
//!
//! Files are sent with `srt_send`, not `srt_sendfile`: libsrt 1.5.1's `srt_sendfile` never
//! returns for a file larger than about a fifth of SRTO_SNDBUF (2548000 bytes with the
//! default buffer; see [`SrtSocket::sendfile`](crate::SrtSocket::sendfile)).

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::fetch::{parse_file_request_streamid, recv_exact, send_all, MAX_NAME_LEN};
use crate::options::{SockStatus, SRTO_SNDDATA};
use crate::socket::SrtSocket;
use crate::url::{Mode, SrtUrl};

/// Bytes read from the file and handed to each `srt_send` (1 MiB).
pub const SEND_CHUNK_SIZE: usize = 1 << 20;

// Sockets several threads use are `Arc<SrtSocket>`: whichever thread closes first calls
// `SrtSocket::close_ref`, which makes the one `srt_close` happen exactly once (or `Drop`
// does, when the last user lets go).

/// State shared by the accept thread, the client threads and the handles.
struct State {
    root: PathBuf,
    stopping: AtomicBool,
    clients: Mutex<Vec<(u64, Arc<SrtSocket>)>>,
    freed: Condvar,
    next_id: AtomicU64,
    max_clients: usize,
    request_timeout: Duration,
    drain_timeout: Duration,
}

/// A file server speaking libsrt's `examples/sendfile.cpp` protocol: serves every regular file
/// under its root directory, to many clients at once, and nothing outside it.
///
/// A request is answered with size -1 (the protocol's "no such file") and a log line
/// (`log` crate, warn level) when the name is empty, longer than
/// [`MAX_NAME_LEN`](crate::MAX_NAME_LEN) bytes, not UTF-8, contains a NUL byte, is absolute,
/// has a `..` component, leads (through symlinks) outside the root, or names something that is
/// not a regular file (directory, FIFO, device) or does not exist. The server keeps serving.
///
/// Besides the length-prefixed name, a caller may request a file by its stream id,
/// `#!::t=file,m=request,r=NAME` (see [`Fetch::request_by_streamid`](crate::Fetch)).
///
/// ```no_run
/// use srtfu::FileServer;
/// let server = FileServer::bind("srt://:9000", "/srv/files")?;
/// println!("serving on {}", server.local_addr()?);
/// server.serve()?; // runs until an error
/// # Ok::<(), srtfu::Error>(())
/// ```
pub struct FileServer {
    listener: Arc<SrtSocket>,
    state: Arc<State>,
}

impl std::fmt::Debug for FileServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileServer")
            .field("listener", &*self.listener)
            .field("root", &self.state.root)
            .finish()
    }
}

impl FileServer {
    /// Binds and listens as `url` says (`srt://:9000`, `srt://127.0.0.1:0?passphrase=...`),
    /// with file transtype and listener mode forced (a host in the URL is the address to
    /// listen on), to serve the files under `root`.
    ///
    /// The URL's options apply to every accepted connection (libsrt copies a listener's
    /// options to the sockets it accepts). Not one libsrt call: `srt_create_socket`,
    /// `srt_setsockflag` for each option, `srt_bind`, `srt_listen`.
    ///
    /// # Errors
    /// A bad URL or option; `root` not an existing directory ([`Error::Io`] naming it); the
    /// address in use or not bindable.
    pub fn bind(url: &str, root: impl AsRef<Path>) -> Result<FileServer> {
        let canon = canonical_root(root.as_ref())?;
        let sock = listening_socket(url)?;
        Ok(FileServer {
            listener: Arc::new(sock),
            state: Arc::new(State {
                root: canon,
                stopping: AtomicBool::new(false),
                clients: Mutex::new(Vec::new()),
                freed: Condvar::new(),
                next_id: AtomicU64::new(0),
                max_clients: 64,
                request_timeout: Duration::from_secs(10),
                drain_timeout: Duration::from_secs(60),
            }),
        })
    }

    /// The most transfers served at once (default 64, at least 1); more callers wait.
    pub fn max_clients(mut self, n: usize) -> Self {
        self.state_mut().max_clients = n.max(1);
        self
    }

    /// How long a client may take to send its request (default 10 s; SRTO_RCVTIMEO on the
    /// accepted socket while the name is read).
    pub fn request_timeout(mut self, t: Duration) -> Self {
        self.state_mut().request_timeout = t.max(Duration::from_millis(1));
        self
    }

    /// How long, after the last `srt_send` of a file, the server waits for the client to
    /// acknowledge every byte (SRTO_SNDDATA reaching 0) before it closes (default 60 s).
    pub fn drain_timeout(mut self, t: Duration) -> Self {
        self.state_mut().drain_timeout = t;
        self
    }

    fn state_mut(&mut self) -> &mut State {
        Arc::get_mut(&mut self.state).expect("FileServer state is not shared before serving")
    }

    /// The address the server listens on (`srt_getsockname`), with the real port when bound
    /// to port 0.
    ///
    /// # Errors
    /// As [`SrtSocket::getsockname`].
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener.getsockname()
    }

    /// The canonical root directory files are served from.
    pub fn root(&self) -> &Path {
        &self.state.root
    }

    /// Serves on this thread until accepting fails (`srt_accept`), each client on its own
    /// thread.
    ///
    /// # Errors
    /// The error of `srt_accept` that ended the loop.
    pub fn serve(self) -> Result<()> {
        accept_loop(&self.listener, &self.state)
    }

    /// Serves on a background thread; the handle stops it.
    ///
    /// # Errors
    /// When the thread cannot be started.
    pub fn spawn(self) -> Result<ServerHandle> {
        let addr = self.local_addr()?;
        let listener = Arc::clone(&self.listener);
        let state = Arc::clone(&self.state);
        let thread = thread::Builder::new()
            .name("srtfu-fileserver".into())
            .spawn(move || accept_loop(&listener, &state))
            .map_err(|e| Error::io("start the file server thread", e))?;
        Ok(ServerHandle {
            addr,
            listener: self.listener,
            state: self.state,
            thread: Some(thread),
        })
    }

    /// Serves on a background thread for `duration`, then stops accepting (transfers in
    /// progress finish on their threads).
    ///
    /// # Errors
    /// As [`spawn`](Self::spawn), or the error that ended the accept loop.
    pub fn serve_for(self, duration: Duration) -> Result<()> {
        let handle = self.spawn()?;
        thread::sleep(duration);
        handle.stop()
    }
}

/// The canonical form of a file server's root, which must be an existing directory.
pub(crate) fn canonical_root(root: &Path) -> Result<PathBuf> {
    let canon = root
        .canonicalize()
        .map_err(|e| Error::io(format!("file server root {root:?}"), e))?;
    if !canon.is_dir() {
        return Err(Error::io(
            format!("file server root {root:?}"),
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a directory"),
        ));
    }
    Ok(canon)
}

/// A file server's listening socket: `url` as a listener in file mode, bound, listening.
pub(crate) fn listening_socket(url: &str) -> Result<SrtSocket> {
    let url = listener_url(url)?.with("transtype", "file")?;
    let sock = SrtSocket::from_url(&url)?;
    sock.bind(url.local_addr()?)?;
    sock.listen(64)?;
    Ok(sock)
}

/// Parses `url` as a listener: `mode=listener` is added unless the URL names a mode (a URL
/// with a host otherwise defaults to caller).
fn listener_url(url: &str) -> Result<SrtUrl> {
    let has_mode = url
        .split_once('?')
        .map(|(_, q)| {
            q.split('&')
                .any(|kv| kv.to_ascii_lowercase().starts_with("mode="))
        })
        .unwrap_or(false);
    let text = match (has_mode, url.contains('?')) {
        (true, _) => url.to_string(),
        (false, true) => format!("{url}&mode=listener"),
        (false, false) => format!("{url}?mode=listener"),
    };
    let parsed: SrtUrl = text.parse()?;
    if parsed.mode() != Mode::Listener {
        return Err(Error::InvalidUrl {
            url: url.to_string(),
            reason: format!(
                "a file server listens; mode={} is not possible",
                parsed.mode()
            ),
        });
    }
    Ok(parsed)
}

/// A [`FileServer`] running on a background thread. Dropping the handle stops accepting,
/// like [`stop`](Self::stop).
pub struct ServerHandle {
    addr: SocketAddr,
    listener: Arc<SrtSocket>,
    state: Arc<State>,
    thread: Option<JoinHandle<Result<()>>>,
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("addr", &self.addr)
            .field("root", &self.state.root)
            .field("active", &self.active_transfers())
            .finish()
    }
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Transfers in progress.
    pub fn active_transfers(&self) -> usize {
        self.state.clients.lock().map(|c| c.len()).unwrap_or(0)
    }

    /// Stops accepting (`srt_close` on the listener) and waits for the accept thread.
    /// Transfers in progress finish on their own threads.
    ///
    /// # Errors
    /// An error that had ended the accept loop before `stop`.
    pub fn stop(mut self) -> Result<()> {
        self.stop_accepting()
    }

    /// Stops at once, like a killed server: stops accepting and closes every connection in
    /// progress (`srt_close`; the server runs its sockets with `SRTO_LINGER` off), so clients
    /// get a broken transfer.
    ///
    /// # Errors
    /// As [`stop`](Self::stop).
    pub fn abort(mut self) -> Result<()> {
        let res = self.stop_accepting();
        let clients: Vec<_> = match self.state.clients.lock() {
            Ok(c) => c.iter().map(|(_, s)| Arc::clone(s)).collect(),
            Err(_) => Vec::new(),
        };
        for c in clients {
            let _ = c.close_ref();
        }
        res
    }

    fn stop_accepting(&mut self) -> Result<()> {
        self.state.stopping.store(true, Ordering::Release);
        let _ = self.listener.close_ref();
        self.state.freed.notify_all();
        match self.thread.take() {
            Some(t) => t.join().unwrap_or_else(|_| {
                Err(Error::io(
                    "file server",
                    std::io::Error::other("the accept thread panicked"),
                ))
            }),
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop_accepting();
    }
}

fn accept_loop(listener: &Arc<SrtSocket>, state: &Arc<State>) -> Result<()> {
    loop {
        // Wait for a free slot before taking the next caller.
        {
            let mut clients = state.clients.lock().unwrap_or_else(|e| e.into_inner());
            while clients.len() >= state.max_clients && !state.stopping.load(Ordering::Acquire) {
                clients = state.freed.wait(clients).unwrap_or_else(|e| e.into_inner());
            }
        }
        if state.stopping.load(Ordering::Acquire) {
            return Ok(());
        }
        let (sock, peer) = match listener.accept() {
            Ok(x) => x,
            Err(_) if state.stopping.load(Ordering::Acquire) => return Ok(()),
            Err(e) if listener.accept_lost_caller(&e) => {
                log::debug!("file server: a pending caller was closed by libsrt: {e}");
                continue;
            }
            Err(e) => {
                log::error!("file server: srt_accept failed: {e}");
                return Err(e);
            }
        };
        // The client thread waits for delivery itself (wait_delivered), bounded; libsrt's
        // lingering close (180 s by default in file mode) would make srt_close block, also
        // for abort().
        if let Err(e) = sock.set_linger(None) {
            log::warn!("file server: cannot turn SRTO_LINGER off for {peer}: {e}");
        }
        let id = state.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(sock);
        state
            .clients
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((id, Arc::clone(&conn)));
        let st = Arc::clone(state);
        let spawned = thread::Builder::new()
            .name(format!("srtfu-fileserver-{id}"))
            .spawn(move || {
                serve_client(&conn, peer, &st);
                let _ = conn.close_ref();
                let mut clients = st.clients.lock().unwrap_or_else(|e| e.into_inner());
                clients.retain(|(i, _)| *i != id);
                st.freed.notify_all();
            });
        if let Err(e) = spawned {
            log::error!("file server: cannot start a thread for {peer}: {e}");
            state
                .clients
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|(i, _)| *i != id);
        }
    }
}

/// Why a request is answered with -1.
#[derive(Debug)]
pub(crate) enum Refusal {
    NotFound(std::io::Error),
    Refused(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NotFound(e) => write!(f, "cannot open: {e}"),
            Refusal::Refused(why) => f.write_str(why),
        }
    }
}

/// Handles one client: request, answer, data, drain. Errors are logged, never returned.
fn serve_client(conn: &SrtSocket, peer: SocketAddr, state: &State) {
    let sock = conn;
    let name = match read_request(sock, state) {
        Ok(n) => n,
        Err(e) => {
            log::warn!("file server: bad request from {peer}: {e}");
            answer_not_found(sock, state);
            return;
        }
    };
    let shown = String::from_utf8_lossy(&name).into_owned();
    let (mut file, size) = match open_under_root(&state.root, &name) {
        Ok(x) => x,
        Err(why) => {
            log::warn!("file server: {peer} asked for {shown:?}: refused, {why}");
            answer_not_found(sock, state);
            return;
        }
    };
    log::info!("file server: sending {shown:?} ({size} bytes) to {peer}");
    let start = Instant::now();
    match send_file(sock, &mut file, size) {
        Ok(()) => {
            wait_delivered(sock, state.drain_timeout);
            log::info!(
                "file server: sent {shown:?} to {peer} in {:.3} s",
                start.elapsed().as_secs_f64()
            );
        }
        Err(e) => log::warn!("file server: sending {shown:?} to {peer} failed: {e}"),
    }
}

/// Answers -1 ("no such file") and waits until the client has it before the close.
fn answer_not_found(sock: &SrtSocket, state: &State) {
    if send_all(sock, &(-1i64).to_ne_bytes()).is_ok() {
        wait_delivered(sock, state.drain_timeout.min(Duration::from_secs(5)));
    }
}

/// Reads the file name: from the stream id when it is a file request, else the
/// length-prefixed name (native-order i32, then the bytes).
fn read_request(sock: &SrtSocket, state: &State) -> Result<Vec<u8>> {
    if let Ok(sid) = sock.streamid() {
        if let Some(name) = parse_file_request_streamid(&sid) {
            return Ok(name.as_bytes().to_vec());
        }
    }
    sock.set_read_timeout(Some(state.request_timeout))?;
    let mut len = [0u8; 4];
    recv_exact(sock, &mut len)?;
    let mut name = vec![0u8; name_len(len)?];
    recv_exact(sock, &mut name)?;
    sock.set_read_timeout(None)?;
    Ok(name)
}

/// The name length a request announces (native-order i32), checked.
pub(crate) fn name_len(announced: [u8; 4]) -> Result<usize> {
    let len = i32::from_ne_bytes(announced);
    if len <= 0 || len as usize > MAX_NAME_LEN {
        return Err(Error::invalid_argument(
            "file request",
            format!("name length {len} is not within 1..={MAX_NAME_LEN}"),
        ));
    }
    Ok(len as usize)
}

/// Checks a requested name and opens the file it names under `root` (canonical).
pub(crate) fn open_under_root(
    root: &Path,
    name: &[u8],
) -> std::result::Result<(File, u64), Refusal> {
    let refuse = |why: &str| Err(Refusal::Refused(why.to_string()));
    if name.is_empty() {
        return refuse("empty name");
    }
    if name.len() > MAX_NAME_LEN {
        return refuse("name longer than 1023 bytes");
    }
    if name.contains(&0) {
        return refuse("name contains a NUL byte");
    }
    let Ok(name) = std::str::from_utf8(name) else {
        return refuse("name is not UTF-8");
    };
    let rel = Path::new(name);
    for c in rel.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return refuse("name has a '..' component"),
            Component::RootDir | Component::Prefix(_) => return refuse("name is absolute"),
        }
    }
    let canon = root.join(rel).canonicalize().map_err(Refusal::NotFound)?;
    if !canon.starts_with(root) {
        return refuse("name leads outside the root (symlink)");
    }
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&canon)
        .map_err(Refusal::NotFound)?;
    let meta = file.metadata().map_err(Refusal::NotFound)?;
    if !meta.is_file() {
        return refuse("not a regular file");
    }
    Ok((file, meta.len()))
}

/// The protocol's answer for a file of `size` bytes: the size as a native-order i64.
pub(crate) fn size_answer(size: u64) -> Result<[u8; 8]> {
    let announced = i64::try_from(size).map_err(|_| {
        Error::invalid_argument("file server", format!("file of {size} bytes is too large"))
    })?;
    Ok(announced.to_ne_bytes())
}

/// The error of a served file that ended `left` bytes before its announced size.
pub(crate) fn file_shrank(left: u64) -> Error {
    Error::io(
        "read the file being served",
        std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("the file shrank while being sent ({left} bytes short)"),
        ),
    )
}

/// Sends the size, then exactly `size` bytes of `file` with `srt_send`.
fn send_file(sock: &SrtSocket, file: &mut File, size: u64) -> Result<()> {
    send_all(sock, &size_answer(size)?)?;
    let mut buf = vec![0u8; SEND_CHUNK_SIZE.min(size.max(1) as usize)];
    let mut left = size;
    while left > 0 {
        let want = buf.len().min(left as usize);
        let n = file
            .read(&mut buf[..want])
            .map_err(|e| Error::io("read the file being served", e))?;
        if n == 0 {
            return Err(file_shrank(left));
        }
        send_all(sock, &buf[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// Waits until the client has acknowledged everything sent (SRTO_SNDDATA, the packets left
/// in the send buffer, reaches 0), the connection ends, or `limit` passes.
fn wait_delivered(sock: &SrtSocket, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        match sock.getsockflag(SRTO_SNDDATA) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if sock.getsockstate() != SockStatus::Connected || Instant::now() >= deadline {
            return;
        }
        thread::sleep(Duration::from_millis(2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_leave_the_root_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("ok.txt"), b"hi").unwrap();
        for bad in [
            &b"../etc/passwd"[..],
            b"/etc/passwd",
            b"a/../../x",
            b"ok.txt\0",
            b"\xff\xfe",
            b"",
        ] {
            assert!(
                matches!(open_under_root(&root, bad), Err(Refusal::Refused(_))),
                "{bad:?}"
            );
        }
        assert!(open_under_root(&root, b"ok.txt").is_ok());
        assert!(open_under_root(&root, b"./ok.txt").is_ok());
    }
}
