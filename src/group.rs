//! Socket groups (connection bonding): [`SrtGroup`], with methods named after libsrt's group
//! calls (`srt_create_group`, `srt_prepare_endpoint`, `srt_create_config` +
//! `srt_config_add`, `srt_connect_group`, `srt_group_data`).
//!
//! A group is several SRT connections (members) that carry one stream: a *broadcast* group
//! sends every packet over every member and the receiver keeps the first copy; a *backup*
//! group sends over one member and keeps the others connected and idle, switching when the
//! active one becomes unstable. libsrt gives a group an id in the socket id space (the
//! `SRTGROUP_MASK` bit set) and its data calls (`srt_sendmsg2`, `srt_recvmsg2`,
//! `srt_bstats`, `srt_setsockflag`, the epoll calls) take a group id as well as a socket id,
//! so [`SrtGroup`] holds its id in an [`SrtSocket`] and shares that type's data path.
//!
//! Bonding needs a libsrt built with `ENABLE_BONDING`, which no distribution package enables
//! (Debian's 1.5.1 has it off). [`has_bonding`] tells at run time; without it every group call
//! fails with [`Error::NoBonding`].
//!
//! ```no_run
//! use srtfu::{GroupType, SrtGroup};
//! let group = SrtGroup::create_group(GroupType::Broadcast)?;
//! let mut members = [
//!     SrtGroup::prepare_endpoint(None, "10.0.0.1:4200".parse().unwrap())?,
//!     SrtGroup::prepare_endpoint(None, "10.0.1.1:4200".parse().unwrap())?,
//! ];
//! group.connect_group(&mut members)?;
//! group.sendmsg2(b"hello over two paths", None)?;
//! for m in group.group_data()? {
//!     println!("member @{} {:?} {:?}", m.id, m.peer, m.status);
//! }
//! # Ok::<(), srtfu::Error>(())
//! ```

use std::fmt;
use std::net::SocketAddr;
use std::os::raw::c_int;
use std::sync::OnceLock;
use std::time::Duration;

use crate::addr::RawAddr;
use crate::epoll::{Epoll, EpollEvents};
use crate::error::{Error, Result};
use crate::options::{OptionValue, Readable, SockOpt, SockStatus, Writable, SRTO_GROUPCONNECT};
use crate::socket::{startup, MsgCtrl, SrtSocket, ValidateValue};
use crate::stats::Stats;
use crate::sys;

/// Whether the libsrt running was built with connection bonding (`ENABLE_BONDING`).
///
/// Found at run time, once: srtfu calls `srt_create_group` and closes the group it gets. A
/// libsrt built without bonding (every distribution's package) returns `SRT_INVALID_SOCK`.
/// When libsrt cannot start at all (a version mismatch), the answer is `false`.
pub fn has_bonding() -> bool {
    static BONDING: OnceLock<bool> = OnceLock::new();
    *BONDING.get_or_init(|| {
        if startup().is_err() {
            return false;
        }
        // SAFETY: srt_startup has run; srt_create_group takes a group type by value.
        let id = unsafe { sys::srt_create_group(sys::SRT_GTYPE_BROADCAST) };
        if id == sys::SRT_INVALID_SOCK {
            // SAFETY: clears this thread's error state; no preconditions.
            unsafe { sys::srt_clearlasterror() };
            return false;
        }
        // SAFETY: the group was just created here and nothing else knows its id.
        unsafe { sys::srt_close(id) };
        true
    })
}

/// The error every group call gives on a libsrt without bonding.
pub(crate) fn no_bonding(call: &'static str) -> Error {
    let (a, b, c) = crate::socket::version();
    Error::NoBonding {
        call,
        version: format!("{a}.{b}.{c}"),
    }
}

/// The options only a libsrt with bonding has.
pub(crate) fn is_group_option(option: &str) -> bool {
    matches!(
        option,
        "SRTO_GROUPCONNECT" | "SRTO_GROUPMINSTABLETIMEO" | "SRTO_GROUPTYPE"
    )
}

/// Fails with [`Error::NoBonding`] when the libsrt running has no bonding.
fn need_bonding(call: &'static str) -> Result<()> {
    if has_bonding() {
        Ok(())
    } else {
        Err(no_bonding(call))
    }
}

/// The type of a socket group (`SRT_GROUP_TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupType {
    /// `SRT_GTYPE_BROADCAST`: every packet over every member; the receiver keeps the first
    /// copy of each.
    Broadcast,
    /// `SRT_GTYPE_BACKUP`: one active member, the others connected and idle; libsrt switches
    /// when the active member is unstable for SRTO_GROUPMINSTABLETIMEO.
    Backup,
}

impl GroupType {
    /// libsrt's number.
    pub fn raw(self) -> sys::SRT_GROUP_TYPE {
        match self {
            GroupType::Broadcast => sys::SRT_GTYPE_BROADCAST,
            GroupType::Backup => sys::SRT_GTYPE_BACKUP,
        }
    }

    /// The type for libsrt's number (`None` for `SRT_GTYPE_UNDEFINED` and unknown ones).
    pub fn from_raw(v: i64) -> Option<GroupType> {
        match v {
            v if v == sys::SRT_GTYPE_BROADCAST as i64 => Some(GroupType::Broadcast),
            v if v == sys::SRT_GTYPE_BACKUP as i64 => Some(GroupType::Backup),
            _ => None,
        }
    }

    /// The name srt-live-transmit's URLs use (`type=broadcast`, `type=backup`).
    pub fn as_str(self) -> &'static str {
        match self {
            GroupType::Broadcast => "broadcast",
            GroupType::Backup => "backup",
        }
    }
}

impl std::str::FromStr for GroupType {
    type Err = Error;
    fn from_str(s: &str) -> Result<GroupType> {
        match s.to_ascii_lowercase().as_str() {
            "broadcast" => Ok(GroupType::Broadcast),
            "backup" => Ok(GroupType::Backup),
            _ => Err(Error::invalid_option(
                "type",
                s,
                "expected a group type: broadcast or backup",
            )),
        }
    }
}

impl fmt::Display for GroupType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A member's status in its group (`SRT_MEMBERSTATUS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberStatus {
    /// `SRT_GST_PENDING`: connecting, not ready for data yet.
    Pending,
    /// `SRT_GST_IDLE`: connected and ready to be activated (a backup group's standby).
    Idle,
    /// `SRT_GST_RUNNING`: carrying data.
    Running,
    /// `SRT_GST_BROKEN`: the link broke; libsrt removes the member.
    Broken,
    /// A status this version of srtfu does not know; the number is kept.
    Other(u32),
}

impl MemberStatus {
    fn from_raw(v: sys::SRT_MEMBERSTATUS) -> MemberStatus {
        match v {
            sys::SRT_GST_PENDING => MemberStatus::Pending,
            sys::SRT_GST_IDLE => MemberStatus::Idle,
            sys::SRT_GST_RUNNING => MemberStatus::Running,
            sys::SRT_GST_BROKEN => MemberStatus::Broken,
            v => MemberStatus::Other(v),
        }
    }
}

/// One member of a group as `srt_group_data` reports it (`SRT_SOCKGROUPDATA`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// The member socket's id.
    pub id: sys::SRTSOCKET,
    /// The peer address of the member (`None` when libsrt reports no IP address).
    pub peer: Option<SocketAddr>,
    /// The member socket's state (`SRTS_CONNECTED`, `SRTS_BROKEN`, ...).
    pub sockstate: SockStatus,
    /// The member's weight (a backup group prefers the highest).
    pub weight: u16,
    /// The member's status in the group.
    pub status: MemberStatus,
    /// The result of the last operation on this member (for a send: the bytes or -1).
    pub result: i32,
    /// The token given to the member at [`connect_group`](SrtGroup::connect_group) (-1 when
    /// none).
    pub token: i32,
}

impl GroupMember {
    fn from_raw(d: &sys::SRT_SOCKGROUPDATA) -> GroupMember {
        // SAFETY: peeraddr is a sockaddr_storage libsrt filled (or zeroed: family 0, which
        // gives None); from_sockaddr_ptr reads only as much as the family says.
        let peer = unsafe {
            crate::addr::from_sockaddr_ptr(&d.peeraddr as *const _ as *const libc::sockaddr)
        };
        GroupMember {
            id: d.id,
            peer,
            sockstate: SockStatus::from_raw(d.sockstate as i32),
            weight: d.weight,
            status: MemberStatus::from_raw(d.memberstate),
            result: d.result,
            token: d.token,
        }
    }
}

/// A set of socket options for one group member (`SRT_SOCKOPT_CONFIG`, made by
/// `srt_create_config`, freed by `srt_delete_config` on drop).
pub struct SrtConfig {
    raw: *mut sys::SRT_SOCKOPT_CONFIG,
}

// SAFETY: the config is a heap object owned by this value alone; libsrt reads it only inside
// srt_connect_group, which borrows it.
unsafe impl Send for SrtConfig {}

impl SrtConfig {
    /// Creates an empty option set (`srt_create_config`).
    ///
    /// # Errors
    /// [`Error::NoBonding`] on a libsrt without bonding (it returns NULL).
    pub fn create_config() -> Result<SrtConfig> {
        need_bonding("srt_create_config")?;
        // SAFETY: srt_create_config allocates and returns an option object (or NULL).
        let raw = unsafe { sys::srt_create_config() };
        if raw.is_null() {
            return Err(no_bonding("srt_create_config"));
        }
        Ok(SrtConfig { raw })
    }

    /// Adds an option to the set (`srt_config_add`); the constant fixes the value's type as in
    /// [`SrtSocket::setsockflag`]. libsrt (1.5.x) accepts only the options that may differ
    /// between members: SRTO_BINDTODEVICE, SRTO_CONNTIMEO, SRTO_DRIFTTRACER,
    /// SRTO_GROUPMINSTABLETIMEO, SRTO_IPTOS, SRTO_IPTTL, SRTO_KMREFRESHRATE,
    /// SRTO_KMPREANNOUNCE, SRTO_LOSSMAXTTL, SRTO_NAKREPORT, SRTO_PEERIDLETIMEO, SRTO_RCVBUF,
    /// SRTO_SNDBUF, SRTO_SNDDROPDELAY, SRTO_UDP_RCVBUF and SRTO_UDP_SNDBUF; the others
    /// (latency, passphrase, ...) are set on the group.
    ///
    /// # Errors
    /// An option libsrt does not take per member, or a value srtfu's checks refuse (the error
    /// names the option).
    pub fn config_add<T, A, V>(&mut self, opt: SockOpt<T, A>, value: V) -> Result<()>
    where
        T: OptionValue + ValidateValue,
        A: Writable,
        V: Into<T>,
    {
        let value: T = value.into();
        value.validate(opt.name())?;
        let rc = value.with_raw(|ptr, len| {
            // SAFETY: self.raw is a live option object; ptr/len describe the value in the
            // layout libsrt expects for this option and live across the call.
            unsafe { sys::srt_config_add(self.raw, opt.raw(), ptr, len) }
        });
        if rc != 0 {
            // libsrt's srt_config_add returns -1 without setting an error: srtfu words it,
            // with the code libsrt uses for a refused argument (SRT_EINVPARAM).
            return Err(crate::error::SrtError::new(
                "srt_config_add",
                crate::error::ErrorCode::InvalidParam,
                format!(
                    "{}: libsrt does not take this option (or this value) per group member",
                    opt.name()
                ),
            )
            .into());
        }
        Ok(())
    }
}

impl Drop for SrtConfig {
    fn drop(&mut self) {
        // SAFETY: raw came from srt_create_config and is deleted once, here.
        unsafe { sys::srt_delete_config(self.raw) };
    }
}

impl fmt::Debug for SrtConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrtConfig").finish_non_exhaustive()
    }
}

/// One member to connect, for [`SrtGroup::connect_group`] (`SRT_SOCKGROUPCONFIG`, made by
/// `srt_prepare_endpoint`). After the call, [`id`](Self::id) and [`error`](Self::error) say
/// what became of it.
pub struct Endpoint {
    raw: sys::SRT_SOCKGROUPCONFIG,
    target: SocketAddr,
    config: Option<SrtConfig>,
}

// SAFETY: the only pointer inside raw is the config's, owned by `config` (Send).
unsafe impl Send for Endpoint {}

impl Endpoint {
    /// Sets the member's weight (`SRT_SOCKGROUPCONFIG::weight`): in a backup group the
    /// connected member with the highest weight carries the data.
    pub fn weight(mut self, weight: u16) -> Endpoint {
        self.raw.weight = weight;
        self
    }

    /// Gives the member its own options (`SRT_SOCKGROUPCONFIG::config`).
    pub fn config(mut self, config: SrtConfig) -> Endpoint {
        self.raw.config = config.raw;
        self.config = Some(config);
        self
    }

    /// The address the member connects to.
    pub fn target(&self) -> SocketAddr {
        self.target
    }

    /// The member socket's id once [`connect_group`](SrtGroup::connect_group) made it
    /// (`None` before, or when its connection failed at once).
    pub fn id(&self) -> Option<sys::SRTSOCKET> {
        (self.raw.id != sys::SRT_INVALID_SOCK).then_some(self.raw.id)
    }

    /// libsrt's error code for this member after [`connect_group`](SrtGroup::connect_group)
    /// (`SRT_SUCCESS`, 0, when it connected or is connecting).
    pub fn error(&self) -> i32 {
        self.raw.errorcode
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("target", &self.target)
            .field("weight", &self.raw.weight)
            .field("id", &self.raw.id)
            .field("error", &self.raw.errorcode)
            .field("config", &self.config.is_some())
            .finish()
    }
}

/// A socket group: one id for several member connections (`srt_create_group`).
///
/// The data and option calls are [`SrtSocket`]'s own, made on the group id (libsrt takes a
/// group id wherever it takes a socket id for data): [`as_socket`](Self::as_socket) gives
/// that handle, and the most used ones are repeated here. Dropping the group closes it
/// (`srt_close` on the group id closes every member).
pub struct SrtGroup {
    sock: SrtSocket,
}

impl SrtGroup {
    /// Creates a group of the given type (`srt_create_group`), with libsrt's default options
    /// (live mode). Set options before [`connect_group`](Self::connect_group); they apply to
    /// every member.
    ///
    /// # Errors
    /// [`Error::NoBonding`] on a libsrt built without bonding; resources.
    pub fn create_group(gtype: GroupType) -> Result<SrtGroup> {
        startup()?;
        need_bonding("srt_create_group")?;
        // SAFETY: srt_startup has run; the type is a valid SRT_GROUP_TYPE.
        let id = unsafe { sys::srt_create_group(gtype.raw()) };
        if id == sys::SRT_INVALID_SOCK {
            return Err(Error::last("srt_create_group", None));
        }
        // SAFETY: libsrt returned a new group id that we now own; srt_close closes it.
        Ok(SrtGroup {
            sock: unsafe { SrtSocket::from_raw(id) },
        })
    }

    /// Creates a group and applies the options of an `srt://` URL (see
    /// [`GroupUrl`](crate::GroupUrl) for the group syntax) without connecting.
    ///
    /// # Errors
    /// As [`create_group`](Self::create_group); a bad option value (naming the key).
    pub fn from_url(url: &crate::GroupUrl) -> Result<SrtGroup> {
        let group = SrtGroup::create_group(url.group_type())?;
        url.options().apply_options(&group.sock)?;
        Ok(group)
    }

    /// Parses a group URL, creates the group with its options and connects its members
    /// (blocking until the first member is connected). Not one libsrt call:
    /// `srt_create_group`, `srt_setsockflag` per option, `srt_prepare_endpoint` per member,
    /// `srt_connect_group`.
    ///
    /// ```no_run
    /// let group = srtfu::SrtGroup::open(
    ///     "srt:////group?type=backup&nodes=10.0.0.1:4200?weight=1,10.0.1.1:4200&latency=200",
    /// )?;
    /// # Ok::<(), srtfu::Error>(())
    /// ```
    ///
    /// # Errors
    /// A bad URL, [`Error::NoBonding`], or no member connecting.
    pub fn open(url: &str) -> Result<SrtGroup> {
        let url: crate::GroupUrl = url.parse()?;
        let group = SrtGroup::from_url(&url)?;
        let mut members = url.endpoints()?;
        group.connect_group(&mut members)?;
        Ok(group)
    }

    /// The group's handle as an [`SrtSocket`] owning the group id (closing it closes the
    /// group), for code written for sockets: receive loops, the
    /// [`Datagramer`](crate::Datagramer).
    pub fn into_socket(self) -> SrtSocket {
        self.sock
    }

    /// Makes one member description (`srt_prepare_endpoint`): the target address and,
    /// optionally, the local address to bind the member to (`None`: any, same family as the
    /// target).
    ///
    /// # Errors
    /// [`Error::NoBonding`] on a libsrt without bonding; a source address of another family
    /// than the target.
    pub fn prepare_endpoint(source: Option<SocketAddr>, target: SocketAddr) -> Result<Endpoint> {
        need_bonding("srt_prepare_endpoint")?;
        if let Some(src) = source {
            if src.is_ipv4() != target.is_ipv4() {
                return Err(Error::invalid_argument(
                    "srt_prepare_endpoint",
                    format!("source {src} and target {target} are of different address families"),
                ));
            }
        }
        let dst = RawAddr::from(target);
        let src = source.map(RawAddr::from);
        let src_ptr = src.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
        // SAFETY: dst (and src when given) are valid sockaddrs of length dst.len (the same
        // family, so the same length), alive across the call; libsrt copies them.
        let raw = unsafe {
            sys::srt_prepare_endpoint(src_ptr as *const _, dst.as_ptr() as *const _, dst.len)
        };
        Ok(Endpoint {
            raw,
            target,
            config: None,
        })
    }

    /// Connects the members (`srt_connect_group`). In blocking mode (the default) it returns
    /// when the first member is connected, with that member's id; the others go on
    /// connecting in the background (watch [`group_data`](Self::group_data) or
    /// [`EpollEvents::UPDATE`]). Each endpoint's [`id`](Endpoint::id) and
    /// [`error`](Endpoint::error) are filled in.
    ///
    /// # Errors
    /// No endpoints; no member could connect (the error carries the reject reason of the
    /// group when libsrt reports one).
    pub fn connect_group(&self, members: &mut [Endpoint]) -> Result<sys::SRTSOCKET> {
        if members.is_empty() {
            return Err(Error::invalid_argument(
                "srt_connect_group",
                "no members to connect",
            ));
        }
        let n = c_int::try_from(members.len()).map_err(|_| {
            Error::invalid_argument("srt_connect_group", "too many members for libsrt")
        })?;
        let mut raws: Vec<sys::SRT_SOCKGROUPCONFIG> =
            members.iter().map(|m| copy_config(&m.raw)).collect();
        // SAFETY: raws is an array of n valid SRT_SOCKGROUPCONFIG that libsrt may update;
        // the option objects they point to are owned by `members`, alive across the call.
        let rc = unsafe { sys::srt_connect_group(self.sock.id(), raws.as_mut_ptr(), n) };
        for (m, r) in members.iter_mut().zip(&raws) {
            m.raw.id = r.id;
            m.raw.errorcode = r.errorcode;
            m.raw.token = r.token;
        }
        if rc == sys::SRT_ERROR {
            let mut e = crate::error::SrtError::last("srt_connect_group", Some(self.sock.id()));
            // libsrt 1.5.5 reports a rejected group as SRT_ECONNLOST; the reason is on the
            // group or on the member sockets.
            if e.reject.is_none() {
                let ids = std::iter::once(self.sock.id()).chain(raws.iter().map(|r| r.id));
                e.reject = ids
                    .filter(|&id| id != sys::SRT_INVALID_SOCK)
                    // SAFETY: srt_getrejectreason accepts any id (SRT_REJ_UNKNOWN if invalid).
                    .map(|id| unsafe { sys::srt_getrejectreason(id) })
                    .find(|&r| r != sys::SRT_REJ_UNKNOWN as c_int)
                    .map(crate::RejectReason::from_raw);
                match e.reject {
                    Some(r) => e.reword(|m| format!("the listener rejected the group: {r} ({m})")),
                    None if e.code() == crate::ErrorCode::ConnLost => e.reword(|m| {
                        format!(
                            "{m}: every member failed; libsrt 1.5.5 reports a group that the \
                             listener refused (one without SRTO_GROUPCONNECT, say) this way, \
                             without a reject reason"
                        )
                    }),
                    None => {}
                }
            }
            return Err(Error::Srt(e));
        }
        Ok(rc)
    }

    /// The members and their states (`srt_group_data`).
    ///
    /// # Errors
    /// The group is closed or invalid.
    pub fn group_data(&self) -> Result<Vec<GroupMember>> {
        group_data_of(self.sock.id())
    }

    /// The group id (an `SRTSOCKET` with the `SRTGROUP_MASK` bit set).
    pub fn id(&self) -> sys::SRTSOCKET {
        self.sock.id()
    }

    /// The group as an [`SrtSocket`] handle: libsrt's data, option, state and statistics
    /// calls take a group id, so every such method of `SrtSocket` works on the group
    /// (`send`, `recvmsg`, `setsockflag`, `getsockflag`, `bistats`, `set_blocking`, ...).
    /// Connection calls (`bind`, `connect`, `listen`) do not apply to a group.
    pub fn as_socket(&self) -> &SrtSocket {
        &self.sock
    }

    /// Sends one message over the group (`srt_sendmsg2` on the group id); see
    /// [`SrtSocket::sendmsg2`].
    ///
    /// # Errors
    /// As [`SrtSocket::sendmsg2`]; no member connected.
    pub fn sendmsg2(&self, buf: &[u8], ctrl: Option<MsgCtrl>) -> Result<(usize, MsgCtrl)> {
        self.sock.sendmsg2(buf, ctrl)
    }

    /// [`sendmsg2`](Self::sendmsg2) that also reports each member's part in the send (the
    /// message control's group data, `SRT_MSGCTRL::grpdata`) into `members` (cleared first).
    ///
    /// # Errors
    /// As [`sendmsg2`](Self::sendmsg2).
    pub fn sendmsg2_members(
        &self,
        buf: &[u8],
        ctrl: Option<MsgCtrl>,
        members: &mut Vec<GroupMember>,
    ) -> Result<(usize, MsgCtrl)> {
        let mut room = GroupData::new(members.capacity());
        let mut raw = ctrl.unwrap_or_default().to_raw();
        room.attach(&mut raw);
        let n = self.sock.sendmsg2_raw(buf, &mut raw)?;
        room.read(&raw, members);
        Ok((n, MsgCtrl::from_raw(&raw)))
    }

    /// Receives one message from the group (`srt_recvmsg2` on the group id): a broadcast
    /// group delivers each message once, whichever member brought it first.
    ///
    /// **libsrt 1.5.5 (and earlier bonding builds) can stall here**: in about 6 % of runs of
    /// a two-member broadcast group, a receive waits out its whole SRTO_RCVTIMEO although the
    /// members hold messages whose play time has passed (a lost TSBPD wake-up in libsrt's
    /// group read path). The next call delivers them, in order, and nothing is lost. So read
    /// with a short SRTO_RCVTIMEO and call again on a timeout, as the
    /// [`datagramer`](crate::datagramer()) over a group does (slices of
    /// [`GROUP_RECV_SLICE`](crate::GROUP_RECV_SLICE)), rather than
    /// taking one long timeout as the end of the stream. RELIABILITY.md, "Broadcast receive
    /// stall (libsrt 1.5.5)", has the cause and the counts.
    ///
    /// # Errors
    /// As [`SrtSocket::recvmsg2`].
    pub fn recvmsg2(&self, buf: &mut [u8]) -> Result<(usize, MsgCtrl)> {
        self.sock.recvmsg2(buf).map_err(|e| self.recv_timeout(e))
    }

    /// [`recvmsg2`](Self::recvmsg2) that also reports the members' states (the message
    /// control's group data) into `members` (cleared first). When the group has more members
    /// than `members` has capacity, libsrt reports none for this message and the capacity is
    /// raised for the next call.
    ///
    /// # Errors
    /// As [`recvmsg2`](Self::recvmsg2).
    pub fn recvmsg2_members(
        &self,
        buf: &mut [u8],
        members: &mut Vec<GroupMember>,
    ) -> Result<(usize, MsgCtrl)> {
        let mut room = GroupData::new(members.capacity());
        let mut raw = MsgCtrl::default().to_raw();
        room.attach(&mut raw);
        let n = self
            .sock
            .recvmsg2_raw(buf, &mut raw)
            .map_err(|e| self.recv_timeout(e))?;
        room.read(&raw, members);
        Ok((n, MsgCtrl::from_raw(&raw)))
    }

    /// Sends bytes over the group (`srt_send` on the group id).
    ///
    /// # Errors
    /// As [`SrtSocket::send`].
    pub fn send(&self, buf: &[u8]) -> Result<usize> {
        self.sock.send(buf)
    }

    /// Receives one message from the group (`srt_recvmsg` on the group id). The receive
    /// stall described at [`recvmsg2`](Self::recvmsg2) applies here too.
    ///
    /// # Errors
    /// As [`SrtSocket::recvmsg`]; the end of SRTO_RCVTIMEO is a timeout
    /// ([`Error::is_timeout`]), also where libsrt says `SRT_EASYNCRCV`.
    pub fn recvmsg(&self, buf: &mut [u8]) -> Result<usize> {
        self.sock.recvmsg(buf).map_err(|e| self.recv_timeout(e))
    }

    /// libsrt (1.5.5) ends a blocking group receive at SRTO_RCVTIMEO with `SRT_EASYNCRCV`,
    /// where a socket reports `SRT_ETIMEOUT`; srtfu reports the timeout as a socket would, so
    /// [`Error::is_timeout`] holds for both.
    fn recv_timeout(&self, e: Error) -> Error {
        let blocking = self
            .sock
            .getsockflag(crate::options::SRTO_RCVSYN)
            .unwrap_or(false);
        match e.code() {
            Some(crate::ErrorCode::AsyncRecv) if blocking => {
                let call = e.srt().map_or("srt_recvmsg2", |s| s.call());
                Error::Srt(crate::error::SrtError::new(
                    call,
                    crate::ErrorCode::Timeout,
                    "no message within SRTO_RCVTIMEO (libsrt reports SRT_EASYNCRCV for a \
                     blocking group)"
                        .into(),
                ))
            }
            _ => e,
        }
    }

    /// Sets an option on the group (`srt_setsockflag` on the group id): it applies to every
    /// member, present and future.
    ///
    /// # Errors
    /// As [`SrtSocket::setsockflag`].
    pub fn setsockflag<T, A, V>(&self, opt: SockOpt<T, A>, value: V) -> Result<()>
    where
        T: OptionValue + ValidateValue,
        A: Writable,
        V: Into<T>,
    {
        self.sock.setsockflag(opt, value)
    }

    /// Reads an option of the group (`srt_getsockflag` on the group id).
    ///
    /// # Errors
    /// As [`SrtSocket::getsockflag`].
    pub fn getsockflag<T, A>(&self, opt: SockOpt<T, A>) -> Result<T>
    where
        T: OptionValue,
        A: Readable,
    {
        self.sock.getsockflag(opt)
    }

    /// The group's state (`srt_getsockstate` on the group id): connected while a member is.
    pub fn getsockstate(&self) -> SockStatus {
        self.sock.getsockstate()
    }

    /// Statistics of the group (`srt_bstats` on the group id).
    ///
    /// # Errors
    /// As [`SrtSocket::bstats`].
    pub fn bstats(&self, clear: bool) -> Result<Stats> {
        self.sock.bstats(clear)
    }

    /// Statistics with instantaneous values (`srt_bistats` on the group id).
    ///
    /// # Errors
    /// As [`SrtSocket::bistats`].
    pub fn bistats(&self, clear: bool, instantaneous: bool) -> Result<Stats> {
        self.sock.bistats(clear, instantaneous)
    }

    /// Sets blocking or non-blocking mode on the group (SRTO_RCVSYN and SRTO_SNDSYN).
    ///
    /// # Errors
    /// As [`SrtSocket::set_blocking`].
    pub fn set_blocking(&self, blocking: bool) -> Result<()> {
        self.sock.set_blocking(blocking)
    }

    /// Sets the group's receive timeout (`SRTO_RCVTIMEO`); `None` waits forever.
    ///
    /// # Errors
    /// As [`SrtSocket::set_read_timeout`].
    pub fn set_read_timeout(&self, t: Option<Duration>) -> Result<()> {
        self.sock.set_read_timeout(t)
    }

    /// Watches the group on `epoll` (`srt_epoll_add_usock` with the group id): readiness of
    /// the group's data, and [`EpollEvents::UPDATE`] when its member list changes.
    ///
    /// # Errors
    /// As [`Epoll::add_usock`].
    pub fn epoll_add_usock(&self, epoll: &Epoll, events: EpollEvents) -> Result<()> {
        epoll.add_usock(&self.sock, events)
    }

    /// Closes the group and all its members now (`srt_close` on the group id).
    ///
    /// # Errors
    /// Whatever libsrt reports.
    pub fn close(self) -> Result<()> {
        self.sock.close_ref()
    }

    /// Closes the group through a shared reference (`srt_close`), waking calls blocked on it
    /// in other threads; see [`SrtSocket::close_ref`].
    ///
    /// # Errors
    /// Whatever libsrt reports.
    pub fn close_ref(&self) -> Result<()> {
        self.sock.close_ref()
    }
}

impl fmt::Debug for SrtGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("SrtGroup");
        d.field("id", &self.sock.id())
            .field("state", &self.getsockstate());
        if let Ok(m) = self.group_data() {
            d.field("members", &m);
        }
        d.finish()
    }
}

/// An all-zero `SRT_SOCKGROUPDATA`, for libsrt to fill (bindgen derives no Default for it).
fn zeroed_member() -> sys::SRT_SOCKGROUPDATA {
    // SAFETY: SRT_SOCKGROUPDATA is a C struct of integers and a sockaddr_storage (bytes);
    // all-zero is a valid value of each field.
    unsafe { std::mem::zeroed() }
}

/// A bitwise copy of an `SRT_SOCKGROUPCONFIG` (bindgen derives no Clone for it).
fn copy_config(raw: &sys::SRT_SOCKGROUPCONFIG) -> sys::SRT_SOCKGROUPCONFIG {
    // SAFETY: SRT_SOCKGROUPCONFIG is plain C data (integers, address bytes and a pointer to
    // an option object it does not own) with no Drop; a bitwise copy is what C would do.
    unsafe { std::ptr::read(raw) }
}

/// Room for the message control's group data (`SRT_MSGCTRL::grpdata`).
struct GroupData {
    raws: Vec<sys::SRT_SOCKGROUPDATA>,
}

impl GroupData {
    fn new(capacity: usize) -> GroupData {
        let mut raws = Vec::new();
        raws.resize_with(capacity.max(4), zeroed_member);
        GroupData { raws }
    }
    fn attach(&mut self, raw: &mut sys::SRT_MSGCTRL) {
        raw.grpdata = self.raws.as_mut_ptr();
        raw.grpdata_size = self.raws.len();
    }
    /// Copies what libsrt reported into `out`; when the room was too small (libsrt then sets
    /// grpdata to NULL and grpdata_size to the member count), reserves room for next time.
    fn read(&self, raw: &sys::SRT_MSGCTRL, out: &mut Vec<GroupMember>) {
        out.clear();
        if raw.grpdata.is_null() {
            out.reserve(raw.grpdata_size);
            return;
        }
        let n = raw.grpdata_size.min(self.raws.len());
        out.extend(self.raws[..n].iter().map(GroupMember::from_raw));
    }
}

/// What a listener with SRTO_GROUPCONNECT accepted: a group or a single socket
/// ([`SrtSocket::accept_group`]).
#[derive(Debug)]
pub enum Accepted {
    /// A single-socket caller.
    Socket(SrtSocket),
    /// A group caller: libsrt's `srt_accept` returned a group id (`SRTGROUP_MASK` set); its
    /// members are the connections that the caller's group made to this listener.
    Group(SrtGroup),
}

impl Accepted {
    /// The accepted id, socket or group.
    pub fn id(&self) -> sys::SRTSOCKET {
        match self {
            Accepted::Socket(s) => s.id(),
            Accepted::Group(g) => g.id(),
        }
    }
    /// The data handle, whichever was accepted (libsrt's data calls take both).
    pub fn as_socket(&self) -> &SrtSocket {
        match self {
            Accepted::Socket(s) => s,
            Accepted::Group(g) => g.as_socket(),
        }
    }
}

/// The members of group `id` and their states (`srt_group_data`).
fn group_data_of(id: sys::SRTSOCKET) -> Result<Vec<GroupMember>> {
    let mut raws: Vec<sys::SRT_SOCKGROUPDATA> = Vec::new();
    for _ in 0..8 {
        let mut len: usize = raws.len();
        let ptr = if raws.is_empty() {
            std::ptr::null_mut()
        } else {
            raws.as_mut_ptr()
        };
        // SAFETY: ptr is NULL (libsrt then only reports the size) or an array of len
        // valid entries libsrt may fill; len is a valid in/out size.
        let rc = unsafe { sys::srt_group_data(id, ptr, &mut len) };
        if rc == sys::SRT_ERROR {
            let e = Error::last("srt_group_data", None);
            // The group grew between the two calls: ask again with room for it.
            if len > raws.len() {
                raws.resize_with(len, zeroed_member);
                continue;
            }
            return Err(e);
        }
        if ptr.is_null() {
            if len == 0 {
                return Ok(Vec::new());
            }
            raws.resize_with(len, zeroed_member);
            continue;
        }
        let n = (rc.max(0) as usize).min(raws.len());
        return Ok(raws[..n].iter().map(GroupMember::from_raw).collect());
    }
    Err(Error::invalid_argument(
        "srt_group_data",
        "the member list kept changing size while being read",
    ))
}

/// An accepted id as a group or a single socket.
fn accepted(sock: SrtSocket) -> Accepted {
    if is_group_id(sock.id()) {
        Accepted::Group(SrtGroup { sock })
    } else {
        Accepted::Socket(sock)
    }
}

/// The caller's address of an accepted group `sock`: its first member's peer that libsrt
/// knows (libsrt's `srt_getpeername` answers SRT_ENOCONN on a group id).
pub(crate) fn accepted_group_peer(sock: &SrtSocket) -> Result<SocketAddr> {
    let members = group_data_of(sock.id())?;
    members.iter().find_map(|m| m.peer).ok_or_else(|| {
        Error::Srt(crate::error::SrtError::new(
            "srt_group_data",
            crate::error::ErrorCode::NoConn,
            format!(
                "accepted group @{} has no member with a peer address: {members:?}",
                sock.id()
            ),
        ))
    })
}

/// True when `id` names a group (`SRTGROUP_MASK` set), not a socket.
pub fn is_group_id(id: sys::SRTSOCKET) -> bool {
    id != sys::SRT_INVALID_SOCK && (id & sys::SRTGROUP_MASK) != 0
}

/// Group-related calls on a socket (listener side, and a member's group).
impl SrtSocket {
    /// Allows (or forbids) group callers on this listener (`SRTO_GROUPCONNECT`); set it
    /// before [`listen`](Self::listen). With it, [`accept`](Self::accept) may return a group
    /// id: use [`accept_group`](Self::accept_group) to tell which.
    ///
    /// # Errors
    /// [`Error::NoBonding`] on a libsrt without bonding; after `listen`, libsrt refuses.
    pub fn set_groupconnect(&self, allow: bool) -> Result<()> {
        need_bonding("SRTO_GROUPCONNECT")?;
        self.setsockflag(SRTO_GROUPCONNECT, allow as i32)
    }

    /// Accepts one pending connection (`srt_accept`) and tells a group caller from a single
    /// socket: [`Accepted::Group`] when libsrt returned a group id. With the address of the
    /// caller (of its first member, for a group).
    ///
    /// # Errors
    /// As [`accept`](Self::accept).
    pub fn accept_group(&self) -> Result<(Accepted, SocketAddr)> {
        let (sock, addr) = self.accept()?;
        Ok((accepted(sock), addr))
    }

    /// As [`accept_bond`](Self::accept_bond) (whichever of `listeners` has a caller first,
    /// waiting at most `timeout`), telling a group caller from a single socket as
    /// [`accept_group`](Self::accept_group) does. For a group, the address is its first
    /// member's peer. The listeners need SRTO_GROUPCONNECT to accept groups; the other
    /// members of an accepted group may arrive on any of them and join it without a further
    /// accept.
    ///
    /// # Errors
    /// As [`accept_bond`](Self::accept_bond).
    pub fn accept_bond_group(
        listeners: &[&SrtSocket],
        timeout: Option<Duration>,
    ) -> Result<(Accepted, SocketAddr)> {
        let (sock, addr) = SrtSocket::accept_bond(listeners, timeout)?;
        Ok((accepted(sock), addr))
    }

    /// Whether this socket id is a group's (`SRTGROUP_MASK`), as after a plain
    /// [`accept`](Self::accept) on a listener with SRTO_GROUPCONNECT.
    pub fn is_group(&self) -> bool {
        is_group_id(self.id())
    }

    /// The id of the group this socket is a member of (`srt_groupof`), `None` for a socket
    /// outside any group.
    ///
    /// # Errors
    /// [`Error::NoBonding`] on a libsrt without bonding.
    pub fn groupof(&self) -> Result<Option<sys::SRTSOCKET>> {
        need_bonding("srt_groupof")?;
        // SAFETY: plain call on any id; an invalid one gives SRT_INVALID_SOCK.
        let g = unsafe { sys::srt_groupof(self.id()) };
        // SAFETY: clears this thread's error state (a socket outside a group sets one).
        unsafe { sys::srt_clearlasterror() };
        Ok((g != sys::SRT_INVALID_SOCK).then_some(g))
    }
}
