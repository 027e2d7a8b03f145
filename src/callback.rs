//! Callbacks from libsrt into Rust: the listen callback (`srt_listen_callback`), which vets
//! each incoming caller before its handshake completes, and the connect callback
//! (`srt_connect_callback`), which reports failed asynchronous connects.
//!
//! Both closures are boxed and kept in the socket they are registered on, so they live as
//! long as it does. libsrt calls them from its own threads through `extern "C"` trampolines
//! that run the closure under `catch_unwind`: a panic never unwinds into libsrt. A panicking
//! listen callback rejects the caller with `SRT_REJX_ISE` and is logged (`log::error!`); the
//! listener keeps serving the next caller.

use std::borrow::Cow;
use std::ffi::CStr;
use std::fmt;
use std::mem::ManuallyDrop;
use std::net::SocketAddr;
use std::os::raw::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, PoisonError};

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

/// A failed asynchronous connect, as the connect callback sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectFailure {
    /// The socket whose connect failed (the caller itself, or a group member).
    pub socket: sys::SRTSOCKET,
    /// Why: `SRT_ENOSERVER` (no answer within SRTO_CONNTIMEO), `SRT_ECONNREJ`, ...
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

/// What libsrt's opaque pointer points to. The Mutex makes an `FnMut` callable from
/// libsrt's threads (it calls a listener's hook from one receiving thread at a time, so the
/// lock is never contended); a poisoned lock (after a panic) is taken over, not refused.
struct Hook<F: ?Sized> {
    f: Mutex<Box<F>>,
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

/// Rejects the pending socket `ns` with `reason` (`srt_setrejectreason`). libsrt refuses
/// its own codes (below `SRT_REJC_PREDEFINED`, 1000) there and would then report a confusing
/// `SRT_REJ_ROGUE` to the caller, so those become `SRT_REJX_FALLBACK` (1000), with a warning.
fn set_reject(ns: sys::SRTSOCKET, reason: RejectReason) {
    let mut code = reason.raw();
    if code < sys::SRT_REJC_PREDEFINED as i32 {
        log::warn!(
            "listen callback: reject reason {reason} cannot be set by an application \
             (codes below {} are libsrt's); rejecting with SRT_REJX_FALLBACK",
            sys::SRT_REJC_PREDEFINED
        );
        code = RejectReason::Fallback.raw();
    }
    // SAFETY: plain call with a socket id and an int; libsrt checks both.
    let rc = unsafe { sys::srt_setrejectreason(ns, code) };
    if rc < 0 {
        log::warn!("listen callback: srt_setrejectreason({code}) failed");
        // SAFETY: clears this thread's error state after the refused call.
        unsafe { sys::srt_clearlasterror() };
    }
}

/// Called by libsrt for each incoming caller.
///
/// # Safety
/// `opaq` is the `Hook<ListenFn>` registered with it, alive as long as the listener;
/// `peeraddr` is null or a valid sockaddr; `streamid` is null or a NUL-terminated string.
unsafe extern "C" fn listen_trampoline(
    opaq: *mut c_void,
    ns: sys::SRTSOCKET,
    hsversion: c_int,
    peeraddr: *const libc::sockaddr,
    streamid: *const c_char,
) -> c_int {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: opaq points to the Hook kept alive in the listener's keepalive list.
        let hook = unsafe { &*(opaq as *const Hook<ListenFn>) };
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
        let mut f = hook.f.lock().unwrap_or_else(PoisonError::into_inner);
        (f)(&caller)
    }));
    let verdict = match outcome {
        Ok(Ok(())) => return 0,
        Ok(Err(reason)) => reason,
        Err(p) => {
            let msg = panic_message(&*p);
            // Dropping the payload could panic too; forget it rather than risk unwinding.
            std::mem::forget(p);
            let _ = catch_unwind(|| {
                log::error!("listen callback panicked, rejecting the caller: {msg}");
            });
            RejectReason::ServerError
        }
    };
    set_reject(ns, verdict);
    -1
}

/// Called by libsrt when an asynchronous connect fails.
///
/// # Safety
/// `opaq` is the `Hook<ConnectFn>` registered with it, alive as long as the socket;
/// `peeraddr` is null or a valid sockaddr.
unsafe extern "C" fn connect_trampoline(
    opaq: *mut c_void,
    ns: sys::SRTSOCKET,
    errorcode: c_int,
    peeraddr: *const libc::sockaddr,
    token: c_int,
) {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: opaq points to the Hook kept alive in the socket's keepalive list.
        let hook = unsafe { &*(opaq as *const Hook<ConnectFn>) };
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
        let mut f = hook.f.lock().unwrap_or_else(PoisonError::into_inner);
        (f)(&failure)
    }));
    if let Err(p) = outcome {
        let msg = panic_message(&*p);
        std::mem::forget(p);
        let _ = catch_unwind(|| log::error!("connect callback panicked: {msg}"));
    }
}

/// Listen and connect callbacks.
impl SrtSocket {
    /// Installs a closure that vets every incoming caller before its handshake completes
    /// (`srt_listen_callback`). Call it before [`listen`](Self::listen), so that no caller
    /// gets in unvetted (libsrt also takes it later, for callers that come after).
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
    /// dropped after the socket is closed (libsrt stops calling it within `srt_close`).
    /// Installing another closure replaces the first for new callers; both are kept alive.
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
    /// An invalid or closed socket.
    pub fn listen_callback<F>(&mut self, f: F) -> Result<()>
    where
        F: FnMut(&IncomingCaller<'_>) -> std::result::Result<(), RejectReason> + Send + 'static,
    {
        let boxed: Box<ListenFn> = Box::new(f);
        let hook = Box::new(Hook {
            f: Mutex::new(boxed),
        });
        let opaque = &*hook as *const Hook<ListenFn> as *mut c_void;
        self.keepalive.push(hook);
        // SAFETY: the trampoline matches srt_listen_callback_fn; opaque points to the Hook
        // now owned by this socket's keepalive list, which outlives the listening socket.
        let rc = unsafe { sys::srt_listen_callback(self.id(), Some(listen_trampoline), opaque) };
        check(rc, "srt_listen_callback", None).map(drop)
    }

    /// Installs a closure called when an asynchronous connect of this socket fails
    /// (`srt_connect_callback`): a non-blocking connect that times out
    /// (SRTO_CONNTIMEO) or is rejected. Call it before [`connect`](Self::connect).
    ///
    /// The closure runs on a libsrt thread; a panic in it is caught and logged. It is kept
    /// in this socket and dropped after the socket is closed.
    ///
    /// # Errors
    /// An invalid socket.
    pub fn connect_callback<F>(&mut self, f: F) -> Result<()>
    where
        F: FnMut(&ConnectFailure) + Send + 'static,
    {
        let boxed: Box<ConnectFn> = Box::new(f);
        let hook = Box::new(Hook {
            f: Mutex::new(boxed),
        });
        let opaque = &*hook as *const Hook<ConnectFn> as *mut c_void;
        self.keepalive.push(hook);
        // SAFETY: the trampoline matches srt_connect_callback_fn; opaque points to the Hook
        // now owned by this socket's keepalive list, which outlives the socket.
        let rc = unsafe { sys::srt_connect_callback(self.id(), Some(connect_trampoline), opaque) };
        check(rc, "srt_connect_callback", None).map(drop)
    }
}
