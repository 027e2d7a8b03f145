//! Callbacks from libsrt into Rust: the listen callback (`srt_listen_callback`), which vets
//! each incoming caller before its handshake completes, and the connect callback
//! (`srt_connect_callback`), which reports failed asynchronous connects (and, from libsrt,
//! connections that broke).
//!
//! Both closures are kept in a registry, owned by the socket they are registered on; libsrt
//! gets a number naming the entry, never the closure's address, because it may still call
//! (or be calling) a connect callback after `srt_close` has returned. libsrt calls them from
//! its own threads through `extern "C"` trampolines that run the closure under
//! `catch_unwind`: a panic never unwinds into libsrt. A panicking listen callback rejects
//! the caller with `SRT_REJX_ISE` and is logged (`log::error!`); the listener keeps serving
//! the next caller.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ffi::CStr;
use std::fmt;
use std::mem::ManuallyDrop;
use std::net::SocketAddr;
use std::os::raw::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::addr::from_sockaddr_ptr;
use crate::error::{ErrorCode, Result};
use crate::reject::RejectReason;
use crate::socket::{check, SrtSocket};
use crate::sys;

/// A caller knocking on a listener, as the listen callback sees it.
///
/// [`socket`](Self::socket) is the pending socket libsrt made for this caller: options set
/// on it (for example `SRTO_PASSPHRASE`, for a per-connection secret) apply to this
/// connection only. It is borrowed: libsrt owns it until [`SrtSocket::accept`] returns it.
pub struct IncomingCaller<'a> {
    socket: &'a SrtSocket,
    peer: Option<SocketAddr>,
    hs_version: i32,
    streamid: Cow<'a, str>,
}

impl<'a> IncomingCaller<'a> {
    /// The pending socket (`ns` in libsrt's callback), for `setsockflag`/`getsockflag`.
    pub fn socket(&self) -> &'a SrtSocket {
        self.socket
    }

    /// The caller's address, or `None` if it is not IPv4/IPv6.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// The caller's handshake version: 4 for old (UDT-style) callers that send no stream
    /// id, 5 for SRT 1.3 and later.
    pub fn hs_version(&self) -> i32 {
        self.hs_version
    }

    /// The stream id the caller sent (`SRTO_STREAMID` on its side); empty if none. Bytes
    /// that are not UTF-8 are replaced with U+FFFD.
    pub fn streamid(&self) -> &str {
        &self.streamid
    }
}

impl fmt::Debug for IncomingCaller<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IncomingCaller")
            .field("socket", &self.socket.id())
            .field("peer", &self.peer)
            .field("hs_version", &self.hs_version)
            .field("streamid", &self.streamid)
            .finish()
    }
}

/// A failed asynchronous connect (or a lost connection), as the connect callback sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectFailure {
    /// The socket whose connect failed (the caller itself, or a group member).
    pub socket: sys::SRTSOCKET,
    /// Why: `SRT_ENOSERVER` (no answer within SRTO_CONNTIMEO), `SRT_ECONNREJ`,
    /// `SRT_ECONNLOST` (an established connection broke), ...
    pub error: ErrorCode,
    /// The reject reason libsrt recorded on the socket (`srt_getrejectreason`).
    pub reject_reason: RejectReason,
    /// The address it tried to reach.
    pub peer: Option<SocketAddr>,
    /// The token given with the connect (group members), or -1.
    pub token: i32,
}

type ListenFn = dyn FnMut(&IncomingCaller<'_>) -> std::result::Result<(), RejectReason> + Send;
type ConnectFn = dyn FnMut(&ConnectFailure) + Send;

/// One registered closure. The Mutex makes an `FnMut` callable from libsrt's threads (it
/// calls a socket's hook from one receiving thread at a time, so the lock is never
/// contended); a poisoned lock (after a panic) is taken over, not refused.
struct Hook<F: ?Sized> {
    f: Mutex<Box<F>>,
}

/// The value srtfu gives libsrt as a callback's opaque pointer: a number naming an entry of
/// a [`Registry`], never an address. Numbers are not reused (a `usize` counter).
type Token = usize;

/// The closures that libsrt may call, by token.
///
/// libsrt does not tell when it has stopped calling a callback: the connect callback is
/// called by the receiving thread after it has raised the socket's epoll ERR, with no lock
/// that `srt_close` waits for, so a call can begin or still run after `srt_close` returned
/// (libsrt 1.5.1 to 1.5.5, `CRendezvousQueue::updateConnStatus`). libsrt therefore never
/// gets the closure's address. A trampoline looks its token up and holds an `Arc` for the
/// duration of the call; closing the socket removes the entry. A call in flight keeps its
/// closure alive until it returns (the closure is then dropped on libsrt's thread); a call
/// that starts later finds no entry and does nothing (connect) or rejects (listen).
struct Registry<F: ?Sized> {
    hooks: Mutex<BTreeMap<Token, Arc<Hook<F>>>>,
}

static LISTEN_HOOKS: Registry<ListenFn> = Registry::new();
static CONNECT_HOOKS: Registry<ConnectFn> = Registry::new();
static NEXT_TOKEN: AtomicUsize = AtomicUsize::new(1);

impl<F: ?Sized> Registry<F> {
    const fn new() -> Self {
        Registry {
            hooks: Mutex::new(BTreeMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<Token, Arc<Hook<F>>>> {
        // No user code runs under this lock, but a poisoned lock is taken over anyway.
        self.hooks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn insert(&self, f: Box<F>) -> Token {
        let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
        let hook = Arc::new(Hook { f: Mutex::new(f) });
        self.lock().insert(token, hook);
        token
    }

    fn get(&self, token: Token) -> Option<Arc<Hook<F>>> {
        self.lock().get(&token).cloned()
    }

    /// Removes the entry; the closure is dropped by the caller, after the lock is released
    /// (its drop may close sockets that have callbacks of their own).
    fn remove(&self, token: Token) -> Option<Arc<Hook<F>>> {
        self.lock().remove(&token)
    }
}

/// Owned by the socket a closure is registered on (its `keepalive` list): dropping it, after
/// `srt_close`, removes the closure from its registry.
struct Registration {
    token: Token,
    unregister: fn(Token),
}

impl Drop for Registration {
    fn drop(&mut self) {
        (self.unregister)(self.token);
    }
}

fn unregister_listen(token: Token) {
    drop(LISTEN_HOOKS.remove(token));
}

fn unregister_connect(token: Token) {
    drop(CONNECT_HOOKS.remove(token));
}

/// The opaque pointer libsrt passes back for `token` (an integer, never dereferenced).
fn token_ptr(token: Token) -> *mut c_void {
    token as *mut c_void
}

/// What became of one call from libsrt.
enum Called<R> {
    /// The closure returned this.
    Ran(R),
    /// The closure panicked, with this message.
    Panicked(String),
    /// No closure under the token: the socket was closed (or the closure never existed).
    Gone,
}

/// Drops `value` without letting a panic in its `Drop` escape (it would otherwise unwind
/// into libsrt). The payload of such a panic is forgotten: dropping it could panic again.
fn drop_quietly<T>(value: T) {
    if let Err(p) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
        std::mem::forget(p);
    }
}

/// Runs the closure registered under `token` with `call`, on libsrt's thread, containing
/// every panic: in the closure, in the closure's drop (when the socket was closed during
/// the call, this call holds the last reference) and in the drop of a panic's payload.
fn call_hook<F: ?Sized, R>(
    registry: &Registry<F>,
    token: Token,
    call: impl FnOnce(&mut F) -> R,
) -> Called<R> {
    let Some(hook) = registry.get(token) else {
        return Called::Gone;
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut f = hook.f.lock().unwrap_or_else(PoisonError::into_inner);
        call(&mut **f)
    }));
    drop_quietly(hook);
    match outcome {
        Ok(r) => Called::Ran(r),
        Err(p) => {
            let msg = panic_message(&*p);
            drop_quietly(p);
            Called::Panicked(msg)
        }
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// Rejects the pending socket `ns` with `reason` (`srt_setrejectreason`); runs on libsrt's
/// thread, so its logging is contained like the closure's. libsrt refuses
/// its own codes (below `SRT_REJC_PREDEFINED`, 1000) there and would then report a confusing
/// `SRT_REJ_ROGUE` to the caller, so those become `SRT_REJX_FALLBACK` (1000), with a warning.
fn set_reject(ns: sys::SRTSOCKET, reason: RejectReason) {
    let mut code = reason.raw();
    if code < sys::SRT_REJC_PREDEFINED as i32 {
        log_quietly(|| {
            log::warn!(
                "listen callback: reject reason {reason} cannot be set by an application \
                 (codes below {} are libsrt's); rejecting with SRT_REJX_FALLBACK",
                sys::SRT_REJC_PREDEFINED
            )
        });
        code = RejectReason::Fallback.raw();
    }
    // SAFETY: plain call with a socket id and an int; libsrt checks both.
    let rc = unsafe { sys::srt_setrejectreason(ns, code) };
    if rc < 0 {
        log_quietly(|| log::warn!("listen callback: srt_setrejectreason({code}) failed"));
        // SAFETY: clears this thread's error state after the refused call.
        unsafe { sys::srt_clearlasterror() };
    }
}

/// Logs from a libsrt thread; a panicking logger is contained.
fn log_quietly(f: impl FnOnce()) {
    if let Err(p) = catch_unwind(AssertUnwindSafe(f)) {
        drop_quietly(p);
    }
}

/// Called by libsrt for each incoming caller.
///
/// # Safety
/// `opaq` is a [`Token`] of [`LISTEN_HOOKS`] (it is not dereferenced); `peeraddr` is null or
/// a valid sockaddr; `streamid` is null or a NUL-terminated string.
unsafe extern "C" fn listen_trampoline(
    opaq: *mut c_void,
    ns: sys::SRTSOCKET,
    hsversion: c_int,
    peeraddr: *const libc::sockaddr,
    streamid: *const c_char,
) -> c_int {
    let called = call_hook(&LISTEN_HOOKS, opaq as Token, |f| {
        // SAFETY: libsrt gives a valid sockaddr of the caller (or null).
        let peer = unsafe { from_sockaddr_ptr(peeraddr) };
        let streamid = if streamid.is_null() {
            Cow::Borrowed("")
        } else {
            // SAFETY: libsrt passes a NUL-terminated string valid during the call.
            unsafe { CStr::from_ptr(streamid) }.to_string_lossy()
        };
        // SAFETY: ns is the pending socket libsrt owns; ManuallyDrop keeps us from closing
        // it, and the borrow handed out ends with this call.
        let sock = ManuallyDrop::new(unsafe { SrtSocket::view(ns) });
        let caller = IncomingCaller {
            socket: &sock,
            peer,
            hs_version: hsversion,
            streamid,
        };
        f(&caller)
    });
    let verdict = match called {
        Called::Ran(Ok(())) => return 0,
        Called::Ran(Err(reason)) => reason,
        Called::Panicked(msg) => {
            log_quietly(|| log::error!("listen callback panicked, rejecting the caller: {msg}"));
            RejectReason::ServerError
        }
        Called::Gone => {
            log_quietly(|| log::warn!("listen callback: the listener was closed; rejecting"));
            RejectReason::Down
        }
    };
    set_reject(ns, verdict);
    -1
}

/// Called by libsrt when an asynchronous connect fails.
///
/// # Safety
/// `opaq` is a [`Token`] of [`CONNECT_HOOKS`] (it is not dereferenced); `peeraddr` is null
/// or a valid sockaddr.
unsafe extern "C" fn connect_trampoline(
    opaq: *mut c_void,
    ns: sys::SRTSOCKET,
    errorcode: c_int,
    peeraddr: *const libc::sockaddr,
    token: c_int,
) {
    let called = call_hook(&CONNECT_HOOKS, opaq as Token, |f| {
        // SAFETY: libsrt gives the peer's valid sockaddr (or null).
        let peer = unsafe { from_sockaddr_ptr(peeraddr) };
        // SAFETY: plain call on a socket id.
        let reject_reason = RejectReason::from_raw(unsafe { sys::srt_getrejectreason(ns) });
        let failure = ConnectFailure {
            socket: ns,
            error: ErrorCode::from_raw(errorcode),
            reject_reason,
            peer,
            token,
        };
        f(&failure)
    });
    if let Called::Panicked(msg) = called {
        log_quietly(|| log::error!("connect callback panicked: {msg}"));
    }
}

/// Listen and connect callbacks.
impl SrtSocket {
    /// Installs a closure that vets every incoming caller before its handshake completes
    /// (`srt_listen_callback`). Call it before [`listen`](Self::listen), so that no caller
    /// gets in unvetted (libsrt before 1.5.4 also takes it later, for callers that come
    /// after; 1.5.4 and later refuse it on a listening socket with `SRT_ECONNSOCK`).
    ///
    /// The closure gets the [`IncomingCaller`] (address, handshake version, stream id, and
    /// the pending socket for per-connection options such as `SRTO_PASSPHRASE`) and returns
    /// `Ok(())` to let the handshake go on, or `Err(reason)` to reject: the caller's connect
    /// then fails with that reason in [`Error::reject_reason`](crate::Error::reject_reason).
    /// Use the `SRT_REJX_*` reasons ([`RejectReason::Forbidden`], ...) or
    /// [`RejectReason::User`] (2000 and up); libsrt does not let a callback set its own
    /// `SRT_REJ_*` codes (below 1000), so those are sent as [`RejectReason::Fallback`]
    /// (`SRT_REJX_FALLBACK`) with a logged warning. A panic in the closure rejects with
    /// [`RejectReason::ServerError`] (`SRT_REJX_ISE`) and is logged.
    ///
    /// The closure runs on a libsrt thread, so keep it short. It is kept in this socket and
    /// dropped when the socket is closed (after `srt_close`), or, when libsrt is running it
    /// at that moment, as that call returns, on libsrt's thread. A caller that reaches the
    /// trampoline after the close is rejected with [`RejectReason::Down`].
    ///
    /// Installing another closure replaces the first for new callers (both are kept until
    /// the socket is closed), but only before [`listen`](Self::listen) on every libsrt
    /// version: libsrt 1.5.1 and 1.5.3 take a new closure on a listening socket, while 1.5.4
    /// and later refuse it with `SRT_ECONNSOCK` and keep the first.
    ///
    /// Takes `&mut self` because the socket stores the closure.
    ///
    /// ```no_run
    /// use srtfu::{RejectReason, SrtSocket, SRTO_PASSPHRASE};
    /// let mut l = SrtSocket::new_raw()?;
    /// l.listen_callback(|c| match c.streamid() {
    ///     "public" => Ok(()),
    ///     "secret" => c.socket().setsockflag(SRTO_PASSPHRASE, "0123456789abc")
    ///         .map_err(|_| RejectReason::ServerError),
    ///     _ => Err(RejectReason::NotFound),
    /// })?;
    /// l.bind("127.0.0.1:4201")?;
    /// l.listen(16)?;
    /// # Ok::<(), srtfu::Error>(())
    /// ```
    ///
    /// # Errors
    /// An invalid or closed socket; from libsrt 1.5.4 on, a socket already listening.
    pub fn listen_callback<F>(&mut self, f: F) -> Result<()>
    where
        F: FnMut(&IncomingCaller<'_>) -> std::result::Result<(), RejectReason> + Send + 'static,
    {
        let token = LISTEN_HOOKS.insert(Box::new(f));
        self.keepalive.push(Box::new(Registration {
            token,
            unregister: unregister_listen,
        }));
        // SAFETY: the trampoline matches srt_listen_callback_fn; the opaque value is a token,
        // which libsrt only passes back and the trampoline never dereferences.
        let rc = unsafe {
            sys::srt_listen_callback(self.id(), Some(listen_trampoline), token_ptr(token))
        };
        check(rc, "srt_listen_callback", None)
            .map(drop)
            .inspect_err(|_| {
                // libsrt did not take it (refused, or the socket is gone): drop the closure now.
                drop(self.keepalive.pop());
            })
    }

    /// Installs a closure called when an asynchronous connect of this socket fails
    /// (`srt_connect_callback`): a non-blocking connect that times out
    /// (SRTO_CONNTIMEO) or is rejected. Call it before [`connect`](Self::connect).
    /// libsrt (1.5.1 to 1.5.5) also calls it, with `SRT_ECONNLOST`, when an established
    /// connection breaks (the peer's shutdown arrives, or the peer stops answering); a
    /// successful connect calls nothing.
    ///
    /// The closure runs on a libsrt thread; a panic in it is caught and logged. libsrt
    /// raises the socket's epoll `ERR` before it calls the closure, so the closure may still
    /// run when a thread woken by `ERR` closes the socket. It is kept in this socket and
    /// dropped when the socket is closed (after `srt_close`), or, when libsrt is running it at
    /// that moment, as that call returns, on libsrt's thread; a call libsrt starts after the
    /// close does nothing. Installing another closure replaces the first (both are kept until
    /// the socket is closed); libsrt 1.5.4 and later refuse it (`SRT_ECONNSOCK`) once the
    /// socket is connecting, connected or broken.
    ///
    /// # Errors
    /// An invalid socket; from libsrt 1.5.4 on, a socket already connecting or connected.
    pub fn connect_callback<F>(&mut self, f: F) -> Result<()>
    where
        F: FnMut(&ConnectFailure) + Send + 'static,
    {
        let token = CONNECT_HOOKS.insert(Box::new(f));
        self.keepalive.push(Box::new(Registration {
            token,
            unregister: unregister_connect,
        }));
        // SAFETY: the trampoline matches srt_connect_callback_fn; the opaque value is a token,
        // which libsrt only passes back and the trampoline never dereferences.
        let rc = unsafe {
            sys::srt_connect_callback(self.id(), Some(connect_trampoline), token_ptr(token))
        };
        check(rc, "srt_connect_callback", None)
            .map(drop)
            .inspect_err(|_| {
                // libsrt did not take it (refused, or the socket is gone): drop the closure now.
                drop(self.keepalive.pop());
            })
    }
}
