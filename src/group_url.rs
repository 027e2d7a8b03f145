//! Group URLs: the `srt:////group?type=...&nodes=...` syntax of libsrt's test applications
//! (docs/features/socket-groups.md), parsed into the group type, the members and an
//! [`SrtUrl`] carrying the options shared by every member.

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::group::{Endpoint, GroupType, SrtGroup};
use crate::url::SrtUrl;

/// One member of a group URL: `host:port`, optionally followed by `?weight=N` and
/// `?source=host:port` (libsrt's syntax writes a member's own keys after `?`, each one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupNode {
    /// The host as written (brackets removed from IPv6).
    pub host: String,
    /// The port.
    pub port: u16,
    /// The member's weight (`weight=N`, 0 when not given).
    pub weight: u16,
    /// The local address to bind the member to (`source=host:port`).
    pub source: Option<String>,
}

impl GroupNode {
    fn parse(url: &str, text: &str) -> Result<GroupNode> {
        let bad = |reason: String| Error::InvalidUrl {
            url: url.to_string(),
            reason: format!("group member {text:?}: {reason}"),
        };
        let mut parts = text.split('?');
        let hostport = parts.next().unwrap_or_default();
        let (host, port) = split_host_port(hostport, false).map_err(&bad)?;
        let mut node = GroupNode {
            host,
            port,
            weight: 0,
            source: None,
        };
        for kv in parts.flat_map(|p| p.split('&')).filter(|p| !p.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            match k.to_ascii_lowercase().as_str() {
                "weight" => {
                    node.weight = v
                        .parse()
                        .map_err(|_| bad(format!("weight {v:?} is not a number 0 to 65535")))?
                }
                "source" => {
                    split_host_port(v, true).map_err(|r| bad(format!("source: {r}")))?;
                    node.source = Some(v.to_string());
                }
                other => {
                    return Err(bad(format!(
                        "unknown member key {other:?} (members take weight and source)"
                    )))
                }
            }
        }
        Ok(node)
    }

    /// Resolves the member's address (and its source's).
    ///
    /// # Errors
    /// A host that does not resolve.
    pub fn resolve(&self) -> Result<(Option<SocketAddr>, SocketAddr)> {
        let target = resolve(&self.host, self.port)?;
        let source = match &self.source {
            None => None,
            Some(s) => {
                let (h, p) = split_host_port(s, true)
                    .map_err(|r| Error::invalid_argument("srt_prepare_endpoint", r))?;
                Some(resolve(&h, p)?)
            }
        };
        Ok((source, target))
    }
}

impl fmt::Display for GroupNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "{}:{}", self.host, self.port)?;
        }
        if self.weight != 0 {
            write!(f, "?weight={}", self.weight)?;
        }
        if let Some(s) = &self.source {
            write!(f, "?source={s}")?;
        }
        Ok(())
    }
}

fn split_host_port(text: &str, allow_zero: bool) -> std::result::Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (h, p) = rest
            .split_once("]:")
            .ok_or_else(|| "expected [v6-address]:port".to_string())?;
        (h, p)
    } else {
        text.rsplit_once(':')
            .ok_or_else(|| "expected host:port".to_string())?
    };
    if host.is_empty() {
        return Err("the host is missing (expected host:port)".into());
    }
    let port: u16 = port
        .parse()
        .ok()
        .filter(|p| allow_zero || *p != 0)
        .ok_or_else(|| format!("port {port:?} is not 1 to 65535"))?;
    Ok((host.to_string(), port))
}

fn resolve(host: &str, port: u16) -> Result<SocketAddr> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| Error::io(format!("cannot resolve group member {host}:{port}"), e))?
        .next()
        .ok_or_else(|| {
            Error::invalid_argument(
                "srt_prepare_endpoint",
                format!("{host}:{port} resolved to nothing"),
            )
        })
}

/// A group caller URL, in the syntax of libsrt's group documentation:
///
/// `srt:////group?type=broadcast&nodes=host1:port1,host2:port2&latency=200`
///
/// - `type`: `broadcast` or `backup` (required);
/// - `nodes`: the members, comma-separated `host:port`, each optionally followed by
///   `?weight=N` (a backup group prefers the highest) and `?source=host:port` (the local
///   address for that member);
/// - every other key is a socket option for all members, as in [`SrtUrl`]
///   (`latency`, `passphrase`, `groupminstabletimeo`, ...).
///
/// The simplified form, `srt://*?type=broadcast` followed by the members as separate
/// arguments, is [`GroupUrl::with_nodes`]. The listener side needs no group syntax:
/// `srt://:4200?groupconnect=1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupUrl {
    gtype: GroupType,
    nodes: Vec<GroupNode>,
    options: SrtUrl,
    text: String,
}

impl GroupUrl {
    /// The simplified syntax: a header URL `srt://*?type=...&options` and the members as
    /// separate `host:port[?weight=N]` strings (as srt-test-live takes them on its command
    /// line).
    ///
    /// # Errors
    /// A bad header or member, naming it.
    pub fn with_nodes<S: AsRef<str>>(header: &str, nodes: &[S]) -> Result<GroupUrl> {
        let query = header
            .strip_prefix("srt://*")
            .ok_or_else(|| Error::InvalidUrl {
                url: header.to_string(),
                reason: "a group header URL starts with srt://*".into(),
            })?;
        let list: Vec<&str> = nodes.iter().map(|n| n.as_ref()).collect();
        if list.iter().any(|n| n.contains(',')) {
            return Err(Error::InvalidUrl {
                url: header.to_string(),
                reason: "give one member per argument (no commas)".into(),
            });
        }
        let sep = if query.starts_with('?') { "&" } else { "?" };
        format!("srt:////group{query}{sep}nodes={}", list.join(",")).parse()
    }

    /// The group type (`type=`).
    pub fn group_type(&self) -> GroupType {
        self.gtype
    }

    /// The members (`nodes=`).
    pub fn nodes(&self) -> &[GroupNode] {
        &self.nodes
    }

    /// The options shared by every member, as an [`SrtUrl`] (its host and port are the first
    /// member's).
    pub fn options(&self) -> &SrtUrl {
        &self.options
    }

    /// The members as endpoints for [`SrtGroup::connect_group`] (resolving their hosts).
    ///
    /// # Errors
    /// A host that does not resolve; [`Error::NoBonding`] without bonding.
    pub fn endpoints(&self) -> Result<Vec<Endpoint>> {
        self.nodes
            .iter()
            .map(|n| {
                let (src, dst) = n.resolve()?;
                Ok(SrtGroup::prepare_endpoint(src, dst)?.weight(n.weight))
            })
            .collect()
    }
}

impl FromStr for GroupUrl {
    type Err = Error;

    fn from_str(s: &str) -> Result<GroupUrl> {
        let bad = |reason: String| Error::InvalidUrl {
            url: s.to_string(),
            reason,
        };
        let rest = s
            .strip_prefix("srt:////group")
            .ok_or_else(|| bad("a group URL starts with srt:////group".into()))?;
        let query = match rest {
            "" => "",
            q => q
                .strip_prefix('?')
                .ok_or_else(|| bad("expected ? after srt:////group".into()))?,
        };
        let mut gtype = None;
        let mut nodes = Vec::new();
        let mut others = Vec::new();
        for kv in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            match k.to_ascii_lowercase().as_str() {
                "type" => gtype = Some(v.parse::<GroupType>()?),
                "nodes" => {
                    for n in v.split(',').filter(|n| !n.is_empty()) {
                        nodes.push(GroupNode::parse(s, n)?);
                    }
                }
                "mode" if !v.eq_ignore_ascii_case("caller") => {
                    return Err(Error::invalid_option(
                        "mode",
                        v,
                        "a group URL connects as a caller; a listener takes groups with \
                         srt://:PORT?groupconnect=1",
                    ))
                }
                "mode" => {}
                _ => others.push(kv),
            }
        }
        let gtype = gtype.ok_or_else(|| {
            bad("the group type is missing (type=broadcast or type=backup)".into())
        })?;
        let first = nodes
            .first()
            .ok_or_else(|| bad("no members: nodes=host1:port1,host2:port2".into()))?;
        let mut opts = format!(
            "srt://{first}",
            first = GroupNode {
                weight: 0,
                source: None,
                ..first.clone()
            }
        );
        if !others.is_empty() {
            opts.push('?');
            opts.push_str(&others.join("&"));
        }
        let options: SrtUrl = opts.parse().map_err(|e| match e {
            Error::InvalidUrl { reason, .. } => bad(reason),
            other => other,
        })?;
        Ok(GroupUrl {
            gtype,
            nodes,
            options,
            text: s.to_string(),
        })
    }
}

impl fmt::Display for GroupUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
