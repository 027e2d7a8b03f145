//! Downloading a file with the protocol of libsrt's `examples/sendfile.cpp` and
//! `examples/recvfile.cpp`: [`fetch`], [`SrtSocket::fetch`] and the [`Fetch`] builder.
//!
//! # The wire protocol
//!
//! Both sides use file transtype (`SRTO_TRANSTYPE` = `SRTT_FILE`: a byte stream under file
//! congestion control).
//!
//! 1. The caller sends the length of the file name as a 4-byte signed integer in the machine's
//!    native byte order (libsrt's examples send a C `int` as it sits in memory). Every platform
//!    srtfu supports (x86-64, aarch64, riscv64, ...) is little-endian, so on the wire this is a
//!    little-endian `i32`. Then it sends the name's bytes, without a terminating NUL. libsrt's
//!    server reads the name into a 1024-byte buffer with a NUL after it, so names are at most
//!    [`MAX_NAME_LEN`] (1023) bytes.
//! 2. The server answers the file's size as a native-order (little-endian) `i64`, or -1 when it
//!    has no such file (or refuses the name), then sends exactly that many bytes and closes the
//!    connection.
//!
//! Instead of the length-prefixed name, a caller may name the file in its stream id, in
//! libsrt's access-control syntax: `#!::t=file,m=request,r=NAME` (see
//! [`Fetch::request_by_streamid`]). srtfu's [`FileServer`](crate::FileServer) understands both;
//! libsrt's C example server only understands the length prefix.
//!
//! # Speed
//!
//! File mode uses libsrt's file congestion control (FileCC). A transfer that loses a packet
//! in its first milliseconds, before any ACK has told the sender the delivery rate, falls to
//! a few dozen packets per second and takes many minutes to recover, even on loopback;
//! transfers without that early loss run at 150-270 MB/s (2-core machine, libsrt 1.5.1 and
//! 1.5.5). A blocking `srt_connect` caused such a loss in a fifth to a half of all transfers
//! (the server's first packet, ignored by libsrt's receive thread while it registers the new
//! connection), so fetch connects non-blocking and waits for the connection, as
//! srt-file-transmit does; see BENCHMARKS.md, "File-mode stalls: cause". srtfu does not
//! change FileCC's behaviour otherwise; `maxbw` and the other URL options reach libsrt
//! unchanged.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::options::{SockStatus, SRTO_STREAMID};
use crate::socket::SrtSocket;
use crate::stats::Stats;
use crate::url::{Mode, SrtUrl};

/// The longest file name the protocol carries, in bytes (libsrt's example server reads names
/// into a 1024-byte buffer that also holds a terminating NUL).
pub const MAX_NAME_LEN: usize = 1023;

/// Bytes asked of each `srt_recv` call while receiving a file (1 MiB). Large calls keep the
/// per-call overhead low; the buffer is the only memory a fetch needs, whatever the file size.
pub const FETCH_BUFFER_SIZE: usize = 1 << 20;

/// The stream id that requests `name` in libsrt's access-control syntax:
/// `#!::t=file,m=request,r=NAME`.
///
/// # Errors
/// A name that cannot be carried: empty, containing `,` (the syntax's separator) or a NUL
/// byte, or making the stream id longer than libsrt's 512 bytes.
pub fn file_request_streamid(name: &str) -> Result<String> {
    let bad = |reason: &str| Error::invalid_argument("file_request_streamid", reason.to_string());
    if name.is_empty() {
        return Err(bad("the file name is empty"));
    }
    if name.contains(',') || name.contains('\0') {
        return Err(bad(
            "a file name in a stream id cannot contain ',' or a NUL byte",
        ));
    }
    let sid = format!("#!::t=file,m=request,r={name}");
    if sid.len() > 512 {
        return Err(bad(&format!(
            "stream id {} bytes long; libsrt allows 512",
            sid.len()
        )));
    }
    Ok(sid)
}

/// Reads a file request from a stream id in libsrt's access-control syntax
/// (`#!::t=file,m=request,r=NAME`, keys in any order): the requested name, or `None` when the
/// stream id is not a file request (no `#!::` prefix, `t` not `file`, `m` other than
/// `request`, or no `r`).
pub fn parse_file_request_streamid(streamid: &str) -> Option<&str> {
    let body = streamid.strip_prefix("#!::")?;
    let (mut t, mut m, mut r) = (None, None, None);
    for item in body.split(',') {
        let (k, v) = item.split_once('=')?;
        match k {
            "t" => t = Some(v),
            "m" => m = Some(v),
            "r" => r = Some(v),
            _ => {}
        }
    }
    if t != Some("file") || !matches!(m, None | Some("request")) {
        return None;
    }
    r
}

/// What a finished [`fetch`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FetchSummary {
    /// The remote path that was requested.
    pub remote: String,
    /// Where the file was written.
    pub local: PathBuf,
    /// Bytes received (the file's size).
    pub bytes: u64,
    /// From sending the request to the file being renamed into place.
    pub duration: Duration,
    /// The connection's statistics (`srt_bstats`) as last read while connected: after the
    /// last chunk arrived, unless the server's close came first.
    pub stats: Stats,
}

impl FetchSummary {
    /// Average throughput in megabytes (10^6 bytes) per second; 0 for an instant transfer.
    pub fn megabytes_per_second(&self) -> f64 {
        let s = self.duration.as_secs_f64();
        if s > 0.0 {
            self.bytes as f64 / s / 1e6
        } else {
            0.0
        }
    }
}

/// A configurable download: progress hook, how the name is sent, receive buffer size.
///
/// ```no_run
/// use srtfu::Fetch;
/// let summary = Fetch::new()
///     .progress(|done, total| eprint!("\r{done}/{total}"))
///     .url("srt://127.0.0.1:9000", "video/big.ts", "big.ts")?;
/// println!("{} bytes in {:?}", summary.bytes, summary.duration);
/// # Ok::<(), srtfu::Error>(())
/// ```
pub struct Fetch<'a> {
    progress: Option<Box<dyn FnMut(u64, u64) + 'a>>,
    by_streamid: bool,
    buffer_size: usize,
}

impl std::fmt::Debug for Fetch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetch")
            .field("progress", &self.progress.is_some())
            .field("by_streamid", &self.by_streamid)
            .field("buffer_size", &self.buffer_size)
            .finish()
    }
}

impl Default for Fetch<'_> {
    fn default() -> Self {
        Fetch::new()
    }
}

impl<'a> Fetch<'a> {
    /// A fetch with no progress hook, the length-prefixed request and a 1 MiB buffer.
    pub fn new() -> Self {
        Fetch {
            progress: None,
            by_streamid: false,
            buffer_size: FETCH_BUFFER_SIZE,
        }
    }

    /// Calls `hook(bytes_done, bytes_total)` once the size is known (with 0 done) and after
    /// every chunk received.
    pub fn progress(mut self, hook: impl FnMut(u64, u64) + 'a) -> Self {
        self.progress = Some(Box::new(hook));
        self
    }

    /// Requests the file through the stream id (`#!::t=file,m=request,r=NAME`, set as
    /// `SRTO_STREAMID` before connecting) instead of the length-prefixed name. Only servers
    /// that read stream ids understand it (srtfu's [`FileServer`](crate::FileServer) does;
    /// libsrt's example does not), and the socket must not be connected yet.
    pub fn request_by_streamid(mut self, yes: bool) -> Self {
        self.by_streamid = yes;
        self
    }

    /// Bytes asked of each `srt_recv` (default [`FETCH_BUFFER_SIZE`]; at least 1).
    pub fn buffer_size(mut self, bytes: usize) -> Self {
        self.buffer_size = bytes.max(1);
        self
    }

    /// Connects as `url` says (file transtype is forced; `mode=caller` by default) and
    /// downloads `remote` into `local`.
    ///
    /// # Errors
    /// As [`fetch`].
    pub fn url(self, url: &str, remote: &str, local: impl AsRef<Path>) -> Result<FetchSummary> {
        let url: SrtUrl = url.parse()?;
        let mut url = url.with("transtype", "file")?;
        if self.by_streamid {
            url = url.with("streamid", file_request_streamid(remote)?)?;
        }
        let sock = crate::url::open_with(&url, true)?;
        let send_prefix = !self.by_streamid;
        self.run(&sock, remote, local.as_ref(), send_prefix)
    }

    /// Downloads `remote` into `local` over `sock`, connecting it first if it is not
    /// connected (see [`SrtSocket::fetch`]).
    ///
    /// # Errors
    /// As [`fetch`].
    pub fn socket(
        self,
        sock: &SrtSocket,
        remote: &str,
        local: impl AsRef<Path>,
    ) -> Result<FetchSummary> {
        let connected = match sock.getsockstate() {
            SockStatus::Connected => false,
            SockStatus::Init | SockStatus::Opened => {
                connect_for_fetch(sock, remote, self.by_streamid)?;
                true
            }
            other => {
                return Err(Error::invalid_argument(
                    "fetch",
                    format!("the socket is {} (neither connected nor new)", other.name()),
                ))
            }
        };
        if self.by_streamid && !connected {
            return Err(Error::invalid_argument(
                "fetch",
                "a stream id request needs a socket that is not connected yet",
            ));
        }
        let send_prefix = !self.by_streamid;
        self.run(sock, remote, local.as_ref(), send_prefix)
    }

    fn run(
        mut self,
        sock: &SrtSocket,
        remote: &str,
        local: &Path,
        send_prefix: bool,
    ) -> Result<FetchSummary> {
        let start = Instant::now();
        if send_prefix {
            send_request(sock, remote)?;
        }
        let mut size = [0u8; 8];
        recv_exact(sock, &mut size)?;
        // The server closes right after the last byte, after which srt_bstats fails: keep
        // the latest snapshot taken while connected.
        let mut stats = sock.bstats(false).unwrap_or_default();
        let total = announced_size(remote, size)?;

        let mut part = PartFile::create(local)?;
        if let Some(p) = self.progress.as_mut() {
            p(0, total);
        }
        let mut buf = vec![0u8; self.buffer_size.min(total.max(1) as usize)];
        let mut done = 0u64;
        while done < total {
            let want = buf.len().min((total - done) as usize);
            let n = match sock.recv(&mut buf[..want]) {
                Ok(0) => Err(stream_ended()),
                Ok(n) => Ok(n),
                Err(e) => Err(e),
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
            if let Ok(s) = sock.bstats(false) {
                stats = s;
            }
            if let Some(p) = self.progress.as_mut() {
                p(done, total);
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
}

/// Connects a fresh socket for a fetch: file transtype (re-applying the URL's other options
/// after it, since SRTO_TRANSTYPE resets them), the stream id request if asked, then connect
/// or rendezvous as the URL's mode says.
fn connect_for_fetch(sock: &SrtSocket, remote: &str, by_streamid: bool) -> Result<()> {
    let url = sock.url().cloned().ok_or_else(|| {
        Error::invalid_argument(
            "fetch",
            "the socket is not connected and was not made from a URL (use SrtSocket::new(url))",
        )
    })?;
    if !url.is_file_mode() {
        url.clone().with("transtype", "file")?.apply_options(sock)?;
    }
    if by_streamid {
        sock.setsockflag(SRTO_STREAMID, file_request_streamid(remote)?)?;
    }
    // The handshake runs in libsrt's receive thread, so the server's first packet is not
    // lost (see SrtSocket::connect_in_receive_thread).
    match url.mode() {
        Mode::Caller => sock.connect_in_receive_thread("srt_connect", false, || sock.connect_url()),
        Mode::Rendezvous => sock.connect_in_receive_thread("srt_rendezvous", true, || {
            sock.rendezvous(url.local_addr()?, url.remote_addr()?)
        }),
        Mode::Listener => Err(Error::invalid_argument(
            "fetch",
            "a listener URL cannot fetch on an unconnected socket; use srtfu::fetch(url, ..) \
             or accept a connection first",
        )),
    }
}

/// Sends the length-prefixed name.
fn send_request(sock: &SrtSocket, remote: &str) -> Result<()> {
    send_all(sock, &request_bytes(remote)?)
}

/// The request the caller sends: the name's length as a native-order `i32`, then the name.
///
/// # Errors
/// A name that is empty, longer than [`MAX_NAME_LEN`] or holds a NUL byte.
pub(crate) fn request_bytes(remote: &str) -> Result<Vec<u8>> {
    let name = remote.as_bytes();
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.contains(&0) {
        return Err(Error::invalid_argument(
            "fetch",
            format!(
                "remote name {remote:?} must be 1 to {MAX_NAME_LEN} bytes without NUL (it is {})",
                name.len()
            ),
        ));
    }
    let mut req = (name.len() as i32).to_ne_bytes().to_vec();
    req.extend_from_slice(name);
    Ok(req)
}

/// The error of a stream that ended before what was expected arrived.
pub(crate) fn stream_ended() -> Error {
    Error::io(
        "srt_recv",
        std::io::Error::from(std::io::ErrorKind::UnexpectedEof),
    )
}

/// The error of a send that libsrt took nothing of.
pub(crate) fn short_send() -> Error {
    Error::io(
        "srt_send",
        std::io::Error::from(std::io::ErrorKind::WriteZero),
    )
}

/// `srt_send` until all of `buf` is sent (file mode may take part of a large buffer).
pub(crate) fn send_all(sock: &SrtSocket, mut buf: &[u8]) -> Result<()> {
    while !buf.is_empty() {
        let n = sock.send(buf)?;
        if n == 0 {
            return Err(short_send());
        }
        buf = &buf[n..];
    }
    Ok(())
}

/// `srt_recv` until `buf` is full; the stream may deliver a small header in pieces.
pub(crate) fn recv_exact(sock: &SrtSocket, buf: &mut [u8]) -> Result<()> {
    let mut got = 0;
    while got < buf.len() {
        let n = sock.recv(&mut buf[got..])?;
        if n == 0 {
            return Err(stream_ended());
        }
        got += n;
    }
    Ok(())
}

/// The temporary file a fetch writes; removed unless committed (also on panic).
pub(crate) struct PartFile {
    pub(crate) path: PathBuf,
    pub(crate) file: File,
    committed: bool,
}

impl PartFile {
    pub(crate) fn create(local: &Path) -> Result<PartFile> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let name = local.file_name().ok_or_else(|| {
            Error::invalid_argument("fetch", format!("local path {local:?} names no file"))
        })?;
        let mut part_name = std::ffi::OsString::from(".");
        part_name.push(name);
        part_name.push(format!(
            ".srtfu-part-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let path = local.with_file_name(part_name);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(format!("create {path:?}"), e))?;
        Ok(PartFile {
            path,
            file,
            committed: false,
        })
    }

    /// fsync, rename over `local`, then fsync the directory so the rename is durable.
    pub(crate) fn commit(&mut self, local: &Path) -> Result<()> {
        self.file
            .sync_all()
            .map_err(|e| Error::io(format!("fsync {:?}", self.path), e))?;
        fs::rename(&self.path, local)
            .map_err(|e| Error::io(format!("rename {:?} to {local:?}", self.path), e))?;
        self.committed = true;
        let dir = match local.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        // Best effort: some file systems refuse fsync on directories; the data is in place.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Downloads `remote` from the file server at `url` into `local` (libsrt's
/// `examples/recvfile.cpp` protocol; see the [module docs](mod@self)).
///
/// Opens the connection as the URL says (caller by default), with file transtype forced.
/// The file is written to a hidden temporary file beside `local` (`.NAME.srtfu-part-…`),
/// fsynced and renamed to `local` only when every byte has arrived, so `local` never holds a
/// partial file. Memory use is one receive buffer ([`FETCH_BUFFER_SIZE`]) whatever the size.
///
/// There is no overall time limit: a server that stalls while keeping the connection alive
/// stalls the fetch; add `timeout=MS` to the URL (SRTO_RCVTIMEO) to bound each receive.
/// For a progress hook or stream id requests, use [`Fetch`].
///
/// ```no_run
/// let summary = srtfu::fetch("srt://127.0.0.1:9000", "movie.ts", "/tmp/movie.ts")?;
/// println!("{} bytes, {:.1} MB/s", summary.bytes, summary.megabytes_per_second());
/// # Ok::<(), srtfu::Error>(())
/// ```
///
/// # Errors
/// - [`Error::RemoteNotFound`] when the server answers -1 (no such file, or a name it
///   refuses); nothing is written locally.
/// - [`Error::Incomplete`] when the connection ends early, with the bytes received and
///   expected; the temporary file is removed and `local` is untouched.
/// - [`Error::InvalidUrl`] / [`Error::InvalidOption`] for a bad URL; [`Error::Srt`] when the
///   connection cannot be made; [`Error::InvalidArgument`] for an empty name, one over
///   [`MAX_NAME_LEN`] bytes or with a NUL; [`Error::Io`] when the local file cannot be
///   written.
pub fn fetch(url: &str, remote: &str, local: impl AsRef<Path>) -> Result<FetchSummary> {
    Fetch::new().url(url, remote, local)
}

/// [`fetch`] with a progress hook called as `hook(bytes_done, bytes_total)`.
///
/// # Errors
/// As [`fetch`].
pub fn fetch_with_progress(
    url: &str,
    remote: &str,
    local: impl AsRef<Path>,
    hook: impl FnMut(u64, u64),
) -> Result<FetchSummary> {
    Fetch::new().progress(hook).url(url, remote, local)
}

impl SrtSocket {
    /// Downloads `remote` into `local` with the protocol of libsrt's `examples/recvfile.cpp`
    /// (see [`fetch`]). Not one libsrt call: `srt_send` for the request, `srt_recv` for the
    /// answer and the data, `srt_bstats` for the summary.
    ///
    /// A socket made with [`SrtSocket::new`] and not yet connected is connected first, as
    /// its URL says, with file transtype (`SRTO_TRANSTYPE` = `SRTT_FILE`) forced. An already
    /// connected socket is used as it is and must be in file mode. The server closes the
    /// connection after one file, so a socket serves one fetch.
    ///
    /// ```no_run
    /// use srtfu::SrtSocket;
    /// SrtSocket::new("srt://127.0.0.1:9000")?.fetch("movie.ts", "movie.ts")?;
    /// # Ok::<(), srtfu::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`fetch`]; also [`Error::InvalidArgument`] when the socket is neither connected nor
    /// new, or new without a URL.
    pub fn fetch(&self, remote: &str, local: impl AsRef<Path>) -> Result<FetchSummary> {
        Fetch::new().socket(self, remote, local)
    }
}

/// The server's answer to a request (int64, native byte order) as a file size: -1 is
/// [`Error::RemoteNotFound`], any other negative number a protocol error. Shared by the
/// sync and async fetch.
pub(crate) fn announced_size(remote: &str, answer: [u8; 8]) -> Result<u64> {
    let size = i64::from_ne_bytes(answer);
    if size == -1 {
        return Err(Error::RemoteNotFound {
            path: remote.to_string(),
        });
    }
    u64::try_from(size).map_err(|_| {
        Error::io(
            format!("fetch {remote:?}"),
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("the server announced a negative size {size}"),
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamid_request_round_trips() {
        let sid = file_request_streamid("dir/a.bin").unwrap();
        assert_eq!(sid, "#!::t=file,m=request,r=dir/a.bin");
        assert_eq!(parse_file_request_streamid(&sid), Some("dir/a.bin"));
        assert_eq!(
            parse_file_request_streamid("#!::r=x,t=file"),
            Some("x"),
            "keys in any order, m defaults to request"
        );
    }

    #[test]
    fn streamids_that_are_not_file_requests() {
        for sid in [
            "",
            "feed1",
            "#!::r=live/feed1",
            "#!::t=stream,m=request,r=x",
            "#!::t=file,m=publish,r=x",
            "#!::t=file,m=request",
            "#!::t=file,junk,r=x",
        ] {
            assert_eq!(parse_file_request_streamid(sid), None, "{sid:?}");
        }
    }

    #[test]
    fn streamid_refuses_names_it_cannot_carry() {
        assert!(file_request_streamid("").is_err());
        assert!(file_request_streamid("a,b").is_err());
        assert!(file_request_streamid(&"x".repeat(600)).is_err());
    }
}
