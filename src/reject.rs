//! Why a connection was rejected: libsrt's `SRT_REJ_*` reasons, the predefined `SRT_REJX_*`
//! codes of access_control.h, and an application's own codes.

use std::ffi::CStr;
use std::fmt;

use crate::sys;

macro_rules! reasons {
    ($( $(#[$doc:meta])* $variant:ident = $c:ident, )*) => {
        /// A reject reason, as `srt_getrejectreason` reports it.
        ///
        /// Codes below 1000 are libsrt's own (`SRT_REJ_*`); 1000..2000 are predefined for
        /// listen callbacks (`SRT_REJX_*` in access_control.h, mostly HTTP codes + 1000);
        /// 2000 and up belong to the application ([`RejectReason::User`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum RejectReason {
            $( $(#[$doc])* $variant, )*
            /// A predefined code (1000..2000) not listed above; the number is kept.
            Predefined(i32),
            /// An application's own code (2000 and up).
            User(i32),
            /// An internal code not known to this version of srtfu.
            Other(i32),
        }

        impl RejectReason {
            /// The enum for a numeric reason.
            pub fn from_raw(code: i32) -> RejectReason {
                match code {
                    $( c if c == sys::$c as i32 => RejectReason::$variant, )*
                    c if c >= sys::SRT_REJC_USERDEFINED as i32 => RejectReason::User(c),
                    c if c >= sys::SRT_REJC_PREDEFINED as i32 => RejectReason::Predefined(c),
                    c => RejectReason::Other(c),
                }
            }

            /// The number libsrt uses for this reason.
            pub fn raw(self) -> i32 {
                match self {
                    $( RejectReason::$variant => sys::$c as i32, )*
                    RejectReason::Predefined(c) | RejectReason::User(c) | RejectReason::Other(c) => c,
                }
            }

            /// The C name (`"SRT_REJ_BADSECRET"`, `"SRT_REJX_FORBIDDEN"`), or `None` for
            /// codes without one.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $( RejectReason::$variant => Some(stringify!($c)), )*
                    _ => None,
                }
            }
        }
    };
}

reasons! {
    /// `SRT_REJ_UNKNOWN`: no reason recorded.
    Unknown = SRT_REJ_UNKNOWN,
    /// `SRT_REJ_SYSTEM`: a system call failed.
    System = SRT_REJ_SYSTEM,
    /// `SRT_REJ_PEER`: the peer rejected.
    Peer = SRT_REJ_PEER,
    /// `SRT_REJ_RESOURCE`: resource allocation failed.
    Resource = SRT_REJ_RESOURCE,
    /// `SRT_REJ_ROGUE`: rogue or incorrect handshake.
    Rogue = SRT_REJ_ROGUE,
    /// `SRT_REJ_BACKLOG`: the listener's backlog is full.
    Backlog = SRT_REJ_BACKLOG,
    /// `SRT_REJ_IPE`: internal program error.
    InternalError = SRT_REJ_IPE,
    /// `SRT_REJ_CLOSE`: the socket is closing.
    Close = SRT_REJ_CLOSE,
    /// `SRT_REJ_VERSION`: the peer's version is below SRTO_MINVERSION.
    Version = SRT_REJ_VERSION,
    /// `SRT_REJ_RDVCOOKIE`: rendezvous cookie collision.
    RendezvousCookie = SRT_REJ_RDVCOOKIE,
    /// `SRT_REJ_BADSECRET`: wrong passphrase.
    BadSecret = SRT_REJ_BADSECRET,
    /// `SRT_REJ_UNSECURE`: one side has a passphrase, the other none (enforced encryption).
    Unsecure = SRT_REJ_UNSECURE,
    /// `SRT_REJ_MESSAGEAPI`: SRTO_MESSAGEAPI differs.
    MessageApi = SRT_REJ_MESSAGEAPI,
    /// `SRT_REJ_CONGESTION`: congestion controllers differ.
    Congestion = SRT_REJ_CONGESTION,
    /// `SRT_REJ_FILTER`: packet filters differ.
    Filter = SRT_REJ_FILTER,
    /// `SRT_REJ_GROUP`: group settings differ.
    Group = SRT_REJ_GROUP,
    /// `SRT_REJ_TIMEOUT`: the connection timed out.
    Timeout = SRT_REJ_TIMEOUT,
    /// `SRT_REJX_FALLBACK`: the callback rejected without a specific code.
    Fallback = SRT_REJX_FALLBACK,
    /// `SRT_REJX_KEY_NOTSUP`: a streamid key is not supported.
    KeyNotSupported = SRT_REJX_KEY_NOTSUP,
    /// `SRT_REJX_FILEPATH`: bad file path in the streamid.
    FilePath = SRT_REJX_FILEPATH,
    /// `SRT_REJX_HOSTNOTFOUND`: host in the streamid not found.
    HostNotFound = SRT_REJX_HOSTNOTFOUND,
    /// `SRT_REJX_BAD_REQUEST` (1400).
    BadRequest = SRT_REJX_BAD_REQUEST,
    /// `SRT_REJX_UNAUTHORIZED` (1401): authentication needed.
    Unauthorized = SRT_REJX_UNAUTHORIZED,
    /// `SRT_REJX_OVERLOAD` (1402).
    Overload = SRT_REJX_OVERLOAD,
    /// `SRT_REJX_FORBIDDEN` (1403): access denied.
    Forbidden = SRT_REJX_FORBIDDEN,
    /// `SRT_REJX_NOTFOUND` (1404): resource not found.
    NotFound = SRT_REJX_NOTFOUND,
    /// `SRT_REJX_BAD_MODE` (1405).
    BadMode = SRT_REJX_BAD_MODE,
    /// `SRT_REJX_UNACCEPTABLE` (1406).
    Unacceptable = SRT_REJX_UNACCEPTABLE,
    /// `SRT_REJX_CONFLICT` (1409).
    Conflict = SRT_REJX_CONFLICT,
    /// `SRT_REJX_NOTSUP_MEDIA` (1415).
    UnsupportedMedia = SRT_REJX_NOTSUP_MEDIA,
    /// `SRT_REJX_LOCKED` (1423).
    Locked = SRT_REJX_LOCKED,
    /// `SRT_REJX_FAILED_DEPEND` (1424).
    FailedDependency = SRT_REJX_FAILED_DEPEND,
    /// `SRT_REJX_ISE` (1500): internal server error.
    ServerError = SRT_REJX_ISE,
    /// `SRT_REJX_UNIMPLEMENTED` (1501).
    Unimplemented = SRT_REJX_UNIMPLEMENTED,
    /// `SRT_REJX_GW` (1502): bad gateway.
    Gateway = SRT_REJX_GW,
    /// `SRT_REJX_DOWN` (1503): service unavailable.
    Down = SRT_REJX_DOWN,
    /// `SRT_REJX_VERSION` (1505).
    VersionNotSupported = SRT_REJX_VERSION,
    /// `SRT_REJX_NOROOM` (1507).
    NoRoom = SRT_REJX_NOROOM,
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.raw();
        if code < sys::SRT_REJC_PREDEFINED as i32 {
            // SAFETY: srt_rejectreason_str returns a pointer to a static NUL-terminated string
            // for any code (an "unknown" text for codes out of range).
            let text = unsafe { CStr::from_ptr(sys::srt_rejectreason_str(code)) };
            write!(f, "{}", text.to_string_lossy())?;
        } else if let RejectReason::User(c) = self {
            write!(f, "rejected by the application (code {c})")?;
        } else {
            write!(f, "rejected by the listener (code {code})")?;
        }
        match self.name() {
            Some(name) => write!(f, " [{name}]"),
            None => Ok(()),
        }
    }
}
