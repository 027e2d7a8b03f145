//! The one reactor of the process behind the async sockets (`tokio` feature).
//!
//! A single thread, named `srtfu-reactor`, waits in `srt_epoll_uwait` with no timeout on one
//! shared [`Epoll`], where every async socket is subscribed edge-triggered for IN, OUT and ERR.
//! When libsrt reports a socket, the thread wakes the wakers stored for it: IN or ERR wakes
//! the readers (receive, accept), OUT or ERR the writers (send, connect). It never runs an
//! operation itself.
//!
//! An operation ([`Registration::poll_io`]) is first tried on the non-blocking socket; only
//! when libsrt answers would-block (`SRT_EASYNCRCV` / `SRT_EASYNCSND`) does it store the
//! task's waker, and then it tries once more: an edge that libsrt raised between the first
//! try and the storing of the waker is seen by that second try, and an edge after it finds
//! the waker. This is the readiness model of tokio and mio (edge-triggered, readiness
//! forgotten on would-block), except that srtfu keeps no ready bits at all: the operation
//! itself is the readiness test.
//!
//! Registering and removing a socket change the [`Epoll`] from the task's thread while the
//! reactor waits ([`Epoll`] takes `&self` and is safe to share); nothing waits for the
//! reactor's current `uwait`. The reactor starts with the first async socket. When the last
//! one is removed, libsrt's `uwait` fails with `SRT_EPOLLEMPTY` (the epoll has no
//! `ENABLE_EMPTY` flag), and the thread ends; the next async socket starts a new one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::epoll::{Epoll, EpollBuffers, EpollEvents};
use crate::error::{ErrorCode, Result};
use crate::options::SockStatus;
use crate::socket::SrtSocket;
use crate::sys;

/// Which wakers an operation waits with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Receive and accept: woken by IN or ERR.
    Read,
    /// Send and connect: woken by OUT or ERR.
    Write,
}

/// The wakers waiting on one socket.
#[derive(Default)]
struct Waiters {
    read: Vec<Waker>,
    write: Vec<Waker>,
}

impl Waiters {
    fn list(&mut self, dir: Direction) -> &mut Vec<Waker> {
        match dir {
            Direction::Read => &mut self.read,
            Direction::Write => &mut self.write,
        }
    }
}

/// What the reactor keeps for one socket.
#[derive(Default)]
struct ScheduledIo {
    waiters: Mutex<Waiters>,
}

impl ScheduledIo {
    fn waiters(&self) -> MutexGuard<'_, Waiters> {
        self.waiters.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the wakers that `events` concern, into `out`.
    fn take(&self, events: EpollEvents, out: &mut Vec<Waker>) {
        let mut w = self.waiters();
        if events.intersects(EpollEvents::IN | EpollEvents::ERR) {
            out.append(&mut w.read);
        }
        if events.intersects(EpollEvents::OUT | EpollEvents::ERR) {
            out.append(&mut w.write);
        }
    }
}

struct Reactor {
    epoll: Epoll,
    ios: Mutex<HashMap<sys::SRTSOCKET, Arc<ScheduledIo>>>,
}

impl Reactor {
    fn ios(&self) -> MutexGuard<'_, HashMap<sys::SRTSOCKET, Arc<ScheduledIo>>> {
        self.ios.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The running reactor, if any. Held while a socket registers and while the reactor decides
/// to end, so that a registration never lands on a reactor that is ending.
static CURRENT: Mutex<Option<Arc<Reactor>>> = Mutex::new(None);
/// Reactor threads alive (0 or 1; for tests and diagnostics).
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// The name of the reactor thread, as `/proc/self/task/*/comm` shows it.
pub const REACTOR_THREAD_NAME: &str = "srtfu-reactor";

/// How many reactor threads are running: 1 while any async socket exists, 0 once the last
/// one is gone and the thread has ended. For tests and diagnostics.
pub fn reactor_threads() -> usize {
    THREADS.load(Ordering::Acquire)
}

/// How many sockets the running reactor watches (0 when none runs). For tests and
/// diagnostics: after every async socket but `n` is dropped, this is `n`.
pub fn reactor_sockets() -> usize {
    let current = CURRENT.lock().unwrap_or_else(PoisonError::into_inner);
    current.as_ref().map_or(0, |r| r.ios().len())
}

const SUBSCRIPTION: EpollEvents = EpollEvents::IN
    .union(EpollEvents::OUT)
    .union(EpollEvents::ERR)
    .union(EpollEvents::ET);

/// A socket's membership in the reactor: created by [`Registration::new`], removed on drop.
pub(crate) struct Registration {
    reactor: Arc<Reactor>,
    id: sys::SRTSOCKET,
    io: Arc<ScheduledIo>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("socket", &self.id)
            .field("epoll", &self.reactor.epoll.id())
            .finish()
    }
}

impl Registration {
    /// Subscribes `sock` to the reactor, starting the reactor thread if none runs.
    ///
    /// # Errors
    /// libsrt refuses the subscription (a closed socket), or the thread cannot be started.
    pub(crate) fn new(sock: &SrtSocket) -> Result<Registration> {
        let id = sock.id();
        let io = Arc::new(ScheduledIo::default());
        let mut current = CURRENT.lock().unwrap_or_else(PoisonError::into_inner);
        let reactor = match current.as_ref() {
            Some(r) => Arc::clone(r),
            None => {
                let r = Arc::new(Reactor {
                    epoll: Epoll::new()?,
                    ios: Mutex::new(HashMap::new()),
                });
                let for_thread = Arc::clone(&r);
                THREADS.fetch_add(1, Ordering::AcqRel);
                let spawned = std::thread::Builder::new()
                    .name(REACTOR_THREAD_NAME.into())
                    .spawn(move || run(for_thread));
                if let Err(e) = spawned {
                    THREADS.fetch_sub(1, Ordering::AcqRel);
                    return Err(crate::error::Error::io(
                        "starting the srtfu reactor thread",
                        e,
                    ));
                }
                *current = Some(Arc::clone(&r));
                r
            }
        };
        reactor.ios().insert(id, Arc::clone(&io));
        if let Err(e) = reactor.epoll.add_usock_id(id, SUBSCRIPTION) {
            reactor.ios().remove(&id);
            // The thread (if just started) sees an empty epoll and ends.
            return Err(e);
        }
        drop(current);
        Ok(Registration { reactor, id, io })
    }

    /// Runs `op` until it does not would-block: tried first; on would-block the task's
    /// waker is stored for `dir`, then `op` is tried once more (an edge between the two is
    /// not lost) and `Pending` returned if it would block again.
    pub(crate) fn poll_io<T>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut() -> Result<T>,
    ) -> Poll<Result<T>> {
        self.poll_ready(cx, dir, || match op() {
            Err(e) if e.is_would_block() => None,
            other => Some(other),
        })
    }

    /// [`poll_io`](Self::poll_io) for receiving data on a connected socket (`recv`,
    /// `recvmsg`, `recvmsg2`). When libsrt's `SRTO_EVENT` says nothing is ready to read,
    /// the first try is skipped: a receive that would block costs a C++ exception inside
    /// libsrt (about 1.7 µs, see BENCHMARKS.md), the option about 30 ns. The try after the
    /// waker is stored is still the operation itself, so an edge is never lost, whatever
    /// `SRTO_EVENT` said.
    pub(crate) fn poll_recv_io<T>(
        &self,
        cx: &mut Context<'_>,
        sock: &SrtSocket,
        mut op: impl FnMut() -> Result<T>,
    ) -> Poll<Result<T>> {
        if !nothing_to_read(sock) {
            return self.poll_io(cx, Direction::Read, op);
        }
        self.register(cx, Direction::Read);
        match op() {
            Err(e) if e.is_would_block() => Poll::Pending,
            other => Poll::Ready(other),
        }
    }

    /// [`poll_io`](Self::poll_io) for a check that answers `None` while it would block.
    pub(crate) fn poll_ready<T>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut check: impl FnMut() -> Option<T>,
    ) -> Poll<T> {
        if let Some(done) = check() {
            return Poll::Ready(done);
        }
        self.register(cx, dir);
        match check() {
            Some(done) => Poll::Ready(done),
            None => Poll::Pending,
        }
    }

    /// Stores the task's waker for `dir`, unless a waker of the same task is already there.
    fn register(&self, cx: &mut Context<'_>, dir: Direction) {
        let mut w = self.io.waiters();
        let list = w.list(dir);
        if !list.iter().any(|k| k.will_wake(cx.waker())) {
            list.push(cx.waker().clone());
        }
    }
}

/// True when libsrt reports neither data to read nor an error on `sock` (`SRTO_EVENT`
/// without `SRT_EPOLL_IN` / `SRT_EPOLL_ERR`). A failure to ask says false: the operation
/// itself then reports what is wrong.
fn nothing_to_read(sock: &SrtSocket) -> bool {
    let ready = (sys::SRT_EPOLL_IN | sys::SRT_EPOLL_ERR) as i32;
    matches!(sock.getsockflag(crate::options::SRTO_EVENT), Ok(ev) if ev & ready == 0)
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.reactor.ios().remove(&self.id);
        // The socket may already be gone from libsrt's epoll (closed or collected); an error
        // here only says so.
        let _ = self.reactor.epoll.remove_usock_id(self.id);
        // Tasks still waiting on this socket (another handle's futures) must not sleep for
        // ever: wake them; their next try fails on the closed socket.
        let mut woken = Vec::new();
        self.io.take(EpollEvents::ERR, &mut woken);
        woken.into_iter().for_each(Waker::wake);
    }
}

/// The reactor thread's loop.
fn run(reactor: Arc<Reactor>) {
    let mut buf = EpollBuffers::with_capacity(64);
    let mut woken: Vec<Waker> = Vec::new();
    loop {
        match reactor.epoll.uwait(&mut buf, None) {
            Ok(events) => {
                {
                    let ios = reactor.ios();
                    for ev in events {
                        if let Some(io) = ios.get(&ev.socket()) {
                            io.take(ev.events(), &mut woken);
                        }
                    }
                }
                // Wake outside every lock: a waker may run code that registers again.
                woken.drain(..).for_each(Waker::wake);
            }
            Err(e) if e.code() == Some(ErrorCode::PollEmpty) => {
                let mut current = CURRENT.lock().unwrap_or_else(PoisonError::into_inner);
                if reactor.ios().is_empty() {
                    if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, &reactor)) {
                        *current = None;
                    }
                    break;
                }
                drop(current);
                // Sockets are registered but libsrt watches none of them: libsrt dropped
                // them from the epoll itself (closed or collected after breaking). Wake
                // their tasks, whose next try reports the error, and forget them; their
                // handles' drop finds nothing to remove.
                forget_gone(&reactor, &mut woken);
                woken.drain(..).for_each(Waker::wake);
            }
            Err(e) => {
                // Not expected (the epoll is ours and alive): report it, wake every task so
                // none sleeps on a reactor that cannot see events, and try again shortly.
                log::error!("srtfu reactor: {e}");
                {
                    let ios = reactor.ios();
                    for io in ios.values() {
                        io.take(EpollEvents::ERR, &mut woken);
                    }
                }
                woken.drain(..).for_each(Waker::wake);
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    THREADS.fetch_sub(1, Ordering::AcqRel);
}

/// Wakes and forgets the registered sockets libsrt no longer knows. When the epoll is
/// empty while sockets that libsrt still knows are registered (not seen: libsrt only drops
/// a socket it closed), pauses 10 ms so that the loop does not spin.
fn forget_gone(reactor: &Reactor, woken: &mut Vec<Waker>) {
    let mut ios = reactor.ios();
    let before = ios.len();
    ios.retain(|&id, io| {
        // SAFETY: srt_getsockstate takes any id and answers SRTS_NONEXIST for unknown ones.
        let state = SockStatus::from_raw(unsafe { sys::srt_getsockstate(id) } as i32);
        let gone = matches!(
            state,
            SockStatus::NonExist | SockStatus::Closed | SockStatus::Broken
        );
        if gone {
            io.take(EpollEvents::ERR, woken);
        }
        !gone
    });
    let kept = ios.len();
    drop(ios);
    if kept == before {
        std::thread::sleep(Duration::from_millis(10));
    }
}
