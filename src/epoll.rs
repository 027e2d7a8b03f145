//! `Epoll`: libsrt's own readiness multiplexer (`srt_epoll_*`).
//!
//! SRT sockets are not file descriptors, so the system's epoll/poll cannot watch them; libsrt
//! has its own. An [`Epoll`] owns one epoll id (`srt_epoll_create`, released on drop with
//! `srt_epoll_release`); its methods carry the C names without the `srt_epoll_` prefix.
//!
//! ```no_run
//! use srtfu::{Epoll, EpollEvents, SrtSocket};
//! use std::time::Duration;
//!
//! let listener = SrtSocket::new_raw()?;
//! listener.bind("127.0.0.1:4201")?;
//! listener.listen(16)?;
//! listener.set_blocking(false)?;
//! let mut ep = Epoll::new()?;
//! ep.add_usock(&listener, EpollEvents::IN | EpollEvents::ERR)?;
//! for ev in ep.uwait(Some(Duration::from_millis(500)))? {
//!     println!("socket {} is ready: {:?}", ev.socket(), ev.events());
//! }
//! # Ok::<(), srtfu::Error>(())
//! ```

use std::fmt;
use std::os::raw::c_int;
use std::os::unix::io::RawFd;
use std::time::Duration;

use crate::error::{Error, ErrorCode, Result, SrtError};
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
        /// `SRT_EPOLL_ENABLE_OUTPUTCHECK`: [`Epoll::wait`] fails when given no place for
        /// write-ready sockets while some are subscribed for OUT (srtfu always gives one).
        const ENABLE_OUTPUTCHECK = sys::SRT_EPOLL_ENABLE_OUTPUTCHECK;
    }
}

/// One ready socket as [`Epoll::uwait`] reports it (`SRT_EPOLL_EVENT`).
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

/// What [`Epoll::wait`] found ready: slices into the epoll's reused buffers.
#[derive(Debug, Clone, Copy)]
pub struct Ready<'a> {
    /// SRT sockets ready to read or accept, or broken (libsrt lists broken sockets in both
    /// lists they were subscribed for).
    pub readable: &'a [sys::SRTSOCKET],
    /// SRT sockets ready to write or newly connected, or broken.
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

/// One libsrt epoll (`srt_epoll_create`); dropping it calls `srt_epoll_release`.
///
/// Registration methods take `&self`; the waits take `&mut self` because they fill buffers
/// the epoll keeps and reuses, so a steady-state wait allocates nothing. The buffers grow
/// when more sockets are ready than they hold: [`uwait`](Self::uwait) then grows and looks
/// again at once, so one call reports every ready socket; [`wait`](Self::wait) reports what
/// fits and grows for the next call (libsrt keeps the others ready, level-triggered).
///
/// `Epoll` is `Send` and `Sync` without any unsafe code: it holds an integer id and plain
/// buffers. That is sound because libsrt guards its epoll table with its own lock
/// (`CEPoll::m_EPollLock`), so `srt_epoll_add_usock` and friends may run on any thread, also
/// while another thread waits on the same id.
///
/// The socket-side spellings of the seed exist too: [`SrtSocket::epoll_add_usock`],
/// [`SrtSocket::epoll_update_usock`] and [`SrtSocket::epoll_remove_usock`]. Creating and
/// waiting are not about one socket, so `srt_epoll_create` is [`Epoll::create`] (or
/// [`Epoll::new`]) and `srt_epoll_wait` is [`Epoll::wait`], with no `SrtSocket` spelling.
pub struct Epoll {
    id: c_int,
    read: Vec<sys::SRTSOCKET>,
    write: Vec<sys::SRTSOCKET>,
    sys_read: Vec<sys::SYSSOCKET>,
    sys_write: Vec<sys::SYSSOCKET>,
    events: Vec<EpollEvent>,
}

fn wait_ms(t: Option<Duration>) -> i64 {
    match t {
        None => -1,
        Some(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
    }
}

fn len_c(v: usize) -> c_int {
    c_int::try_from(v).unwrap_or(c_int::MAX)
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
        let empty = EpollEvent(sys::SRT_EPOLL_EVENT::default());
        Ok(Epoll {
            id,
            read: vec![0; INITIAL_CAPACITY],
            write: vec![0; INITIAL_CAPACITY],
            sys_read: vec![0; INITIAL_CAPACITY],
            sys_write: vec![0; INITIAL_CAPACITY],
            events: vec![empty; INITIAL_CAPACITY],
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

    /// Watches an SRT socket for `events` (`srt_epoll_add_usock`). Adding a socket already
    /// watched replaces its events.
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
        let ev = events.bits() as c_int;
        // SAFETY: ev is a valid int read during the call; ids are checked by libsrt.
        let rc = unsafe { sys::srt_epoll_add_usock(self.id, sock, &ev) };
        check(rc, "srt_epoll_add_usock", None).map(drop)
    }

    /// Changes the events watched on an SRT socket (`srt_epoll_update_usock`).
    ///
    /// # Errors
    /// An invalid socket, or a released epoll.
    pub fn update_usock(&self, sock: &SrtSocket, events: EpollEvents) -> Result<()> {
        let ev = events.bits() as c_int;
        // SAFETY: ev is a valid int read during the call.
        let rc = unsafe { sys::srt_epoll_update_usock(self.id, sock.id(), &ev) };
        check(rc, "srt_epoll_update_usock", None).map(drop)
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
        // SAFETY: plain call with two integer ids.
        let rc = unsafe { sys::srt_epoll_remove_usock(self.id, sock) };
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
        // SAFETY: plain call with the epoll id.
        let rc = unsafe { sys::srt_epoll_clear_usocks(self.id) };
        check(rc, "srt_epoll_clear_usocks", None).map(drop)
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

    /// Waits until a watched socket is ready or the timeout passes (`srt_epoll_wait`);
    /// `None` waits forever, `Some(Duration::ZERO)` only checks.
    ///
    /// Returns the ready lists; they are empty when the timeout passed (libsrt's
    /// `SRT_ETIMEOUT` is not an error here). A broken socket shows in the lists it was
    /// watched for (IN and/or OUT); use [`uwait`](Self::uwait) to see ERR as such.
    ///
    /// # Errors
    /// Nothing is watched (`SRT_EPOLLEMPTY`, [`ErrorCode::PollEmpty`]) unless
    /// [`EpollFlags::ENABLE_EMPTY`] is set; a released epoll.
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<Ready<'_>> {
        let mut rn = len_c(self.read.len());
        let mut wn = len_c(self.write.len());
        let mut lrn = len_c(self.sys_read.len());
        let mut lwn = len_c(self.sys_write.len());
        // SAFETY: each buffer is valid for writes of the count passed with it; libsrt writes
        // at most that many entries and stores the number written back into the count.
        let rc = unsafe {
            sys::srt_epoll_wait(
                self.id,
                self.read.as_mut_ptr(),
                &mut rn,
                self.write.as_mut_ptr(),
                &mut wn,
                wait_ms(timeout),
                self.sys_read.as_mut_ptr(),
                &mut lrn,
                self.sys_write.as_mut_ptr(),
                &mut lwn,
            )
        };
        if rc < 0 {
            // A timeout is not an error here. SrtError::last copies no text (the message is
            // made only when asked for), so an idle wait allocates nothing.
            let e = SrtError::last("srt_epoll_wait", None);
            if e.code() == ErrorCode::Timeout {
                return Ok(Ready {
                    readable: &[],
                    writable: &[],
                    sys_readable: &[],
                    sys_writable: &[],
                });
            }
            return Err(Error::Srt(e));
        }
        let take = |n: c_int, cap: usize| (n.max(0) as usize).min(cap);
        let (rn, wn) = (take(rn, self.read.len()), take(wn, self.write.len()));
        let (lrn, lwn) = (
            take(lrn, self.sys_read.len()),
            take(lwn, self.sys_write.len()),
        );
        // A full list may mean more were ready: grow for the next wait (the others stay
        // ready, level-triggered). Growth happens while the load rises, never in steady state.
        let grow = |v: &mut Vec<c_int>, n: usize| {
            if n == v.len() {
                v.resize(n * 2, 0);
            }
        };
        grow(&mut self.read, rn);
        grow(&mut self.write, wn);
        grow(&mut self.sys_read, lrn);
        grow(&mut self.sys_write, lwn);
        Ok(Ready {
            readable: &self.read[..rn],
            writable: &self.write[..wn],
            sys_readable: &self.sys_read[..lrn],
            sys_writable: &self.sys_write[..lwn],
        })
    }

    /// Waits for events on SRT sockets and reports each ready socket with its events
    /// (`srt_epoll_uwait`); `None` waits forever. An empty slice means the timeout passed.
    /// System sockets are not reported here (use [`wait`](Self::wait)).
    ///
    /// # Errors
    /// Nothing is watched (`SRT_EPOLLEMPTY`, [`ErrorCode::PollEmpty`]) unless
    /// [`EpollFlags::ENABLE_EMPTY`] is set; a released epoll.
    pub fn uwait(&mut self, timeout: Option<Duration>) -> Result<&[EpollEvent]> {
        let mut ms = wait_ms(timeout);
        let mut filled = 0;
        loop {
            let cap = self.events.len() - filled;
            // SAFETY: EpollEvent is repr(transparent) over SRT_EPOLL_EVENT, so the buffer
            // after the first `filled` entries is `cap` valid SRT_EPOLL_EVENTs; libsrt writes
            // at most `cap` of them.
            let rc = unsafe {
                sys::srt_epoll_uwait(
                    self.id,
                    self.events[filled..].as_mut_ptr() as *mut sys::SRT_EPOLL_EVENT,
                    len_c(cap),
                    ms,
                )
            };
            let n = (check(rc, "srt_epoll_uwait", None)? as usize).min(cap);
            if filled == 0 {
                filled = n;
            } else {
                // A second look (see below): level-triggered sockets come again; keep each
                // socket once, with all its events.
                let start = filled;
                for i in start..start + n {
                    let ev = self.events[i];
                    match self.events[..filled]
                        .iter()
                        .position(|f| f.socket() == ev.socket())
                    {
                        Some(j) => self.events[j].0.events |= ev.0.events,
                        None => {
                            self.events[filled] = ev;
                            filled += 1;
                        }
                    }
                }
            }
            if n < cap {
                return Ok(&self.events[..filled]);
            }
            // libsrt filled every slot, so more may be ready: grow (this happens while the
            // load rises, not in steady state) and look again without waiting.
            let empty = EpollEvent(sys::SRT_EPOLL_EVENT::default());
            self.events.resize(self.events.len() * 2, empty);
            ms = 0;
        }
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
