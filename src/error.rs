//! The one error type of srtfu, and libsrt's error codes.

use std::borrow::Cow;
use std::ffi::CStr;
use std::fmt;
use std::io;

use crate::reject::RejectReason;
use crate::sys;

/// The result type of every fallible srtfu call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $c:ident, )*) => {
        /// libsrt's error codes (`SRT_ERRNO` in srt.h).
        ///
        /// Codes this version of srtfu does not know are kept as [`ErrorCode::Other`];
        /// [`SrtError::raw_code`] always has the number libsrt gave.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
            /// A code not listed here (a newer libsrt); the number is kept.
            Other(i32),
        }

        impl ErrorCode {
            /// The enum for libsrt's numeric code.
            pub fn from_raw(code: i32) -> ErrorCode {
                match code {
                    $( c if c == sys::$c as i32 => ErrorCode::$variant, )*
                    other => ErrorCode::Other(other),
                }
            }

            /// libsrt's number for this code.
            pub fn raw(self) -> i32 {
                match self {
                    $( ErrorCode::$variant => sys::$c as i32, )*
                    ErrorCode::Other(n) => n,
                }
            }

            /// The C name of the code (`"SRT_ECONNREJ"`), or `"SRT_E?"` for unknown codes.
            pub fn name(self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => stringify!($c), )*
                    ErrorCode::Other(_) => "SRT_E?",
                }
            }
        }
    };
}

error_codes! {
    /// `SRT_EUNKNOWN`: internal error.
    Unknown = SRT_EUNKNOWN,
    /// `SRT_SUCCESS`.
    Success = SRT_SUCCESS,
    /// `SRT_ECONNSETUP`: connection setup failure.
    ConnSetup = SRT_ECONNSETUP,
    /// `SRT_ENOSERVER`: connection timed out (no answer from the peer).
    NoServer = SRT_ENOSERVER,
    /// `SRT_ECONNREJ`: connection rejected by the peer; see the reject reason.
    ConnRejected = SRT_ECONNREJ,
    /// `SRT_ESOCKFAIL`: a system socket call failed.
    SockFail = SRT_ESOCKFAIL,
    /// `SRT_ESECFAIL`: security (encryption) setup failed.
    SecFail = SRT_ESECFAIL,
    /// `SRT_ESCLOSED`: the socket was closed during the call.
    SocketClosed = SRT_ESCLOSED,
    /// `SRT_ECONNFAIL`: connection failure.
    ConnFail = SRT_ECONNFAIL,
    /// `SRT_ECONNLOST`: the connection was broken.
    ConnLost = SRT_ECONNLOST,
    /// `SRT_ENOCONN`: the socket is not connected.
    NoConn = SRT_ENOCONN,
    /// `SRT_ERESOURCE`: resource allocation failed.
    Resource = SRT_ERESOURCE,
    /// `SRT_ETHREAD`: a thread could not be started.
    Thread = SRT_ETHREAD,
    /// `SRT_ENOBUF`: no buffer space.
    NoBuf = SRT_ENOBUF,
    /// `SRT_ESYSOBJ`: a system object could not be created.
    SysObj = SRT_ESYSOBJ,
    /// `SRT_EFILE`: file access error.
    File = SRT_EFILE,
    /// `SRT_EINVRDOFF`: invalid read offset.
    InvalidReadOffset = SRT_EINVRDOFF,
    /// `SRT_ERDPERM`: no read permission.
    ReadPermission = SRT_ERDPERM,
    /// `SRT_EINVWROFF`: invalid write offset.
    InvalidWriteOffset = SRT_EINVWROFF,
    /// `SRT_EWRPERM`: no write permission.
    WritePermission = SRT_EWRPERM,
    /// `SRT_EINVOP`: operation not supported.
    InvalidOperation = SRT_EINVOP,
    /// `SRT_EBOUNDSOCK`: the socket is already bound.
    BoundSocket = SRT_EBOUNDSOCK,
    /// `SRT_ECONNSOCK`: the socket is already connected.
    ConnectedSocket = SRT_ECONNSOCK,
    /// `SRT_EINVPARAM`: invalid parameter.
    InvalidParam = SRT_EINVPARAM,
    /// `SRT_EINVSOCK`: invalid socket id (closed or never created).
    InvalidSocket = SRT_EINVSOCK,
    /// `SRT_EUNBOUNDSOCK`: the socket is not bound.
    UnboundSocket = SRT_EUNBOUNDSOCK,
    /// `SRT_ENOLISTEN`: the socket is not listening.
    NoListen = SRT_ENOLISTEN,
    /// `SRT_ERDVNOSERV`: rendezvous socket cannot listen.
    RendezvousNoServer = SRT_ERDVNOSERV,
    /// `SRT_ERDVUNBOUND`: rendezvous connect on an unbound socket.
    RendezvousUnbound = SRT_ERDVUNBOUND,
    /// `SRT_EINVALMSGAPI`: the call is not valid in message mode.
    InvalidMessageApi = SRT_EINVALMSGAPI,
    /// `SRT_EINVALBUFFERAPI`: the call is not valid in buffer (stream) mode.
    InvalidBufferApi = SRT_EINVALBUFFERAPI,
    /// `SRT_EDUPLISTEN`: another socket already listens on this port.
    DuplicateListen = SRT_EDUPLISTEN,
    /// `SRT_ELARGEMSG`: message larger than the send buffer or payload size.
    LargeMessage = SRT_ELARGEMSG,
    /// `SRT_EINVPOLLID`: invalid epoll id.
    InvalidPollId = SRT_EINVPOLLID,
    /// `SRT_EPOLLEMPTY`: waiting on an epoll with no sockets.
    PollEmpty = SRT_EPOLLEMPTY,
    /// `SRT_EBINDCONFLICT`: the bind address conflicts with an existing binding.
    BindConflict = SRT_EBINDCONFLICT,
    /// `SRT_EASYNCFAIL`: non-blocking operation failed.
    AsyncFail = SRT_EASYNCFAIL,
    /// `SRT_EASYNCSND`: non-blocking send would block.
    AsyncSend = SRT_EASYNCSND,
    /// `SRT_EASYNCRCV`: non-blocking receive would block (also: accept/connect in progress).
    AsyncRecv = SRT_EASYNCRCV,
    /// `SRT_ETIMEOUT`: the operation timed out (SRTO_RCVTIMEO / SRTO_SNDTIMEO, epoll wait).
    Timeout = SRT_ETIMEOUT,
    /// `SRT_ECONGEST`: congestion control refused.
    Congestion = SRT_ECONGEST,
    /// `SRT_EPEERERR`: error reported by the peer.
    PeerError = SRT_EPEERERR,
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorCode::Other(n) => write!(f, "SRT error {n}"),
            c => f.write_str(c.name()),
        }
    }
}

/// An error reported by libsrt: its code, the system errno, its message, the reject reason for
/// rejected connections, and which srt_* call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SrtError {
    pub(crate) call: &'static str,
    pub(crate) code: i32,
    pub(crate) errno: i32,
    /// srtfu's wording when it adds context; `None`: libsrt's text for code and errno,
    /// made when asked for (so a would-block error costs no string copy).
    pub(crate) message: Option<String>,
    pub(crate) reject: Option<RejectReason>,
}

impl SrtError {
    /// The error code as an enum.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::from_raw(self.code)
    }
    /// The error code exactly as libsrt returned it.
    pub fn raw_code(&self) -> i32 {
        self.code
    }
    /// The system errno libsrt saw with the error (0 when none).
    pub fn errno(&self) -> i32 {
        self.errno
    }
    /// libsrt's message for the error (`srt_strerror` of the code and errno), with what
    /// srtfu added where it knows more (the option name, the payload size).
    pub fn message(&self) -> Cow<'_, str> {
        match &self.message {
            Some(m) => Cow::Borrowed(m),
            None => Cow::Owned(strerror(self.code, self.errno)),
        }
    }

    /// Replaces the message with `f(current message)`.
    pub(crate) fn reword(&mut self, f: impl FnOnce(&str) -> String) {
        let new = f(&self.message());
        self.message = Some(new);
    }
    /// Why the connection was rejected, when the error is a rejected or failed connection.
    pub fn reject_reason(&self) -> Option<RejectReason> {
        self.reject
    }
    /// The libsrt function that failed (`"srt_connect"`).
    pub fn call(&self) -> &'static str {
        self.call
    }
}

impl fmt::Display for SrtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.call, self.message(), self.code())?;
        if self.errno != 0 {
            write!(f, ", errno {}", io::Error::from_raw_os_error(self.errno))?;
        }
        if let Some(r) = self.reject {
            write!(f, ", reject reason: {r}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SrtError {}

/// Every error srtfu returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// libsrt reported an error.
    #[error(transparent)]
    Srt(#[from] SrtError),
    /// A URL could not be parsed or has a bad value.
    #[error("invalid SRT URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong, naming the part or key.
        reason: String,
    },
    /// An option value is not acceptable (named as in srt.h or as a URL key).
    #[error("invalid value {value:?} for option {option}: {reason}")]
    InvalidOption {
        /// The option (`"SRTO_PASSPHRASE"` or the URL key `"passphrase"`).
        option: String,
        /// The value given.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// An argument given to a method is not acceptable.
    #[error("invalid argument to {call}: {reason}")]
    InvalidArgument {
        /// The method that refused the argument.
        call: &'static str,
        /// Why.
        reason: String,
    },
    /// The file server has no such file (it answered size -1).
    #[error("remote file not found: {path:?}")]
    RemoteNotFound {
        /// The path that was requested.
        path: String,
    },
    /// A transfer ended before all the data arrived.
    #[error("transfer of {path:?} incomplete: {received} of {expected} bytes arrived")]
    Incomplete {
        /// The path being transferred.
        path: String,
        /// Bytes that arrived.
        received: u64,
        /// Bytes announced.
        expected: u64,
        /// What ended the transfer.
        #[source]
        source: Box<Error>,
    },
    /// A Rust callback called by libsrt panicked; the panic was caught at the FFI boundary.
    #[error("callback {callback} panicked: {message}")]
    CallbackPanicked {
        /// Which callback.
        callback: &'static str,
        /// The panic message.
        message: String,
    },
    /// The libsrt the program runs with is not the one srtfu's bindings were generated from.
    /// Struct layouts (statistics, message control, socket options) differ between libsrt
    /// releases, so srtfu refuses to make any socket rather than read memory wrongly.
    #[error(
        "libsrt mismatch: srtfu was built against the libsrt {built} headers but runs with \
         libsrt {running}; their struct layouts may differ, so srtfu refuses to use it. Run \
         with the library that was built against (LD_LIBRARY_PATH=<its lib directory>), link a \
         source-built libsrt statically (SRT_STATIC=1), or rebuild against the running one \
         (cargo clean -p srtfu-sys, then build with PKG_CONFIG_PATH or SRT_LIB_DIR + \
         SRT_INCLUDE_DIR pointing at it)"
    )]
    LibsrtMismatch {
        /// The version of the headers the bindings were generated from.
        built: String,
        /// The version `srt_getversion` reports at run time.
        running: String,
    },
    /// A socket-group (connection bonding) call on a libsrt built without bonding.
    #[error(
        "{call}: this libsrt ({version}) was built without connection bonding \
         (ENABLE_BONDING), so socket groups are not available; no distribution package \
         enables it. Build libsrt from source with bonding (./install-libsrt.sh --source \
         srt-1.5.5.tar.gz --prefix /opt/srt), then build with \
         PKG_CONFIG_PATH=/opt/srt/lib/pkgconfig (README, \"libsrt versions\")"
    )]
    NoBonding {
        /// The group call or option that was refused.
        call: &'static str,
        /// The libsrt version running.
        version: String,
    },
    /// A call that needs libsrt idle was refused because srtfu objects still use it.
    #[error("{call}: refused while {live} srtfu socket(s) or epoll(s) still use libsrt")]
    InUse {
        /// The refused call.
        call: &'static str,
        /// How many srtfu sockets and epolls were alive.
        live: usize,
    },
    /// An I/O error outside libsrt (files, name resolution).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl Error {
    /// Reads libsrt's thread-local error state for the failed `call`, then clears it.
    ///
    /// `sock` (when given) is asked for its reject reason if the error is a connection
    /// failure.
    pub(crate) fn last(call: &'static str, sock: Option<sys::SRTSOCKET>) -> Error {
        Error::Srt(SrtError::last(call, sock))
    }

    /// The libsrt error inside, if this is one.
    pub fn srt(&self) -> Option<&SrtError> {
        match self {
            Error::Srt(e) => Some(e),
            Error::Incomplete { source, .. } => source.srt(),
            _ => None,
        }
    }

    /// libsrt's error code, if this error came from libsrt.
    pub fn code(&self) -> Option<ErrorCode> {
        self.srt().map(SrtError::code)
    }

    /// The reject reason, if this error is a rejected connection.
    pub fn reject_reason(&self) -> Option<RejectReason> {
        self.srt().and_then(SrtError::reject_reason)
    }

    /// True for a non-blocking call that would block (`SRT_EASYNCRCV`, `SRT_EASYNCSND`,
    /// `SRT_EASYNCFAIL`).
    pub fn is_would_block(&self) -> bool {
        matches!(
            self.code(),
            Some(ErrorCode::AsyncRecv | ErrorCode::AsyncSend | ErrorCode::AsyncFail)
        )
    }

    /// True for a timeout (`SRT_ETIMEOUT`, or `SRT_ENOSERVER` for a connect that got no answer).
    pub fn is_timeout(&self) -> bool {
        matches!(self.code(), Some(ErrorCode::Timeout | ErrorCode::NoServer))
            || self.reject_reason() == Some(RejectReason::Timeout)
    }

    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn invalid_option(
        option: impl Into<String>,
        value: impl fmt::Display,
        reason: impl Into<String>,
    ) -> Error {
        Error::InvalidOption {
            option: option.into(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid_argument(call: &'static str, reason: impl Into<String>) -> Error {
        Error::InvalidArgument {
            call,
            reason: reason.into(),
        }
    }
}

impl SrtError {
    /// An error with a libsrt code that srtfu detected itself (no libsrt call failed), with
    /// srtfu's wording.
    pub(crate) fn new(call: &'static str, code: ErrorCode, message: String) -> SrtError {
        SrtError {
            call,
            code: code.raw(),
            errno: 0,
            message: Some(message),
            reject: None,
        }
    }

    pub(crate) fn last(call: &'static str, sock: Option<sys::SRTSOCKET>) -> SrtError {
        let mut errno: libc::c_int = 0;
        // SAFETY: srt_getlasterror reads libsrt's thread-local state and writes the errno
        // through a valid pointer to a local.
        let code = unsafe { sys::srt_getlasterror(&mut errno) };
        // SAFETY: clears this thread's error state; no preconditions.
        unsafe { sys::srt_clearlasterror() };
        let reject = match (ErrorCode::from_raw(code), sock) {
            (ErrorCode::ConnRejected | ErrorCode::NoServer | ErrorCode::ConnSetup, Some(s)) => {
                // SAFETY: srt_getrejectreason accepts any socket id; invalid ids give
                // SRT_REJ_UNKNOWN.
                let r = unsafe { sys::srt_getrejectreason(s) };
                Some(RejectReason::from_raw(r))
            }
            _ => None,
        };
        SrtError {
            call,
            code,
            errno,
            message: None,
            reject,
        }
    }
}

/// libsrt's text for an error code and errno (`srt_strerror`).
fn strerror(code: i32, errno: i32) -> String {
    // SAFETY: srt_strerror returns a pointer to a NUL-terminated string in thread-local
    // storage, valid until the next srt_strerror call on this thread; it is copied at once.
    unsafe {
        let p = sys::srt_strerror(code, errno);
        if p.is_null() {
            format!("SRT error {code}")
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        use io::ErrorKind as K;
        let kind = match &e {
            Error::Io { source, .. } => source.kind(),
            Error::InvalidUrl { .. }
            | Error::InvalidOption { .. }
            | Error::InvalidArgument { .. } => K::InvalidInput,
            Error::RemoteNotFound { .. } => K::NotFound,
            Error::Incomplete { .. } => K::UnexpectedEof,
            Error::CallbackPanicked { .. } | Error::LibsrtMismatch { .. } => K::Other,
            Error::InUse { .. } => K::Other,
            Error::NoBonding { .. } => K::Unsupported,
            Error::Srt(s) => match s.code() {
                ErrorCode::AsyncRecv | ErrorCode::AsyncSend | ErrorCode::AsyncFail => K::WouldBlock,
                ErrorCode::Timeout => K::TimedOut,
                ErrorCode::NoServer => K::TimedOut,
                ErrorCode::ConnRejected => K::ConnectionRefused,
                ErrorCode::ConnLost | ErrorCode::ConnFail => K::ConnectionReset,
                ErrorCode::NoConn => K::NotConnected,
                ErrorCode::SocketClosed | ErrorCode::InvalidSocket => K::BrokenPipe,
                ErrorCode::InvalidParam
                | ErrorCode::LargeMessage
                | ErrorCode::InvalidMessageApi
                | ErrorCode::InvalidBufferApi => K::InvalidInput,
                ErrorCode::BindConflict | ErrorCode::DuplicateListen => K::AddrInUse,
                ErrorCode::InvalidOperation => K::Unsupported,
                _ => K::Other,
            },
        };
        io::Error::new(kind, e)
    }
}
