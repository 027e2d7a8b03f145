//! Typed socket options: one constant per `SRTO_*` option of libsrt 1.5, carrying its value
//! type and whether it can be read and written.
//!
//! ```no_run
//! use srtfu::{SrtSocket, TransType, SRTO_LATENCY, SRTO_MAXBW, SRTO_STREAMID, SRTO_TRANSTYPE};
//! let sock = SrtSocket::new_raw()?;
//! sock.setsockflag(SRTO_TRANSTYPE, TransType::Live)?;
//! sock.setsockflag(SRTO_LATENCY, 200)?;
//! sock.setsockflag(SRTO_MAXBW, 10_000_000)?; // int64: 8 bytes go to libsrt
//! sock.setsockflag(SRTO_STREAMID, "#!::r=live/feed1")?;
//! let latency: i32 = sock.getsockflag(SRTO_LATENCY)?;
//! # Ok::<(), srtfu::Error>(())
//! ```
//!
//! Read-only options (`SRTO_STATE`, `SRTO_KMSTATE`, ...) have the access type [`ReadOnly`], and
//! `setsockflag` does not accept them: the mistake is caught at compile time.
//!
//! ```compile_fail
//! # let sock = srtfu::SrtSocket::new_raw().unwrap();
//! sock.setsockflag(srtfu::SRTO_KMSTATE, srtfu::KmState::Secured).unwrap();
//! ```
//!
//! Write-only options (`SRTO_PASSPHRASE`, `SRTO_TRANSTYPE`: libsrt 1.5.1 never reports them)
//! have the access type [`WriteOnly`], and `getsockflag` does not accept them:
//!
//! ```compile_fail
//! # let sock = srtfu::SrtSocket::new_raw().unwrap();
//! let secret: String = sock.getsockflag(srtfu::SRTO_PASSPHRASE).unwrap();
//! ```
//!
//! The value type is checked too: a string is not a latency.
//!
//! ```compile_fail
//! # let sock = srtfu::SrtSocket::new_raw().unwrap();
//! sock.setsockflag(srtfu::SRTO_LATENCY, "200").unwrap();
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::os::raw::{c_int, c_void};
use std::time::Duration;

use crate::error::{Error, ErrorCode, Result, SrtError};
use crate::sys;

mod sealed {
    pub trait Sealed {}
}

/// Access marker: the option can be read and written.
#[derive(Debug, Clone, Copy)]
pub enum ReadWrite {}
/// Access marker: the option can only be read (`getsockflag`).
#[derive(Debug, Clone, Copy)]
pub enum ReadOnly {}
/// Access marker: the option can only be written (`setsockflag`); libsrt does not report it.
#[derive(Debug, Clone, Copy)]
pub enum WriteOnly {}

impl sealed::Sealed for ReadWrite {}
impl sealed::Sealed for ReadOnly {}
impl sealed::Sealed for WriteOnly {}

/// Access markers that allow `getsockflag`.
pub trait Readable: sealed::Sealed {}
/// Access markers that allow `setsockflag`.
pub trait Writable: sealed::Sealed {}
impl Readable for ReadWrite {}
impl Readable for ReadOnly {}
impl Writable for ReadWrite {}
impl Writable for WriteOnly {}

/// When an option may be set, per libsrt's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// Before `bind` (or the implicit bind of `connect`).
    PreBind,
    /// Before `connect` / `listen`.
    Pre,
    /// At any time.
    Post,
}

/// One `SRTO_*` option with its value type `T` and access `A`.
pub struct SockOpt<T, A> {
    id: sys::SRT_SOCKOPT,
    name: &'static str,
    _marker: PhantomData<fn() -> (T, A)>,
}

impl<T, A> Clone for SockOpt<T, A> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T, A> Copy for SockOpt<T, A> {}

impl<T, A> fmt::Debug for SockOpt<T, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl<T, A> SockOpt<T, A> {
    pub(crate) const fn new(id: sys::SRT_SOCKOPT, name: &'static str) -> Self {
        SockOpt {
            id,
            name,
            _marker: PhantomData,
        }
    }
    /// libsrt's number for the option.
    pub fn raw(self) -> sys::SRT_SOCKOPT {
        self.id
    }
    /// The option's name as in srt.h (`"SRTO_LATENCY"`).
    pub fn name(self) -> &'static str {
        self.name
    }
}

/// A type that can be an option value: how it goes to libsrt and comes back.
pub trait OptionValue: Sized + sealed::Sealed {
    /// Size of the buffer `getsockflag` gives libsrt for this type.
    const GET_SIZE: usize;
    /// What the URL parser and the option table call this type.
    const KIND: ValueKind;
    /// Calls `f` with a pointer and a length describing the value in libsrt's layout.
    fn with_raw<R>(&self, f: impl FnOnce(*const c_void, c_int) -> R) -> R;
    /// Decodes what libsrt wrote (`bytes` is exactly the length it reported).
    fn from_raw(option: &'static str, bytes: &[u8]) -> Result<Self>;
}

/// The kind of value an option takes, for parsing option values from text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// A 32-bit integer.
    Int,
    /// A 64-bit integer.
    Int64,
    /// A boolean (yes/no, on/off, true/false, 1/0 in URLs).
    Bool,
    /// A string.
    Str,
    /// `live` or `file`.
    TransType,
    /// A key material state.
    KmState,
    /// A socket state.
    SockStatus,
    /// Linger time in seconds (0 = off).
    Linger,
}

fn int_from_bytes(option: &'static str, bytes: &[u8]) -> Result<i64> {
    match bytes.len() {
        1 => Ok(bytes[0] as i64),
        4 => Ok(i32::from_ne_bytes(bytes.try_into().expect("4 bytes")) as i64),
        8 => Ok(i64::from_ne_bytes(bytes.try_into().expect("8 bytes"))),
        n => Err(Error::invalid_option(
            option,
            format!("{n} bytes"),
            "libsrt returned a value of unexpected size",
        )),
    }
}

impl sealed::Sealed for i32 {}
impl OptionValue for i32 {
    const GET_SIZE: usize = 4;
    const KIND: ValueKind = ValueKind::Int;
    fn with_raw<R>(&self, f: impl FnOnce(*const c_void, c_int) -> R) -> R {
        f(self as *const i32 as *const c_void, 4)
    }
    fn from_raw(option: &'static str, bytes: &[u8]) -> Result<Self> {
        let v = int_from_bytes(option, bytes)?;
        i32::try_from(v).map_err(|_| Error::invalid_option(option, v, "out of range for i32"))
    }
}

impl sealed::Sealed for i64 {}
impl OptionValue for i64 {
    const GET_SIZE: usize = 8;
    const KIND: ValueKind = ValueKind::Int64;
    fn with_raw<R>(&self, f: impl FnOnce(*const c_void, c_int) -> R) -> R {
        f(self as *const i64 as *const c_void, 8)
    }
    fn from_raw(option: &'static str, bytes: &[u8]) -> Result<Self> {
        int_from_bytes(option, bytes)
    }
}

impl sealed::Sealed for bool {}
impl OptionValue for bool {
    const GET_SIZE: usize = 4;
    const KIND: ValueKind = ValueKind::Bool;
    fn with_raw<R>(&self, f: impl FnOnce(*const c_void, c_int) -> R) -> R {
        // libsrt accepts an int (or a C++ bool) for boolean options; an int works everywhere.
        let v: i32 = *self as i32;
        f(&v as *const i32 as *const c_void, 4)
    }
    fn from_raw(option: &'static str, bytes: &[u8]) -> Result<Self> {
        Ok(int_from_bytes(option, bytes)? != 0)
    }
}

impl sealed::Sealed for String {}
impl OptionValue for String {
    // The longest string option is SRTO_STREAMID (512 bytes).
    const GET_SIZE: usize = 768;
    const KIND: ValueKind = ValueKind::Str;
    fn with_raw<R>(&self, f: impl FnOnce(*const c_void, c_int) -> R) -> R {
        f(self.as_ptr() as *const c_void, self.len() as c_int)
    }
    fn from_raw(option: &'static str, bytes: &[u8]) -> Result<Self> {
        // Some options report a trailing NUL in the length; drop it.
        let bytes = bytes.split(|b| *b == 0).next().unwrap_or(&[]);
        String::from_utf8(bytes.to_vec())
            .map_err(|e| Error::invalid_option(option, format!("{:?}", e.as_bytes()), "not UTF-8"))
    }
}

/// Linger time (`SRTO_LINGER`): `None` turns lingering off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Linger(pub Option<Duration>);

impl sealed::Sealed for Linger {}
impl OptionValue for Linger {
    const GET_SIZE: usize = std::mem::size_of::<libc::linger>();
    const KIND: ValueKind = ValueKind::Linger;
    fn with_raw<R>(&self, f: impl FnOnce(*const c_void, c_int) -> R) -> R {
        let l = libc::linger {
            l_onoff: self.0.is_some() as c_int,
            l_linger: self
                .0
                .map_or(0, |d| d.as_secs().min(i32::MAX as u64) as c_int),
        };
        f(
            &l as *const libc::linger as *const c_void,
            std::mem::size_of::<libc::linger>() as c_int,
        )
    }
    fn from_raw(option: &'static str, bytes: &[u8]) -> Result<Self> {
        if bytes.len() != std::mem::size_of::<libc::linger>() {
            return Err(Error::invalid_option(
                option,
                format!("{} bytes", bytes.len()),
                "libsrt returned a linger of unexpected size",
            ));
        }
        let onoff = i32::from_ne_bytes(bytes[0..4].try_into().expect("4 bytes"));
        let secs = i32::from_ne_bytes(bytes[4..8].try_into().expect("4 bytes"));
        Ok(Linger(
            (onoff != 0).then(|| Duration::from_secs(secs.max(0) as u64)),
        ))
    }
}

macro_rules! int_enum {
    (
        $(#[$doc:meta])* $name:ident : $kind:ident {
            $( $(#[$vdoc:meta])* $variant:ident = $c:ident, )*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )*
            /// A value this version of srtfu does not know; the number is kept.
            Other(i32),
        }
        impl $name {
            /// The enum for libsrt's number.
            pub fn from_raw(v: i32) -> Self {
                match v {
                    $( v if v == sys::$c as i32 => $name::$variant, )*
                    v => $name::Other(v),
                }
            }
            /// libsrt's number.
            pub fn raw(self) -> i32 {
                match self {
                    $( $name::$variant => sys::$c as i32, )*
                    $name::Other(v) => v,
                }
            }
            /// The C name (`SRTS_CONNECTED`), or `"?"`.
            pub fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => stringify!($c), )*
                    $name::Other(_) => "?",
                }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $name::Other(v) => write!(f, "{}({v})", stringify!($name)),
                    _ => f.write_str(self.name()),
                }
            }
        }
        impl sealed::Sealed for $name {}
        impl OptionValue for $name {
            const GET_SIZE: usize = 4;
            const KIND: ValueKind = ValueKind::$kind;
            fn with_raw<R>(&self, f: impl FnOnce(*const c_void, c_int) -> R) -> R {
                let v = self.raw();
                f(&v as *const i32 as *const c_void, 4)
            }
            fn from_raw(option: &'static str, bytes: &[u8]) -> Result<Self> {
                let v = int_from_bytes(option, bytes)?;
                Ok($name::from_raw(v as i32))
            }
        }
    };
}

int_enum! {
    /// Transmission type (`SRT_TRANSTYPE`): the set of defaults for live streaming or files.
    TransType: TransType {
        /// `SRTT_LIVE`: live streaming (message API, TSBPD, too-late packet drop, 1316-byte
        /// payloads).
        Live = SRTT_LIVE,
        /// `SRTT_FILE`: file transfer (stream API, file congestion control, no TSBPD).
        File = SRTT_FILE,
    }
}

int_enum! {
    /// Key material state (`SRT_KM_STATE`): how encryption stands on a connection.
    KmState: KmState {
        /// `SRT_KM_S_UNSECURED`: no encryption.
        Unsecured = SRT_KM_S_UNSECURED,
        /// `SRT_KM_S_SECURING`: key exchange in progress.
        Securing = SRT_KM_S_SECURING,
        /// `SRT_KM_S_SECURED`: encrypted.
        Secured = SRT_KM_S_SECURED,
        /// `SRT_KM_S_NOSECRET`: the peer has a passphrase, this side none.
        NoSecret = SRT_KM_S_NOSECRET,
        /// `SRT_KM_S_BADSECRET`: the passphrases differ.
        BadSecret = SRT_KM_S_BADSECRET,
    }
}

int_enum! {
    /// Socket state (`SRT_SOCKSTATUS`), from `getsockstate` or `SRTO_STATE`.
    SockStatus: SockStatus {
        /// `SRTS_INIT`: created.
        Init = SRTS_INIT,
        /// `SRTS_OPENED`: bound.
        Opened = SRTS_OPENED,
        /// `SRTS_LISTENING`: listening.
        Listening = SRTS_LISTENING,
        /// `SRTS_CONNECTING`: connect in progress.
        Connecting = SRTS_CONNECTING,
        /// `SRTS_CONNECTED`: connected.
        Connected = SRTS_CONNECTED,
        /// `SRTS_BROKEN`: the connection broke.
        Broken = SRTS_BROKEN,
        /// `SRTS_CLOSING`: closing.
        Closing = SRTS_CLOSING,
        /// `SRTS_CLOSED`: closed.
        Closed = SRTS_CLOSED,
        /// `SRTS_NONEXIST`: no such socket.
        NonExist = SRTS_NONEXIST,
    }
}

/// What the option table knows of one option: for URL keys and generic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionInfo {
    /// The name as in srt.h (`"SRTO_LATENCY"`).
    pub name: &'static str,
    /// The URL key (`"latency"`): the name, lowercase, without `SRTO_`.
    pub key: &'static str,
    /// libsrt's number.
    pub id: sys::SRT_SOCKOPT,
    /// The value type.
    pub kind: ValueKind,
    /// Whether `setsockflag` accepts it.
    pub writable: bool,
    /// Whether `getsockflag` reports it.
    pub readable: bool,
    /// When it must be set.
    pub binding: Binding,
}

trait AccessInfo {
    const READ: bool;
    const WRITE: bool;
}
impl AccessInfo for ReadWrite {
    const READ: bool = true;
    const WRITE: bool = true;
}
impl AccessInfo for ReadOnly {
    const READ: bool = true;
    const WRITE: bool = false;
}
impl AccessInfo for WriteOnly {
    const READ: bool = false;
    const WRITE: bool = true;
}

macro_rules! options {
    ($( $(#[$doc:meta])* $(@cfg($cfg:meta))? $name:ident : $ty:ty, $acc:ident, $binding:ident; )*) => {
        $(
            $(#[$doc])*
            $(#[cfg($cfg)])?
            pub const $name: SockOpt<$ty, $acc> = SockOpt::new(sys::$name, stringify!($name));
        )*

        /// Every option, sorted by name: for URL keys and for code that walks all options.
        pub const ALL_OPTIONS: &[OptionInfo] = &[
            $(
                $(#[cfg($cfg)])?
                OptionInfo {
                    name: stringify!($name),
                    key: const_lower_key(stringify!($name)),
                    id: sys::$name,
                    kind: <$ty as OptionValue>::KIND,
                    writable: <$acc as AccessInfo>::WRITE,
                    readable: <$acc as AccessInfo>::READ,
                    binding: Binding::$binding,
                },
            )*
        ];
    };
}

/// The URL key of an option name: `SRTO_UDP_SNDBUF` → `udp_sndbuf`. Evaluated at compile
/// time; the result is leaked into a static only through the `KEYS` table below.
const fn const_lower_key(name: &'static str) -> &'static str {
    // The URL keys are looked up case-insensitively (see `OptionInfo::by_key`), so the key is
    // the part after "SRTO_"; its lowercase form is produced on comparison.
    let bytes = name.as_bytes();
    let (_, rest) = bytes.split_at(5);
    match std::str::from_utf8(rest) {
        Ok(s) => s,
        Err(_) => panic!("option names are ASCII"),
    }
}

impl OptionInfo {
    /// Finds an option by its URL key (`latency`, any case) or its C name (`SRTO_LATENCY`).
    pub fn by_key(key: &str) -> Option<&'static OptionInfo> {
        let key = key.strip_prefix("SRTO_").unwrap_or(key);
        ALL_OPTIONS.iter().find(|o| o.key.eq_ignore_ascii_case(key))
    }

    /// The URL key in lowercase (`"udp_sndbuf"`).
    pub fn url_key(&self) -> String {
        self.key.to_ascii_lowercase()
    }
}

options! {
    /// `SRTO_BINDTODEVICE`: bind to a network device (SO_BINDTODEVICE; needs privileges).
    SRTO_BINDTODEVICE: String, ReadWrite, PreBind;
    /// `SRTO_CONGESTION`: congestion controller, `"live"` or `"file"`.
    SRTO_CONGESTION: String, ReadWrite, Pre;
    /// `SRTO_CONNTIMEO`: connect timeout in ms (default 3000; ×10 for rendezvous).
    SRTO_CONNTIMEO: i32, ReadWrite, Pre;
    /// `SRTO_CRYPTOMODE`: the cipher mode, 0 auto (default), 1 AES-CTR, 2 AES-GCM
    /// (authenticated: a changed packet is dropped, not delivered). Only where libsrt has it:
    /// 1.5.2+ built with ENABLE_AEAD_API_PREVIEW (`install-libsrt.sh --source` does), or 1.6+.
    @cfg(srt_aead) SRTO_CRYPTOMODE: i32, ReadWrite, Pre;
    /// `SRTO_DRIFTTRACER`: enable the drift tracer (default on).
    SRTO_DRIFTTRACER: bool, ReadWrite, Post;
    /// `SRTO_ENFORCEDENCRYPTION`: reject peers whose encryption setting differs (default on).
    SRTO_ENFORCEDENCRYPTION: bool, ReadWrite, Pre;
    /// `SRTO_EVENT`: the epoll events currently pending on the socket.
    SRTO_EVENT: i32, ReadOnly, Post;
    /// `SRTO_FC`: flow control window in packets (default 25600).
    SRTO_FC: i32, ReadWrite, Pre;
    /// `SRTO_GROUPCONNECT`: allow group connections on a listener. Only in libsrt built with
    /// ENABLE_BONDING; otherwise libsrt answers `SRT_EINVOP` (Debian's 1.5.1 is built without).
    SRTO_GROUPCONNECT: i32, ReadWrite, Pre;
    /// `SRTO_GROUPMINSTABLETIMEO`: backup group stability timeout in ms. Only in libsrt built
    /// with ENABLE_BONDING; otherwise libsrt answers `SRT_EINVOP`.
    SRTO_GROUPMINSTABLETIMEO: i32, ReadWrite, Pre;
    /// `SRTO_GROUPTYPE`: group type of an accepted socket. Only in libsrt built with
    /// ENABLE_BONDING; otherwise libsrt answers `SRT_EINVOP`.
    SRTO_GROUPTYPE: i32, ReadOnly, Pre;
    /// `SRTO_INPUTBW`: estimated input rate in bytes/s (int64).
    SRTO_INPUTBW: i64, ReadWrite, Post;
    /// `SRTO_IPTOS`: IP type of service.
    SRTO_IPTOS: i32, ReadWrite, PreBind;
    /// `SRTO_IPTTL`: IP time to live.
    SRTO_IPTTL: i32, ReadWrite, PreBind;
    /// `SRTO_IPV6ONLY`: IPV6_V6ONLY for an IPv6 socket (-1 = system default).
    SRTO_IPV6ONLY: i32, ReadWrite, PreBind;
    /// `SRTO_ISN`: initial sequence number of a connected socket.
    SRTO_ISN: i32, ReadOnly, Post;
    /// `SRTO_KMPREANNOUNCE`: packets before/after a key switch that both keys are valid.
    SRTO_KMPREANNOUNCE: i32, ReadWrite, Pre;
    /// `SRTO_KMREFRESHRATE`: packets sent before the key is refreshed.
    SRTO_KMREFRESHRATE: i32, ReadWrite, Pre;
    /// `SRTO_KMSTATE`: key material state of the connection.
    SRTO_KMSTATE: KmState, ReadOnly, Post;
    /// `SRTO_LATENCY`: sets both SRTO_RCVLATENCY and SRTO_PEERLATENCY, in ms (default 120).
    SRTO_LATENCY: i32, ReadWrite, Pre;
    /// `SRTO_LINGER`: how long `close` waits for unsent data.
    SRTO_LINGER: Linger, ReadWrite, Post;
    /// `SRTO_LOSSMAXTTL`: reorder tolerance in packets before a loss is reported.
    SRTO_LOSSMAXTTL: i32, ReadWrite, Post;
    /// `SRTO_MAXBW`: maximum send bandwidth in bytes/s (int64; -1 infinite, 0 relative to input).
    SRTO_MAXBW: i64, ReadWrite, Post;
    /// `SRTO_MAXREXMITBW`: maximum bandwidth for retransmissions in bytes/s (int64; -1
    /// unlimited). Only where libsrt has it: 1.5.3+ built with ENABLE_MAXREXMITBW, or 1.6+;
    /// libsrt reads it back since 1.5.4.
    @cfg(all(srt_maxrexmitbw, srt_1_5_4)) SRTO_MAXREXMITBW: i64, ReadWrite, Post;
    /// `SRTO_MAXREXMITBW`: maximum bandwidth for retransmissions in bytes/s (int64; -1
    /// unlimited). libsrt 1.5.3 built with ENABLE_MAXREXMITBW takes it but cannot report it
    /// (srt_getsockflag answers SRT_EINVOP), so here it is write-only.
    @cfg(all(srt_maxrexmitbw, not(srt_1_5_4))) SRTO_MAXREXMITBW: i64, WriteOnly, Post;
    /// `SRTO_MESSAGEAPI`: message mode (live default on; file default off).
    SRTO_MESSAGEAPI: bool, ReadWrite, Pre;
    /// `SRTO_MININPUTBW`: minimum input rate estimate in bytes/s (int64).
    SRTO_MININPUTBW: i64, ReadWrite, Post;
    /// `SRTO_MINVERSION`: minimum peer SRT version, e.g. 0x010300.
    SRTO_MINVERSION: i32, ReadWrite, Pre;
    /// `SRTO_MSS`: maximum segment size in bytes (default 1500).
    SRTO_MSS: i32, ReadWrite, PreBind;
    /// `SRTO_NAKREPORT`: periodic NAK reports (live default on).
    SRTO_NAKREPORT: bool, ReadWrite, Pre;
    /// `SRTO_OHEADBW`: overhead over the input rate in % for the send rate limit (default 25).
    SRTO_OHEADBW: i32, ReadWrite, Post;
    /// `SRTO_PACKETFILTER`: packet filter configuration (e.g. FEC).
    SRTO_PACKETFILTER: String, ReadWrite, Pre;
    /// `SRTO_PASSPHRASE`: encryption passphrase, 10 to 80 bytes (libsrt counts bytes, so
    /// `"ééééé"` is 10); empty: no encryption. libsrt judges the length.
    /// Write-only: libsrt never reports it back (`SRT_EINVOP`).
    SRTO_PASSPHRASE: String, WriteOnly, Pre;
    /// `SRTO_PAYLOADSIZE`: maximum payload per packet (live default 1316).
    SRTO_PAYLOADSIZE: i32, ReadWrite, Pre;
    /// `SRTO_PBKEYLEN`: AES key length in bytes: 0 (default, 16), 16, 24 or 32.
    SRTO_PBKEYLEN: i32, ReadWrite, Pre;
    /// `SRTO_PEERIDLETIMEO`: silence from the peer before the connection breaks, ms (5000).
    SRTO_PEERIDLETIMEO: i32, ReadWrite, Pre;
    /// `SRTO_PEERLATENCY`: minimum receiver latency requested from the peer, ms.
    SRTO_PEERLATENCY: i32, ReadWrite, Pre;
    /// `SRTO_PEERVERSION`: the peer's SRT version.
    SRTO_PEERVERSION: i32, ReadOnly, Post;
    /// `SRTO_RCVBUF`: receive buffer size in bytes.
    SRTO_RCVBUF: i32, ReadWrite, PreBind;
    /// `SRTO_RCVDATA`: packets available to read.
    SRTO_RCVDATA: i32, ReadOnly, Post;
    /// `SRTO_RCVKMSTATE`: key material state of the receiving direction.
    SRTO_RCVKMSTATE: KmState, ReadOnly, Post;
    /// `SRTO_RCVLATENCY`: receiver latency (TSBPD delay), ms.
    SRTO_RCVLATENCY: i32, ReadWrite, Pre;
    /// `SRTO_RCVSYN`: blocking receive (and accept/connect) (default on).
    SRTO_RCVSYN: bool, ReadWrite, Post;
    /// `SRTO_RCVTIMEO`: receive timeout in ms (-1 infinite).
    SRTO_RCVTIMEO: i32, ReadWrite, Post;
    /// `SRTO_RENDEZVOUS`: rendezvous mode.
    SRTO_RENDEZVOUS: bool, ReadWrite, Pre;
    /// `SRTO_RETRANSMITALGO`: retransmission algorithm (0 default, 1 reduced).
    SRTO_RETRANSMITALGO: i32, ReadWrite, Pre;
    /// `SRTO_REUSEADDR`: allow several sockets to bind one address (default on).
    SRTO_REUSEADDR: bool, ReadWrite, PreBind;
    /// `SRTO_SENDER`: sender side for HSv4 peers (libsrt 1.5.1 also reports it).
    SRTO_SENDER: bool, ReadWrite, Pre;
    /// `SRTO_SNDBUF`: send buffer size in bytes.
    SRTO_SNDBUF: i32, ReadWrite, PreBind;
    /// `SRTO_SNDDATA`: packets waiting in the send buffer.
    SRTO_SNDDATA: i32, ReadOnly, Post;
    /// `SRTO_SNDDROPDELAY`: extra sender drop delay in ms (-1 off; libsrt 1.5.1 reports 0 by
    /// default and reads back what was set).
    SRTO_SNDDROPDELAY: i32, ReadWrite, Post;
    /// `SRTO_SNDKMSTATE`: key material state of the sending direction.
    SRTO_SNDKMSTATE: KmState, ReadOnly, Post;
    /// `SRTO_SNDSYN`: blocking send (default on).
    SRTO_SNDSYN: bool, ReadWrite, Post;
    /// `SRTO_SNDTIMEO`: send timeout in ms (-1 infinite).
    SRTO_SNDTIMEO: i32, ReadWrite, Post;
    /// `SRTO_STATE`: socket state.
    SRTO_STATE: SockStatus, ReadOnly, Post;
    /// `SRTO_STREAMID`: stream id passed to the listener, up to 512 bytes.
    SRTO_STREAMID: String, ReadWrite, Pre;
    /// `SRTO_TLPKTDROP`: drop packets that are too late (live default on).
    SRTO_TLPKTDROP: bool, ReadWrite, Pre;
    /// `SRTO_TRANSTYPE`: live or file; sets the defaults of many other options. libsrt does
    /// not report it (`SRT_EINVOP`), so it is write-only.
    SRTO_TRANSTYPE: TransType, WriteOnly, Pre;
    /// `SRTO_TSBPDMODE`: timestamp-based packet delivery (live default on).
    SRTO_TSBPDMODE: bool, ReadWrite, Pre;
    /// `SRTO_UDP_RCVBUF`: UDP receive buffer size in bytes.
    SRTO_UDP_RCVBUF: i32, ReadWrite, PreBind;
    /// `SRTO_UDP_SNDBUF`: UDP send buffer size in bytes.
    SRTO_UDP_SNDBUF: i32, ReadWrite, PreBind;
    /// `SRTO_VERSION`: local SRT version.
    SRTO_VERSION: i32, ReadOnly, Post;
}

/// What srtfu refuses itself in a string option before it reaches libsrt: only what libsrt
/// would misread. A NUL byte inside (libsrt 1.5.1 cuts a stream id at the first NUL, and
/// fails to send one that starts with it) and a length that does not fit libsrt's `int`.
/// Everything else (lengths, ranges) libsrt judges; see [`accepted_range`].
///
/// The error has libsrt's code for an invalid argument (`SRT_EINVPARAM`,
/// [`ErrorCode::InvalidParam`](crate::ErrorCode::InvalidParam)), as libsrt's own refusals.
pub(crate) fn check_str(option: &'static str, value: &str) -> Result<()> {
    let refuse = |why: String| {
        Err(Error::Srt(SrtError::new(
            "srt_setsockflag",
            ErrorCode::InvalidParam,
            format!("{option} = {}: {why}", shown_str(option, value)),
        )))
    };
    if value.contains('\0') {
        return refuse("contains a NUL byte, which libsrt would cut the value at".into());
    }
    if c_int::try_from(value.len()).is_err() {
        return refuse(format!(
            "{} bytes is longer than libsrt's int length takes",
            value.len()
        ));
    }
    Ok(())
}

/// How a string value appears in an error message: a passphrase is hidden (only its length
/// in bytes is shown), a long value is shortened.
pub(crate) fn shown_str(option: &str, value: &str) -> String {
    if option == "SRTO_PASSPHRASE" {
        return redact(value);
    }
    if value.len() > 40 {
        let cut = (0..=40)
            .rev()
            .find(|i| value.is_char_boundary(*i))
            .unwrap_or(0);
        return format!("{:?}... ({} bytes)", &value[..cut], value.len());
    }
    format!("{value:?}")
}

/// The values libsrt accepts for an option, as its `srtcore/socketconfig.cpp` checks them
/// (the same in libsrt 1.5.1 to 1.5.5; measured on 1.5.1, read in the sources of 1.5.3,
/// 1.5.4 and 1.5.5). srtfu does not check these itself: it adds this text to libsrt's
/// `SRT_EINVPARAM` so the error says what would have been accepted. `None` for options whose
/// check is not described here.
pub fn accepted_range(option: &str) -> Option<&'static str> {
    Some(match option {
        "SRTO_CONNTIMEO" | "SRTO_LATENCY" | "SRTO_RCVLATENCY" | "SRTO_PEERLATENCY"
        | "SRTO_PEERIDLETIMEO" => "0 or more (ms)",
        "SRTO_FC" => "32 or more (packets)",
        "SRTO_MAXBW" => "-1 (unlimited), 0 (relative to the input rate) or a rate in bytes/s",
        "SRTO_MSS" => "76 or more (bytes)",
        "SRTO_OHEADBW" => "5 to 100 (%)",
        "SRTO_PASSPHRASE" => "empty (no encryption) or 10 to 80 bytes",
        "SRTO_PAYLOADSIZE" => {
            "0 to 1456 bytes (less with a packet filter, or with AES-GCM where supported)"
        }
        "SRTO_PBKEYLEN" => "0 (default), 16, 24 or 32",
        "SRTO_RCVBUF" | "SRTO_SNDBUF" => "more than 0 (bytes)",
        "SRTO_SNDDROPDELAY" => "-1 (off) or more (ms)",
        "SRTO_STREAMID" => "at most 512 bytes",
        "SRTO_CONGESTION" => "\"live\" or \"file\"",
        _ => return None,
    })
}

/// Hides a secret in error messages: only its length in bytes (what libsrt counts) shows.
pub(crate) fn redact(value: &str) -> String {
    format!("<{} bytes hidden>", value.len())
}
