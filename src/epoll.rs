//! `Epoll`: libsrt's own readiness multiplexer (`srt_epoll_*`).
//!
//! SRT sockets are not file descriptors, so the system's epoll/poll cannot watch them; libsrt
//! has its own. An [`Epoll`] owns one epoll id (`srt_epoll_create`, released on drop with
//! `srt_epoll_release`); its methods carry the C names without the `srt_epoll_` prefix.
//!
//! ```no_run
//! use srtfu::{Epoll, EpollBuffers, EpollEvents, SrtSocket};
//! use std::time::Duration;
//!
//! let listener = SrtSocket::new_raw()?;
//! listener.bind("127.0.0.1:4201")?;
//! listener.listen(16)?;
//! listener.set_blocking(false)?;
//! let ep = Epoll::new()?;
//! ep.add_usock(&listener, EpollEvents::IN | EpollEvents::ERR)?;
//! let mut buf = EpollBuffers::new(); // one per waiting thread
//! for ev in ep.uwait(&mut buf, Some(Duration::from_millis(500)))? {
//!     println!("socket {} is ready: {:?}", ev.socket(), ev.events());
//! }
//! # Ok::<(), srtfu::Error>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::os::raw::c_int;
use std::os::unix::io::RawFd;
use std::sync::{Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorCode, Result, SrtError};
use crate::options::SockStatus;
use crate::socket::{check, startup, SrtSocket};
use crate::sys;

bitflags::bitflags! {
    /// Events to watch for, or that happened (`SRT_EPOLL_OPT`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct EpollEvents: u32 {
        /// `SRT_EPOLL_IN`: data to read, or (on a listener) a caller to accept.
        const IN = sys::SRT_EPOLL_IN;
        /// `SRT_EPOLL_OUT`: room to send, or (on a non-blocking caller) connected.
        const OUT = sys::SRT_EPOLL_OUT;
        /// `SRT_EPOLL_ERR`: the socket broke, was closed, or its connect failed.
        const ERR = sys::SRT_EPOLL_ERR;
        /// `SRT_EPOLL_UPDATE`: a group's or listener's member list changed (edge-triggered
        /// by nature).
        const UPDATE = sys::SRT_EPOLL_UPDATE;
        /// `SRT_EPOLL_ET`: report the other events edge-triggered (once per change) instead
        /// of level-triggered (as long as the state lasts).
        const ET = sys::SRT_EPOLL_ET;
    }
}

impl EpollEvents {
    /// `SRT_EPOLL_ACCEPT`, libsrt's other name for [`IN`](Self::IN) on a listener.
    pub const ACCEPT: EpollEvents = EpollEvents::IN;
    /// `SRT_EPOLL_CONNECT`, libsrt's other name for [`OUT`](Self::OUT) on a caller.
    pub const CONNECT: EpollEvents = EpollEvents::OUT;
}

bitflags::bitflags! {
    /// Behaviour flags of an epoll (`SRT_EPOLL_FLAGS`, set with [`Epoll::set`]).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct EpollFlags: u32 {
        /// `SRT_EPOLL_ENABLE_EMPTY`: waiting with no socket registered waits for the timeout
        /// instead of failing with `SRT_EPOLLEMPTY` ([`ErrorCode::PollEmpty`]).
        const ENABLE_EMPTY = sys::SRT_EPOLL_ENABLE_EMPTY;
        /// `SRT_EPOLL_ENABLE_OUTPUTCHECK`: a wait fails when given no place for ready
        /// sockets while some are subscribed ([`Epoll::wait_into`] with a `None` list,
        /// [`Epoll::wait`] and [`Epoll::uwait`] always give one).
        const ENABLE_OUTPUTCHECK = sys::SRT_EPOLL_ENABLE_OUTPUTCHECK;
    }
}

/// One ready socket as [`Epoll::uwait`] reports it (`SRT_EPOLL_EVENT`), with only the
/// events it was subscribed for.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct EpollEvent(sys::SRT_EPOLL_EVENT);

impl EpollEvent {
    /// The ready socket's id (compare with [`SrtSocket::id`]).
    pub fn socket(&self) -> sys::SRTSOCKET {
        self.0.fd
    }

    /// What happened on it.
    pub fn events(&self) -> EpollEvents {
        EpollEvents::from_bits_retain(self.0.events as u32)
    }

    /// True when `events` contains `ev`.
    pub fn is(&self, ev: EpollEvents) -> bool {
        self.events().contains(ev)
    }
}

impl fmt::Debug for EpollEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EpollEvent")
            .field("socket", &self.socket())
            .field("events", &self.events())
            .finish()
    }
}

/// What [`Epoll::wait`] found ready: slices into the caller's buffers.
///
/// Only sockets subscribed for what a list means appear in it (see [`Epoll`], "Only what was
/// subscribed").
#[derive(Debug, Clone, Copy)]
pub struct Ready<'a> {
    /// SRT sockets ready to read or accept, or broken. libsrt itself lists a broken socket
    /// in *both* lists, whatever it was subscribed for; srtfu keeps it here only when it was
    /// subscribed for IN or ERR.
    pub readable: &'a [sys::SRTSOCKET],
    /// SRT sockets ready to write or newly connected, or broken; kept here only when
    /// subscribed for OUT or ERR.
    pub writable: &'a [sys::SRTSOCKET],
    /// System sockets ready to read.
    pub sys_readable: &'a [RawFd],
    /// System sockets ready to write.
    pub sys_writable: &'a [RawFd],
}

impl Ready<'_> {
    /// True when nothing is ready (the wait timed out).
    pub fn is_empty(&self) -> bool {
        self.readable.is_empty()
            && self.writable.is_empty()
            && self.sys_readable.is_empty()
            && self.sys_writable.is_empty()
    }
}

const INITIAL_CAPACITY: usize = 16;
const EMPTY_EVENT: EpollEvent = EpollEvent(sys::SRT_EPOLL_EVENT { fd: 0, events: 0 });

impl Default for EpollEvent {
    /// An empty slot (socket 0, no events), to size a buffer for [`Epoll::uwait_into`].
    fn default() -> Self {
        EMPTY_EVENT
    }
}

/// The buffers one waiting thread brings to [`Epoll::wait`] and [`Epoll::uwait`].
///
/// Each thread that waits keeps its own; the [`Epoll`] holds none, so any number of threads
/// can wait on it and register sockets at the same time. The buffers grow when more sockets
/// are ready than they hold (that happens while the load rises, never in steady state), so a
/// steady-state wait allocates nothing. For a buffer that never grows, use
/// [`Epoll::uwait_into`] or [`Epoll::wait_into`] with slices of your own.
#[derive(Debug, Clone)]
pub struct EpollBuffers {
    read: Vec<sys::SRTSOCKET>,
    write: Vec<sys::SRTSOCKET>,
    sys_read: Vec<sys::SYSSOCKET>,
    sys_write: Vec<sys::SYSSOCKET>,
    events: Vec<EpollEvent>,
}

impl EpollBuffers {
    /// Buffers with room for 16 ready sockets of each kind to start with.
    pub fn new() -> EpollBuffers {
        EpollBuffers::with_capacity(INITIAL_CAPACITY)
    }

    /// Buffers with room for `n` ready sockets of each kind to start with (at least 1).
    pub fn with_capacity(n: usize) -> EpollBuffers {
        let n = n.max(1);
        EpollBuffers {
            read: vec![0; n],
            write: vec![0; n],
            sys_read: vec![0; n],
            sys_write: vec![0; n],
            events: vec![EMPTY_EVENT; n],
        }
    }
}

impl Default for EpollBuffers {
    fn default() -> Self {
        EpollBuffers::new()
    }
}

/// One libsrt epoll (`srt_epoll_create`); dropping it calls `srt_epoll_release`.
///
/// # Threads
/// Every method takes `&self`: one thread can sit in [`uwait`](Self::uwait) (even with no
/// timeout) while others [`add_usock`](Self::add_usock), [`update_usock`](Self::update_usock)
/// and [`remove_usock`](Self::remove_usock); share it with an `Arc<Epoll>`. A socket added
/// while another thread waits is seen by that wait (libsrt looks at its ready list again at
/// least every 10 ms while it waits). The waits take the caller's buffers
/// ([`EpollBuffers`], or plain slices with [`uwait_into`](Self::uwait_into) /
/// [`wait_into`](Self::wait_into)), and take no lock while libsrt waits.
///
/// # Only what was subscribed
/// libsrt can report events a socket was not subscribed for: when a connection fails or
/// breaks it raises IN, OUT and ERR together, and the socket's ready entry takes all three if
/// any one of them was subscribed. A non-blocking caller subscribed for `OUT | ERR | ET`
/// whose connect fails gets `IN | OUT | ERR`, then `IN` from every later
/// `srt_epoll_uwait` for good (the edge trigger clears only subscribed events), so an
/// edge-triggered loop spins; libsrt 1.5.1 to 1.5.5 do this from C too. srtfu hides it:
///
/// - it remembers what each socket was subscribed for and reports only that (ERR is reported
///   as ERR; in [`wait`](Self::wait)'s lists a socket appears only in the lists its
///   subscription covers);
/// - for an edge-triggered subscription it asks libsrt for IN, OUT and ERR too (edge-triggered,
///   so libsrt clears each of them once reported), which keeps stray events from sticking;
///   their edges wake a waiting thread, which srtfu answers by waiting again.
///
/// A wait that finds only events nobody subscribed for waits on; if those come from a
/// level-triggered subscription (so they would be reported again at once), srtfu pauses 10 ms
/// before it asks again rather than spin.
///
/// # Seed spellings
/// The socket-side spellings of the seed exist too: [`SrtSocket::epoll_add_usock`],
/// [`SrtSocket::epoll_update_usock`] and [`SrtSocket::epoll_remove_usock`]. Creating and
/// waiting are not about one socket, so `srt_epoll_create` is [`Epoll::create`] (or
/// [`Epoll::new`]) and `srt_epoll_wait` is [`Epoll::wait`], with no `SrtSocket` spelling.
pub struct Epoll {
    id: c_int,
    // What each socket was subscribed for, as the caller asked (before the ET widening).
    //
    // Why an RwLock and not something lock-free: the waiting thread takes the read side only
    // after libsrt's wait has returned, for the few look-ups of the sockets it reports; it is
    // never held while libsrt waits, so a registration from another thread never waits for a
    // wait to end. Registrations take the write side only for one HashMap operation (the
    // libsrt call runs outside it, under `reg`). Uncontended, a read lock is one atomic
    // operation and no allocation. A lock-free map would need an epoch scheme or a crate for
    // a table that changes only on (rare) registrations.
    subs: RwLock<HashMap<sys::SRTSOCKET, EpollEvents>>,
    // Serialises registrations, so the table and libsrt's subscriptions change in the same
    // order when two threads change the same socket. Holds the table size at which stale
    // entries are next pruned.
    reg: Mutex<usize>,
}

// `Epoll` is `Send` and `Sync` by Rust's own rules (an integer id, a RwLock and a Mutex).
// What those rules cannot see is libsrt's side, which is what makes sharing one epoll id
// between threads sound: libsrt keeps every epoll in one table (`CEPoll::m_mPolls`) guarded by
// one mutex, `CEPoll::m_EPollLock` (srtcore/epoll.cpp). `create`, `release`, `add_usock` /
// `update_usock` / `remove_usock` (all through `CEPoll::update_usock` and
// `removeSubscription`), `setflags`, and the socket threads' `update_events` each take it for
// their whole work; `uwait` and `wait` take it for each look at the ready list and release it
// while they sleep (`CGlobEvent::waitForEvent`, 10 ms at most, then look again). So a
// registration from another thread never races a wait, and is seen by it within one round.
// The buffers a wait fills belong to the caller, never to the epoll.
const _: () = {
    const fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<Epoll>();
};

const MIN_PRUNE: usize = 64;
// A pause before waiting again when every event found was one nobody subscribed for and
// libsrt would report it again at once (level-triggered): libsrt's own wait granularity.
const STRAY_PAUSE: Duration = Duration::from_millis(10);

fn len_c(v: usize) -> c_int {
    c_int::try_from(v).unwrap_or(c_int::MAX)
}

/// The point a wait gives up at; `None` waits forever.
#[derive(Clone, Copy)]
struct Deadline(Option<Instant>);

impl Deadline {
    fn new(timeout: Option<Duration>) -> Deadline {
        // A timeout too long for Instant is as good as forever.
        Deadline(timeout.and_then(|t| Instant::now().checked_add(t)))
    }

    /// The milliseconds left, as libsrt takes them (-1: forever).
    fn ms(self) -> i64 {
        match self.0 {
            None => -1,
            Some(end) => {
                let left = end.saturating_duration_since(Instant::now());
                i64::try_from(left.as_millis()).unwrap_or(i64::MAX)
            }
        }
    }

    fn passed(self) -> bool {
        self.0.is_some_and(|end| Instant::now() >= end)
    }

    fn pause(self, d: Duration) {
        let d = match self.0 {
            None => d,
            Some(end) => d.min(end.saturating_duration_since(Instant::now())),
        };
        std::thread::sleep(d);
    }
}

/// What srtfu asks libsrt for, given what the caller subscribed for (see [`Epoll`], "Only
/// what was subscribed").
fn libsrt_events(user: EpollEvents) -> EpollEvents {
    let watched = user - EpollEvents::ET;
    if user.contains(EpollEvents::ET) && !watched.is_empty() {
        user | EpollEvents::IN | EpollEvents::OUT | EpollEvents::ERR
    } else {
        // ET alone (which libsrt refuses) or level-triggered: as asked.
        user
    }
}

/// The socket's state by id (`srt_getsockstate`).
fn state_of(id: sys::SRTSOCKET) -> SockStatus {
    // SAFETY: plain call with an integer id; an unknown id yields SRTS_NONEXIST.
    SockStatus::from_raw(unsafe { sys::srt_getsockstate(id) } as i32)
}

/// `srt_epoll_uwait` into `events`.
fn raw_uwait(eid: c_int, events: &mut [EpollEvent], ms: i64) -> c_int {
    // SAFETY: EpollEvent is repr(transparent) over SRT_EPOLL_EVENT, so `events` is
    // `events.len()` valid SRT_EPOLL_EVENTs; libsrt writes at most that many.
    unsafe {
        sys::srt_epoll_uwait(
            eid,
            events.as_mut_ptr() as *mut sys::SRT_EPOLL_EVENT,
            len_c(events.len()),
            ms,
        )
    }
}

/// One list for `srt_epoll_wait`: its buffer and count, or nulls when the caller gave none.
fn list_arg(list: &mut Option<&mut [c_int]>, count: &mut c_int) -> (*mut c_int, *mut c_int) {
    match list {
        Some(l) => {
            *count = len_c(l.len());
            (l.as_mut_ptr(), count as *mut c_int)
        }
        None => (std::ptr::null_mut(), std::ptr::null_mut()),
    }
}

/// The four lists of one `srt_epoll_wait`; `None` (or an empty slice) asks libsrt for none.
struct Lists<'x> {
    read: Option<&'x mut [sys::SRTSOCKET]>,
    write: Option<&'x mut [sys::SRTSOCKET]>,
    sys_read: Option<&'x mut [sys::SYSSOCKET]>,
    sys_write: Option<&'x mut [sys::SYSSOCKET]>,
}

/// `srt_epoll_wait` into `lists`: Ok(None) on a timeout, else the count written to each.
fn raw_wait(eid: c_int, lists: &mut Lists<'_>, ms: i64) -> Result<Option<[usize; 4]>> {
    let mut n = [0 as c_int; 4];
    let [rn, wn, lrn, lwn] = &mut n;
    let (r, rn) = list_arg(&mut lists.read, rn);
    let (w, wn) = list_arg(&mut lists.write, wn);
    let (lr, lrn) = list_arg(&mut lists.sys_read, lrn);
    let (lw, lwn) = list_arg(&mut lists.sys_write, lwn);
    // SAFETY: each list is null with a null count, or a buffer valid for writes of the count
    // passed with it; libsrt writes at most that many entries and stores the number written
    // back into the count.
    let rc = unsafe { sys::srt_epoll_wait(eid, r, rn, w, wn, ms, lr, lrn, lw, lwn) };
    if rc < 0 {
        // A timeout is not an error here. SrtError::last copies no text (the message is made
        // only when asked for), so an idle wait allocates nothing.
        let e = SrtError::last("srt_epoll_wait", None);
        if e.code() == ErrorCode::Timeout {
            return Ok(None);
        }
        return Err(Error::Srt(e));
    }
    let cap = |l: &Option<&mut [c_int]>| l.as_ref().map_or(0, |l| l.len());
    let take = |n: c_int, cap: usize| (n.max(0) as usize).min(cap);
    Ok(Some([
        take(n[0], cap(&lists.read)),
        take(n[1], cap(&lists.write)),
        take(n[2], cap(&lists.sys_read)),
        take(n[3], cap(&lists.sys_write)),
    ]))
}

/// Keeps, at the front of `list[..n]`, the sockets whose subscription `keep` accepts;
/// returns how many, and whether one dropped was subscribed level-triggered.
fn keep_subscribed(
    list: &mut Option<&mut [sys::SRTSOCKET]>,
    n: usize,
    subs: &HashMap<sys::SRTSOCKET, EpollEvents>,
    covers: EpollEvents,
) -> (usize, bool) {
    let Some(list) = list else { return (0, false) };
    let (mut kept, mut level) = (0, false);
    for i in 0..n {
        let sub = subs.get(&list[i]).copied().unwrap_or(EpollEvents::empty());
        if sub.intersects(covers) {
            list[kept] = list[i];
            kept += 1;
        } else if !sub.is_empty() && !sub.contains(EpollEvents::ET) {
            level = true;
        }
    }
    (kept, level)
}

fn prefix<T>(list: Option<&mut [T]>, n: usize) -> &[T] {
    match list {
        Some(l) => &l[..n],
        None => &[],
    }
}

impl Epoll {
    /// Creates an epoll (`srt_epoll_create`). Same as [`new`](Self::new).
    ///
    /// # Errors
    /// When libsrt cannot create one (resources).
    pub fn create() -> Result<Epoll> {
        startup()?;
        // SAFETY: srt_startup has run; srt_epoll_create has no other preconditions.
        let id = unsafe { sys::srt_epoll_create() };
        let id = check(id, "srt_epoll_create", None)?;
        crate::socket::live_inc();
        Ok(Epoll {
            id,
            subs: RwLock::new(HashMap::new()),
            reg: Mutex::new(MIN_PRUNE),
        })
    }

    /// Creates an epoll (`srt_epoll_create`).
    ///
    /// # Errors
    /// As [`create`](Self::create).
    pub fn new() -> Result<Epoll> {
        Epoll::create()
    }

    /// The libsrt epoll id.
    pub fn id(&self) -> c_int {
        self.id
    }

    fn subs(&self) -> RwLockReadGuard<'_, HashMap<sys::SRTSOCKET, EpollEvents>> {
        self.subs.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn subs_mut(&self) -> RwLockWriteGuard<'_, HashMap<sys::SRTSOCKET, EpollEvents>> {
        self.subs.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `events` for `sock`, then has libsrt subscribe it (`libsrt` makes the call
    /// with the events to ask for). The table changes first so that an event libsrt
    /// reports as soon as it knows the subscription is not masked away; on failure the old
    /// entry comes back.
    fn subscribe(
        &self,
        call: &'static str,
        sock: sys::SRTSOCKET,
        events: EpollEvents,
        libsrt: impl FnOnce(c_int) -> c_int,
    ) -> Result<()> {
        let mut prune_at = self.reg.lock().unwrap_or_else(PoisonError::into_inner);
        let watched = !(events - EpollEvents::ET).is_empty();
        let old = if watched {
            self.subs_mut().insert(sock, events)
        } else {
            // No event: libsrt removes the subscription (or refuses ET alone).
            self.subs_mut().remove(&sock)
        };
        let rc = libsrt(libsrt_events(events).bits() as c_int);
        if let Err(e) = check(rc, call, None) {
            let mut subs = self.subs_mut();
            match old {
                Some(o) => subs.insert(sock, o),
                None => subs.remove(&sock),
            };
            return Err(e);
        }
        if old.is_none() && watched {
            self.prune(&mut prune_at);
        }
        Ok(())
    }

    /// libsrt forgets a socket by itself once the socket is gone; drop such entries from the
    /// table when it has doubled since the last look (amortised: a look per doubling).
    fn prune(&self, prune_at: &mut usize) {
        let ids: Vec<sys::SRTSOCKET> = {
            let subs = self.subs();
            if subs.len() < *prune_at {
                return;
            }
            subs.keys().copied().collect()
        };
        let gone: Vec<sys::SRTSOCKET> = ids
            .into_iter()
            .filter(|&id| state_of(id) == SockStatus::NonExist)
            .collect();
        let mut subs = self.subs_mut();
        for id in gone {
            subs.remove(&id);
        }
        *prune_at = (subs.len() * 2).max(MIN_PRUNE);
    }

    /// Watches an SRT socket for `events` (`srt_epoll_add_usock`). Adding a socket already
    /// watched replaces its events. Only the events asked for are ever reported for it (see
    /// [`Epoll`], "Only what was subscribed").
    ///
    /// Add a listener before callers can arrive: libsrt 1.5.1 does not look at a listener's
    /// backlog when it is added, so callers already pending raise IN only when the next one
    /// comes (a connected socket's buffered data, by contrast, is reported at once).
    ///
    /// # Errors
    /// An invalid or closed socket, or a released epoll.
    pub fn add_usock(&self, sock: &SrtSocket, events: EpollEvents) -> Result<()> {
        self.add_usock_id(sock.id(), events)
    }

    /// [`add_usock`](Self::add_usock) by socket id (`srt_epoll_add_usock`).
    ///
    /// # Errors
    /// As [`add_usock`](Self::add_usock).
    pub fn add_usock_id(&self, sock: sys::SRTSOCKET, events: EpollEvents) -> Result<()> {
        self.subscribe("srt_epoll_add_usock", sock, events, |ev| {
            // SAFETY: ev is a valid int read during the call; ids are checked by libsrt.
            unsafe { sys::srt_epoll_add_usock(self.id, sock, &ev) }
        })
    }

    /// Changes the events watched on an SRT socket (`srt_epoll_update_usock`).
    ///
    /// # Errors
    /// An invalid socket, or a released epoll.
    pub fn update_usock(&self, sock: &SrtSocket, events: EpollEvents) -> Result<()> {
        let id = sock.id();
        self.subscribe("srt_epoll_update_usock", id, events, |ev| {
            // SAFETY: ev is a valid int read during the call.
            unsafe { sys::srt_epoll_update_usock(self.id, id, &ev) }
        })
    }

    /// Stops watching an SRT socket (`srt_epoll_remove_usock`). libsrt also forgets a
    /// socket by itself when it is closed.
    ///
    /// # Errors
    /// A released epoll.
    pub fn remove_usock(&self, sock: &SrtSocket) -> Result<()> {
        self.remove_usock_id(sock.id())
    }

    /// [`remove_usock`](Self::remove_usock) by socket id (`srt_epoll_remove_usock`).
    ///
    /// # Errors
    /// A released epoll.
    pub fn remove_usock_id(&self, sock: sys::SRTSOCKET) -> Result<()> {
        let _reg = self.reg.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: plain call with two integer ids.
        let rc = unsafe { sys::srt_epoll_remove_usock(self.id, sock) };
        // libsrt first, then the table: an event reported in between is still masked with
        // the subscription it was raised under.
        self.subs_mut().remove(&sock);
        check(rc, "srt_epoll_remove_usock", None).map(drop)
    }

    /// Watches a system socket (a UDP or TCP file descriptor) for `events`
    /// (`srt_epoll_add_ssock`); it is reported by [`wait`](Self::wait) only, not by
    /// [`uwait`](Self::uwait). Only IN, OUT and ERR apply.
    ///
    /// # Errors
    /// A released epoll or a descriptor the system refuses.
    pub fn add_ssock(&self, fd: RawFd, events: EpollEvents) -> Result<()> {
        let ev = events.bits() as c_int;
        // SAFETY: ev is a valid int read during the call; libsrt only registers the fd.
        let rc = unsafe { sys::srt_epoll_add_ssock(self.id, fd, &ev) };
        check(rc, "srt_epoll_add_ssock", None).map(drop)
    }

    /// Changes the events watched on a system socket (`srt_epoll_update_ssock`).
    ///
    /// # Errors
    /// A released epoll or a descriptor not watched.
    pub fn update_ssock(&self, fd: RawFd, events: EpollEvents) -> Result<()> {
        let ev = events.bits() as c_int;
        // SAFETY: ev is a valid int read during the call.
        let rc = unsafe { sys::srt_epoll_update_ssock(self.id, fd, &ev) };
        check(rc, "srt_epoll_update_ssock", None).map(drop)
    }

    /// Stops watching a system socket (`srt_epoll_remove_ssock`).
    ///
    /// # Errors
    /// A released epoll or a descriptor not watched.
    pub fn remove_ssock(&self, fd: RawFd) -> Result<()> {
        // SAFETY: plain call with integer ids.
        let rc = unsafe { sys::srt_epoll_remove_ssock(self.id, fd) };
        check(rc, "srt_epoll_remove_ssock", None).map(drop)
    }

    /// Stops watching every SRT socket (`srt_epoll_clear_usocks`).
    ///
    /// # Errors
    /// A released epoll.
    pub fn clear_usocks(&self) -> Result<()> {
        let _reg = self.reg.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: plain call with the epoll id.
        let rc = unsafe { sys::srt_epoll_clear_usocks(self.id) };
        check(rc, "srt_epoll_clear_usocks", None)?;
        self.subs_mut().clear();
        Ok(())
    }

    /// Sets the epoll's flags (`srt_epoll_set`), replacing the previous ones, which it
    /// returns.
    ///
    /// # Errors
    /// A released epoll.
    pub fn set(&self, flags: EpollFlags) -> Result<EpollFlags> {
        let old = self.flags()?;
        // SAFETY: plain call; flags are bits libsrt defines.
        let rc = unsafe { sys::srt_epoll_set(self.id, flags.bits() as i32) };
        check(rc, "srt_epoll_set", None)?;
        Ok(old)
    }

    /// The epoll's flags (`srt_epoll_set` with -1, which only reads them).
    ///
    /// # Errors
    /// A released epoll.
    pub fn flags(&self) -> Result<EpollFlags> {
        // SAFETY: plain call; -1 asks libsrt for the flags without changing them.
        let rc = unsafe { sys::srt_epoll_set(self.id, -1) };
        let rc = check(rc, "srt_epoll_set", None)?;
        Ok(EpollFlags::from_bits_retain(rc as u32))
    }

    /// `srt_epoll_wait` into `lists`, masked with the subscriptions, until something
    /// subscribed is ready or the deadline passes. Returns the counts kept in each list
    /// and whether libsrt filled each list.
    fn wait_lists(
        &self,
        lists: &mut Lists<'_>,
        deadline: Deadline,
    ) -> Result<([usize; 4], [bool; 4])> {
        loop {
            let Some(n) = raw_wait(self.id, lists, deadline.ms())? else {
                return Ok(([0; 4], [false; 4]));
            };
            let full =
                |l: &Option<&mut [c_int]>, n: usize| l.as_ref().is_some_and(|l| n == l.len());
            let filled = [
                full(&lists.read, n[0]),
                full(&lists.write, n[1]),
                full(&lists.sys_read, n[2]),
                full(&lists.sys_write, n[3]),
            ];
            let (r, w) = {
                let subs = self.subs();
                let r = keep_subscribed(
                    &mut lists.read,
                    n[0],
                    &subs,
                    EpollEvents::IN | EpollEvents::ERR,
                );
                let w = keep_subscribed(
                    &mut lists.write,
                    n[1],
                    &subs,
                    EpollEvents::OUT | EpollEvents::ERR,
                );
                (r, w)
            };
            let kept = [r.0, w.0, n[2], n[3]];
            if kept.iter().any(|&k| k > 0) || deadline.passed() {
                return Ok((kept, filled));
            }
            if r.1 || w.1 {
                deadline.pause(STRAY_PAUSE);
            }
        }
    }

    /// Waits until a watched socket is ready or the timeout passes (`srt_epoll_wait`);
    /// `None` waits forever, `Some(Duration::ZERO)` only checks. `buf` is this thread's
    /// [`EpollBuffers`].
    ///
    /// Returns the ready lists (slices of `buf`); they are empty when the timeout passed
    /// (libsrt's `SRT_ETIMEOUT` is not an error here). A broken socket shows in the lists
    /// its subscription covers: readable for IN or ERR, writable for OUT or ERR; use
    /// [`uwait`](Self::uwait) to see ERR as such. When a list comes back full, it grows for
    /// the next call; level-triggered sockets that did not fit are still ready then, but
    /// libsrt has already cleared the edge of an edge-triggered one that did not fit (use
    /// [`uwait`](Self::uwait) for edge-triggered sockets).
    ///
    /// # Errors
    /// Nothing is watched (`SRT_EPOLLEMPTY`, [`ErrorCode::PollEmpty`]) unless
    /// [`EpollFlags::ENABLE_EMPTY`] is set; a released epoll.
    pub fn wait<'b>(
        &self,
        buf: &'b mut EpollBuffers,
        timeout: Option<Duration>,
    ) -> Result<Ready<'b>> {
        let mut lists = Lists {
            read: Some(&mut buf.read),
            write: Some(&mut buf.write),
            sys_read: Some(&mut buf.sys_read),
            sys_write: Some(&mut buf.sys_write),
        };
        let (n, full) = self.wait_lists(&mut lists, Deadline::new(timeout))?;
        // A full list may mean more were ready: grow for the next wait. Growth happens while
        // the load rises, never in steady state.
        let grow = |v: &mut Vec<c_int>, full: bool| {
            if full {
                v.resize(v.len() * 2, 0);
            }
        };
        grow(&mut buf.read, full[0]);
        grow(&mut buf.write, full[1]);
        grow(&mut buf.sys_read, full[2]);
        grow(&mut buf.sys_write, full[3]);
        Ok(Ready {
            readable: &buf.read[..n[0]],
            writable: &buf.write[..n[1]],
            sys_readable: &buf.sys_read[..n[2]],
            sys_writable: &buf.sys_write[..n[3]],
        })
    }

    /// [`wait`](Self::wait) into the caller's own lists (`srt_epoll_wait`), which never
    /// grow: each is filled up to its length. A list given as `None` (or empty) is passed to
    /// libsrt as NULL, so libsrt ignores that kind of readiness: with `write: None`, a
    /// socket ready only to write does not end the wait (unless
    /// [`EpollFlags::ENABLE_OUTPUTCHECK`] is set, which makes that an error).
    ///
    /// # Errors
    /// As [`wait`](Self::wait); also libsrt's refusal when every list is `None` and the
    /// timeout is `None` (a wait that could never end).
    pub fn wait_into<'b>(
        &self,
        read: Option<&'b mut [sys::SRTSOCKET]>,
        write: Option<&'b mut [sys::SRTSOCKET]>,
        sys_read: Option<&'b mut [RawFd]>,
        sys_write: Option<&'b mut [RawFd]>,
        timeout: Option<Duration>,
    ) -> Result<Ready<'b>> {
        let some = |l: Option<&'b mut [c_int]>| l.filter(|l| !l.is_empty());
        let mut lists = Lists {
            read: some(read),
            write: some(write),
            sys_read: some(sys_read),
            sys_write: some(sys_write),
        };
        let (n, _) = self.wait_lists(&mut lists, Deadline::new(timeout))?;
        Ok(Ready {
            readable: prefix(lists.read, n[0]),
            writable: prefix(lists.write, n[1]),
            sys_readable: prefix(lists.sys_read, n[2]),
            sys_writable: prefix(lists.sys_write, n[3]),
        })
    }

    /// `srt_epoll_uwait` into `events`, masked with the subscriptions, until something
    /// subscribed is ready or the deadline passes. Returns how many entries were kept (at
    /// the front of `events`) and whether libsrt filled the buffer.
    fn uwait_masked(&self, events: &mut [EpollEvent], deadline: Deadline) -> Result<(usize, bool)> {
        if events.is_empty() {
            return Err(Error::invalid_argument(
                "srt_epoll_uwait",
                "the event buffer is empty: give it room for at least one event",
            ));
        }
        loop {
            let rc = raw_uwait(self.id, events, deadline.ms());
            let n = (check(rc, "srt_epoll_uwait", None)? as usize).min(events.len());
            if n == 0 {
                return Ok((0, false));
            }
            let (mut kept, mut level) = (0, false);
            {
                let subs = self.subs();
                for i in 0..n {
                    let ev = events[i];
                    let sub = subs
                        .get(&ev.socket())
                        .copied()
                        .unwrap_or(EpollEvents::empty());
                    let shown = ev.events() & (sub - EpollEvents::ET);
                    if shown.is_empty() {
                        level |= !sub.is_empty() && !sub.contains(EpollEvents::ET);
                        continue;
                    }
                    events[kept] = EpollEvent(sys::SRT_EPOLL_EVENT {
                        fd: ev.socket(),
                        events: shown.bits() as c_int,
                    });
                    kept += 1;
                }
            }
            let full = n == events.len();
            if kept > 0 || deadline.passed() {
                return Ok((kept, full));
            }
            if level {
                deadline.pause(STRAY_PAUSE);
            }
        }
    }

    /// Waits for events on SRT sockets and reports each ready socket with its events
    /// (`srt_epoll_uwait`); `None` waits forever. `buf` is this thread's [`EpollBuffers`];
    /// the events are a slice of it. An empty slice means the timeout passed. System
    /// sockets are not reported here (use [`wait`](Self::wait)).
    ///
    /// When libsrt fills the buffer, more may be ready: the buffer grows and libsrt is asked
    /// again at once, so one call reports every ready socket, each once.
    ///
    /// # Errors
    /// Nothing is watched (`SRT_EPOLLEMPTY`, [`ErrorCode::PollEmpty`]) unless
    /// [`EpollFlags::ENABLE_EMPTY`] is set; a released epoll.
    pub fn uwait<'b>(
        &self,
        buf: &'b mut EpollBuffers,
        timeout: Option<Duration>,
    ) -> Result<&'b [EpollEvent]> {
        let events = &mut buf.events;
        let (mut filled, mut full) = self.uwait_masked(events, Deadline::new(timeout))?;
        while full {
            // libsrt filled every slot, so more may be ready: grow (this happens while the
            // load rises, not in steady state) and look again without waiting.
            let old = events.len();
            events.resize(old * 2, EMPTY_EVENT);
            let (n, f) =
                self.uwait_masked(&mut events[old..], Deadline::new(Some(Duration::ZERO)))?;
            full = f;
            // Level-triggered sockets come again; keep each socket once, with all its events.
            for i in old..old + n {
                let ev = events[i];
                match events[..filled]
                    .iter()
                    .position(|e| e.socket() == ev.socket())
                {
                    Some(j) => events[j].0.events |= ev.0.events,
                    None => {
                        events[filled] = ev;
                        filled += 1;
                    }
                }
            }
        }
        Ok(&buf.events[..filled])
    }

    /// [`uwait`](Self::uwait) into the caller's own slice (`srt_epoll_uwait`), which never
    /// grows: at most `events.len()` sockets are reported; the others stay ready for the
    /// next call (libsrt clears an edge-triggered event only when it reports it). Returns
    /// the front of `events` that was filled; empty when the timeout passed.
    ///
    /// # Errors
    /// As [`uwait`](Self::uwait); an empty `events` is refused (libsrt would report nothing).
    pub fn uwait_into<'b>(
        &self,
        events: &'b mut [EpollEvent],
        timeout: Option<Duration>,
    ) -> Result<&'b [EpollEvent]> {
        let (n, _) = self.uwait_masked(events, Deadline::new(timeout))?;
        Ok(&events[..n])
    }
}

impl Drop for Epoll {
    fn drop(&mut self) {
        // SAFETY: we own the epoll id; nothing uses it after drop.
        let rc = unsafe { sys::srt_epoll_release(self.id) };
        if rc < 0 {
            log::warn!(
                "srt_epoll_release({}): {}",
                self.id,
                Error::last("srt_epoll_release", None)
            );
        }
        crate::socket::live_dec();
    }
}

impl fmt::Debug for Epoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Epoll").field("id", &self.id).finish()
    }
}

/// The seed's socket-side spellings of the epoll calls.
impl SrtSocket {
    /// Watches this socket on `epoll` (`srt_epoll_add_usock`); same as
    /// [`Epoll::add_usock`].
    ///
    /// # Errors
    /// As [`Epoll::add_usock`].
    pub fn epoll_add_usock(&self, epoll: &Epoll, events: EpollEvents) -> Result<()> {
        epoll.add_usock(self, events)
    }

    /// Changes the events watched for this socket (`srt_epoll_update_usock`); same as
    /// [`Epoll::update_usock`].
    ///
    /// # Errors
    /// As [`Epoll::update_usock`].
    pub fn epoll_update_usock(&self, epoll: &Epoll, events: EpollEvents) -> Result<()> {
        epoll.update_usock(self, events)
    }

    /// Stops watching this socket on `epoll` (`srt_epoll_remove_usock`); same as
    /// [`Epoll::remove_usock`].
    ///
    /// # Errors
    /// As [`Epoll::remove_usock`].
    pub fn epoll_remove_usock(&self, epoll: &Epoll) -> Result<()> {
        epoll.remove_usock(self)
    }
}
