//! `srt://` URLs with srt-live-transmit's query options.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::options::{Linger, OptionInfo, ReadWrite, SockOpt, TransType, ValueKind, ALL_OPTIONS};
use crate::socket::SrtSocket;

/// How a URL's socket connects, as srt-live-transmit's `mode` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Connects to the host and port (`mode=caller` or `mode=client`).
    Caller,
    /// Binds to the port (and host, if given) and accepts callers (`mode=listener` or
    /// `mode=server`).
    Listener,
    /// Binds locally and connects to a peer doing the same (`mode=rendezvous`).
    Rendezvous,
}

impl Mode {
    /// The name used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Caller => "caller",
            Mode::Listener => "listener",
            Mode::Rendezvous => "rendezvous",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed option value from a URL, typed by the option.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Int(i32),
    Int64(i64),
    Bool(bool),
    Str(String),
    TransType(TransType),
    Linger(Linger),
}

impl Value {
    fn parse(info: &OptionInfo, key: &str, text: &str) -> Result<Value> {
        let bad = |reason: String| Error::invalid_option(key, text, reason);
        let v = match info.kind {
            ValueKind::Int => {
                let n: i64 = parse_int(text).ok_or_else(|| bad("expected an integer".into()))?;
                let n = i32::try_from(n)
                    .map_err(|_| bad(format!("{n} is out of range for a 32-bit integer")))?;
                Value::Int(n)
            }
            ValueKind::Int64 => {
                let n = parse_int(text).ok_or_else(|| bad("expected an integer".into()))?;
                Value::Int64(n)
            }
            ValueKind::Bool => Value::Bool(parse_bool(text).ok_or_else(|| {
                bad("expected a boolean: yes/no, on/off, true/false or 1/0".into())
            })?),
            // libsrt judges lengths and ranges when the value is set (in `apply`, through
            // setsockflag), as for a value set by API.
            ValueKind::Str => Value::Str(text.to_string()),
            ValueKind::TransType => match text.to_ascii_lowercase().as_str() {
                "live" => Value::TransType(TransType::Live),
                "file" => Value::TransType(TransType::File),
                _ => return Err(bad("expected live or file".into())),
            },
            ValueKind::Linger => {
                let n = parse_int(text)
                    .filter(|n| (0..=i32::MAX as i64).contains(n))
                    .ok_or_else(|| bad("expected seconds (0 turns lingering off)".into()))?;
                Value::Linger(Linger((n > 0).then(|| Duration::from_secs(n as u64))))
            }
            ValueKind::KmState | ValueKind::SockStatus => {
                return Err(bad("this option is read-only".into()))
            }
        };
        Ok(v)
    }

    fn apply(&self, sock: &SrtSocket, info: &OptionInfo) -> Result<()> {
        fn opt<T>(info: &OptionInfo) -> SockOpt<T, ReadWrite> {
            SockOpt::new(info.id, info.name)
        }
        let res = match self {
            Value::Int(v) => sock.setsockflag(opt::<i32>(info), *v),
            Value::Int64(v) => sock.setsockflag(opt::<i64>(info), *v),
            Value::Bool(v) => sock.setsockflag(opt::<bool>(info), *v),
            Value::Str(v) => sock.setsockflag(opt::<String>(info), v.as_str()),
            Value::TransType(v) => sock.setsockflag(opt::<TransType>(info), *v),
            Value::Linger(v) => sock.setsockflag(opt::<Linger>(info), *v),
        };
        // The error keeps libsrt's code; its message also names the URL key.
        res.map_err(|e| match e {
            Error::Srt(mut s) => {
                s.reword(|m| format!("URL key {}: {m}", info.url_key()));
                Error::Srt(s)
            }
            other => other,
        })
    }

    fn text(&self) -> String {
        match self {
            Value::Int(v) => v.to_string(),
            Value::Int64(v) => v.to_string(),
            Value::Bool(v) => if *v { "yes" } else { "no" }.to_string(),
            Value::Str(v) => v.clone(),
            Value::TransType(TransType::File) => "file".into(),
            Value::TransType(_) => "live".into(),
            Value::Linger(Linger(d)) => d.map_or(0, |d| d.as_secs()).to_string(),
        }
    }
}

fn parse_int(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok()
    } else {
        t.parse().ok()
    }
}

/// Parses yes/no, on/off, true/false, 1/0 (any case).
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "yes" | "on" | "true" | "1" => Some(true),
        "no" | "off" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// A parsed `srt://host:port?key=value&...` URL.
///
/// Query keys follow srt-live-transmit's URI syntax:
///
/// | key | meaning |
/// |---|---|
/// | `mode` | `caller`/`client`, `listener`/`server`, `rendezvous`. Default: no host → listener; host and `adapter` → rendezvous; else caller |
/// | `adapter` | local IP to bind (caller, rendezvous) |
/// | `port` | local port (caller, rendezvous; rendezvous defaults to the remote port) |
/// | `bind` | local `ip:port` for a caller (`srt_connect_bind`) |
/// | `timeout` | ms, sets SRTO_RCVTIMEO and SRTO_SNDTIMEO |
/// | `retries` | srtfu's: extra connect attempts after a timeout (caller, rendezvous), default 0 |
/// | any `SRTO_` option | by its lowercase name: `latency`, `passphrase`, `pbkeylen`, `streamid`, `transtype`, `payloadsize`, `maxbw`, `conntimeo`, `rcvbuf`, `linger` (seconds), ... (`tsbpd` also names SRTO_TSBPDMODE) |
///
/// Booleans accept yes/no, on/off, true/false, 1/0. IPv6 hosts go in brackets
/// (`srt://[::1]:9000`); hostnames are resolved (IPv4 first). An unknown key, a duplicate key,
/// an empty value or a value of the wrong type (`latency=abc`) is a parse error naming the
/// key and the value. Whether a well-typed value is acceptable (`passphrase=short`,
/// `pbkeylen=17`) libsrt judges when [`SrtSocket::new`] applies it, exactly as for a value
/// set with `setsockflag`: an error with libsrt's code (`InvalidParam`) naming the URL key
/// and the option.
///
/// ```
/// use srtfu::{Mode, SrtUrl};
/// let url: SrtUrl = "srt://:9000?latency=200&passphrase=0123456789".parse()?;
/// assert_eq!(url.mode(), Mode::Listener);
/// assert_eq!(url.port(), 9000);
/// let caller = SrtUrl::caller("127.0.0.1", 9000).with("streamid", "feed1")?;
/// assert_eq!(caller.to_string(), "srt://127.0.0.1:9000?streamid=feed1");
/// # Ok::<(), srtfu::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SrtUrl {
    host: String,
    port: u16,
    mode: Mode,
    explicit_mode: bool,
    adapter: Option<String>,
    local_port: Option<u16>,
    bind: Option<String>,
    timeout: Option<u32>,
    retries: u32,
    options: Vec<(&'static OptionInfo, Value)>,
}

/// Keys that are not socket options.
const SPECIAL_KEYS: &[&str] = &["mode", "adapter", "port", "bind", "timeout", "retries"];

impl SrtUrl {
    /// A caller URL for `host:port`.
    pub fn caller(host: &str, port: u16) -> SrtUrl {
        SrtUrl::base(host, port, Mode::Caller)
    }

    /// A listener URL on `port` (all interfaces).
    pub fn listener(port: u16) -> SrtUrl {
        SrtUrl::base("", port, Mode::Listener)
    }

    fn base(host: &str, port: u16, mode: Mode) -> SrtUrl {
        SrtUrl {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
            mode,
            explicit_mode: false,
            adapter: None,
            local_port: None,
            bind: None,
            timeout: None,
            retries: 0,
            options: Vec::new(),
        }
    }

    /// Adds or replaces a query key, checked as when parsing.
    ///
    /// # Errors
    /// An unknown key or a bad value, naming both.
    pub fn with(mut self, key: &str, value: impl fmt::Display) -> Result<SrtUrl> {
        let value = value.to_string();
        let lower = key.to_ascii_lowercase();
        if let Some(info) = option_for_key(&lower) {
            self.options.retain(|(i, _)| i.id != info.id);
        } else {
            match lower.as_str() {
                "mode" => self.explicit_mode = false,
                "adapter" => self.adapter = None,
                "port" => self.local_port = None,
                "bind" => self.bind = None,
                "timeout" => self.timeout = None,
                "retries" => self.retries = 0,
                _ => {}
            }
        }
        let text = self.to_string();
        self.set_key(&text, key, &value)?;
        self.finish(&text)?;
        Ok(self)
    }

    /// The host as written (empty for "any interface").
    pub fn host(&self) -> &str {
        &self.host
    }
    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }
    /// The connection mode (explicit or defaulted as srt-live-transmit does).
    pub fn mode(&self) -> Mode {
        self.mode
    }
    /// The `adapter` key.
    pub fn adapter(&self) -> Option<&str> {
        self.adapter.as_deref()
    }
    /// The `timeout` key, as a duration.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout.map(|ms| Duration::from_millis(ms as u64))
    }
    /// The `retries` key: extra connect attempts after a timeout.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// The value text of a socket option key (`"latency"`), if the URL sets it.
    pub fn option(&self, key: &str) -> Option<String> {
        let info = option_for_key(&key.to_ascii_lowercase())?;
        self.options
            .iter()
            .find(|(i, _)| i.id == info.id)
            .map(|(_, v)| v.text())
    }

    /// Whether the URL asks for file transtype.
    pub fn is_file_mode(&self) -> bool {
        self.options
            .iter()
            .any(|(_, v)| *v == Value::TransType(TransType::File))
    }

    /// Applies the URL's socket options to `sock`: SRTO_TRANSTYPE first (it resets other
    /// options), then the rest in the order written; `timeout` last.
    ///
    /// # Errors
    /// libsrt refusing a value: its code, and a message naming the URL key, the option and
    /// what libsrt accepts.
    pub fn apply_options(&self, sock: &SrtSocket) -> Result<()> {
        let (first, rest): (Vec<_>, Vec<_>) = self
            .options
            .iter()
            .partition(|(i, _)| i.name == "SRTO_TRANSTYPE");
        for (info, value) in first.into_iter().chain(rest) {
            value.apply(sock, info)?;
        }
        if let Some(ms) = self.timeout {
            let d = Some(Duration::from_millis(ms.max(1) as u64));
            sock.set_read_timeout(d)?;
            sock.set_write_timeout(d)?;
        }
        Ok(())
    }

    /// The remote address (caller, rendezvous): the host resolved, IPv4 preferred.
    ///
    /// # Errors
    /// No host (a listener URL), or the host does not resolve.
    pub fn remote_addr(&self) -> Result<SocketAddr> {
        if self.host.is_empty() {
            return Err(self.err(format!("mode {} needs a host to connect to", self.mode)));
        }
        resolve_prefer_v4(&self.host, self.port).map_err(|e| self.err(e))
    }

    /// The local address to bind: a listener's host (or any) and port; for rendezvous the
    /// adapter (or any) and the `port` key (or the URL's port).
    ///
    /// # Errors
    /// A host or adapter that does not resolve.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        match self.mode {
            Mode::Listener => {
                if self.host.is_empty() {
                    Ok(SocketAddr::new(
                        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                        self.port,
                    ))
                } else {
                    resolve_prefer_v4(&self.host, self.port).map_err(|e| self.err(e))
                }
            }
            Mode::Rendezvous | Mode::Caller => {
                let port = self.local_port.unwrap_or(match self.mode {
                    Mode::Rendezvous => self.port,
                    _ => 0,
                });
                if let Some(bind) = &self.bind {
                    return crate::socket::resolve("bind", bind.as_str());
                }
                let remote_v6 = self.remote_addr().map(|a| a.is_ipv6()).unwrap_or(false);
                match &self.adapter {
                    Some(a) => resolve_prefer_v4(a, port).map_err(|e| self.err(e)),
                    None if remote_v6 => {
                        Ok(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port))
                    }
                    None => Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)),
                }
            }
        }
    }

    /// For a caller: the local address to bind before connecting, if `adapter`, `port` or
    /// `bind` asks for one.
    ///
    /// # Errors
    /// An address that does not resolve.
    pub fn caller_bind_addr(&self) -> Result<Option<SocketAddr>> {
        if self.adapter.is_none() && self.local_port.is_none() && self.bind.is_none() {
            return Ok(None);
        }
        self.local_addr().map(Some)
    }

    fn err(&self, reason: impl Into<String>) -> Error {
        Error::InvalidUrl {
            url: self.to_string(),
            reason: reason.into(),
        }
    }

    fn set_key(&mut self, url: &str, key: &str, value: &str) -> Result<()> {
        let invalid = |reason: String| Error::InvalidUrl {
            url: url.to_string(),
            reason,
        };
        if value.is_empty() {
            return Err(invalid(format!("key {key:?} has an empty value")));
        }
        let lower = key.to_ascii_lowercase();
        match lower.as_str() {
            "mode" => {
                self.mode = match value.to_ascii_lowercase().as_str() {
                    "caller" | "client" => Mode::Caller,
                    "listener" | "server" => Mode::Listener,
                    "rendezvous" => Mode::Rendezvous,
                    _ => {
                        return Err(Error::invalid_option(
                            "mode",
                            value,
                            "expected caller (client), listener (server) or rendezvous",
                        ))
                    }
                };
                self.explicit_mode = true;
            }
            "adapter" => {
                let v = value.trim_start_matches('[').trim_end_matches(']');
                self.adapter = Some(v.to_string());
            }
            "port" => {
                self.local_port =
                    Some(parse_port(value).map_err(|r| Error::invalid_option("port", value, r))?)
            }
            "bind" => self.bind = Some(value.to_string()),
            "timeout" => {
                let ms = parse_int(value)
                    .filter(|n| (1..=i32::MAX as i64).contains(n))
                    .ok_or_else(|| {
                        Error::invalid_option("timeout", value, "expected milliseconds > 0")
                    })?;
                self.timeout = Some(ms as u32);
            }
            "retries" => {
                let n = parse_int(value)
                    .filter(|n| (0..=100).contains(n))
                    .ok_or_else(|| Error::invalid_option("retries", value, "expected 0 to 100"))?;
                self.retries = n as u32;
            }
            _ => {
                let info = option_for_key(&lower).ok_or_else(|| {
                    invalid(format!(
                        "unknown key {key:?} (not an SRT option nor one of {SPECIAL_KEYS:?})"
                    ))
                })?;
                if !info.writable {
                    return Err(Error::invalid_option(
                        key,
                        value,
                        "this option is read-only",
                    ));
                }
                let v = Value::parse(info, &lower, value)?;
                self.options.push((info, v));
            }
        }
        Ok(())
    }

    fn finish(&mut self, url: &str) -> Result<()> {
        if !self.explicit_mode {
            self.mode = if self.host.is_empty() {
                Mode::Listener
            } else if self.adapter.is_some() {
                Mode::Rendezvous
            } else {
                Mode::Caller
            };
        }
        if self.mode != Mode::Listener && self.host.is_empty() {
            return Err(Error::InvalidUrl {
                url: url.to_string(),
                reason: format!("mode {} needs a host", self.mode),
            });
        }
        if self.mode == Mode::Caller && self.port == 0 {
            return Err(Error::InvalidUrl {
                url: url.to_string(),
                reason: "a caller needs a port other than 0".into(),
            });
        }
        Ok(())
    }
}

fn option_for_key(lower: &str) -> Option<&'static OptionInfo> {
    let lower = if lower == "tsbpd" { "tsbpdmode" } else { lower };
    ALL_OPTIONS
        .iter()
        .find(|o| o.key.eq_ignore_ascii_case(lower))
}

fn parse_port(text: &str) -> std::result::Result<u16, String> {
    let n: u64 = text
        .parse()
        .map_err(|_| format!("port {text:?} is not a number"))?;
    u16::try_from(n).map_err(|_| format!("port {n} is out of range (0-65535)"))
}

fn resolve_prefer_v4(host: &str, port: u16) -> std::result::Result<SocketAddr, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve host {host:?}: {e}"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| format!("host {host:?} resolved to no address"))
}

impl FromStr for SrtUrl {
    type Err = Error;

    fn from_str(s: &str) -> Result<SrtUrl> {
        let invalid = |reason: String| Error::InvalidUrl {
            url: s.to_string(),
            reason,
        };
        let rest = match s.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("srt") => rest,
            Some((scheme, _)) => return Err(invalid(format!("scheme {scheme:?} is not srt"))),
            None => return Err(invalid("expected srt://host:port".into())),
        };
        if rest.contains('#') {
            return Err(invalid(
                "a fragment (#...) has no meaning in an SRT URL".into(),
            ));
        }
        let (authority_path, query) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = match authority_path.find('/') {
            Some(i) => authority_path.split_at(i),
            None => (authority_path, ""),
        };
        if !path.is_empty() && path != "/" {
            return Err(invalid(format!(
                "unexpected path {path:?}; options go in the query"
            )));
        }
        if authority.contains('@') {
            return Err(invalid(
                "user info (user@) is not supported; use passphrase=".into(),
            ));
        }
        let (host, port_text) = if let Some(after) = authority.strip_prefix('[') {
            let (h, tail) = after
                .split_once(']')
                .ok_or_else(|| invalid("unclosed '[' in IPv6 host".into()))?;
            h.parse::<Ipv6Addr>()
                .map_err(|_| invalid(format!("{h:?} is not an IPv6 address")))?;
            let port = tail
                .strip_prefix(':')
                .ok_or_else(|| invalid("no port after the IPv6 host".into()))?;
            (h, port)
        } else {
            let (h, p) = authority
                .rsplit_once(':')
                .ok_or_else(|| invalid("no port (expected host:port)".into()))?;
            if h.contains(':') {
                return Err(invalid(
                    "IPv6 hosts must be in brackets: srt://[::1]:9000".into(),
                ));
            }
            (h, p)
        };
        if port_text.is_empty() {
            return Err(invalid("no port (expected host:port)".into()));
        }
        let port = parse_port(port_text).map_err(invalid)?;
        if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid(format!(
                "host {host:?} contains spaces or control characters"
            )));
        }
        let mut url = SrtUrl::base(host, port, Mode::Caller);
        let mut seen: Vec<String> = Vec::new();
        if let Some(q) = query {
            for (k, v) in form_urlencoded::parse(q.as_bytes()) {
                if k.is_empty() {
                    return Err(invalid(format!("a query item has no key (value {v:?})")));
                }
                let canonical = option_for_key(&k.to_ascii_lowercase())
                    .map(|i| i.name.to_string())
                    .unwrap_or_else(|| k.to_ascii_lowercase());
                if seen.contains(&canonical) {
                    return Err(invalid(format!("key {k:?} is given more than once")));
                }
                seen.push(canonical);
                url.set_key(s, &k, &v)?;
            }
        }
        url.finish(s)?;
        Ok(url)
    }
}

impl fmt::Display for SrtUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "srt://[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "srt://{}:{}", self.host, self.port)?;
        }
        let mut q = form_urlencoded::Serializer::new(String::new());
        if self.explicit_mode {
            q.append_pair("mode", self.mode.as_str());
        }
        if let Some(a) = &self.adapter {
            q.append_pair("adapter", a);
        }
        if let Some(p) = self.local_port {
            q.append_pair("port", &p.to_string());
        }
        if let Some(b) = &self.bind {
            q.append_pair("bind", b);
        }
        if let Some(t) = self.timeout {
            q.append_pair("timeout", &t.to_string());
        }
        if self.retries != 0 {
            q.append_pair("retries", &self.retries.to_string());
        }
        for (info, v) in &self.options {
            q.append_pair(&info.url_key(), &v.text());
        }
        let q = q.finish();
        if !q.is_empty() {
            write!(f, "?{q}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for SrtUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Like Display, with the passphrase hidden.
        let mut shown = self.clone();
        for (info, v) in &mut shown.options {
            if info.name == "SRTO_PASSPHRASE" {
                *v = Value::Str("<hidden>".into());
            }
        }
        write!(f, "SrtUrl({shown})")
    }
}

/// Opens the connection by the URL's mode (see [`SrtSocket::open`]). A caller or rendezvous
/// connects through [`SrtSocket::connect_in_receive_thread`] (non-blocking handshake, then
/// blocking again), so that a peer that sends the moment it accepts loses nothing.
pub(crate) fn open(url: &SrtUrl) -> Result<SrtSocket> {
    open_with(url, true)
}

/// [`open`]; with `in_receive_thread` false, a blocking `srt_connect` (libsrt 1.5.1 to 1.5.5
/// may then lose the peer's first packet, see [`SrtSocket::connect`]).
pub(crate) fn open_with(url: &SrtUrl, in_receive_thread: bool) -> Result<SrtSocket> {
    match url.mode {
        Mode::Listener => {
            let listener = SrtSocket::from_url(url)?;
            listener.bind(url.local_addr()?)?;
            listener.listen(1)?;
            let (sock, _peer) = listener.accept()?;
            Ok(sock)
        }
        Mode::Caller | Mode::Rendezvous => {
            let mut attempt = 0;
            loop {
                let sock = SrtSocket::from_url(url)?;
                let rendezvous = matches!(url.mode, Mode::Rendezvous);
                let connect = || {
                    if rendezvous {
                        sock.rendezvous(url.local_addr()?, url.remote_addr()?)
                    } else {
                        sock.connect_url()
                    }
                };
                let res = if in_receive_thread {
                    let call = if rendezvous {
                        "srt_rendezvous"
                    } else {
                        "srt_connect"
                    };
                    sock.connect_in_receive_thread(call, rendezvous, connect)
                } else {
                    connect()
                };
                match res {
                    Ok(()) => return Ok(sock),
                    Err(e) if e.is_timeout() && attempt < url.retries => {
                        attempt += 1;
                        log::warn!(
                            "connect to {}:{} timed out; retry {attempt} of {}",
                            url.host,
                            url.port,
                            url.retries
                        );
                    }
                    Err(e) => {
                        if attempt > 0 {
                            log::warn!(
                                "connect to {}:{} failed after {} attempts: {e}",
                                url.host,
                                url.port,
                                attempt + 1
                            );
                        }
                        return Err(e);
                    }
                }
            }
        }
    }
}
