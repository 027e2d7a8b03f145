//! libsrt's log messages, sent to the [`log`] crate.
//!
//! [`install`] sets srtfu's handler with `srt_setloghandler`; libsrt then stops writing to
//! stderr and each of its messages becomes a `log` record with target `libsrt` at the
//! matching level. [`set_level`] chooses how much libsrt produces (`srt_setloglevel`).

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::sys;

/// Sends libsrt's log messages to the `log` crate (target `"libsrt"`) from now on, and sets
/// libsrt's level from `log::max_level()`. Safe to call more than once: each call installs
/// srtfu's handler again, for example after a program replaced or cleared it through
/// [`sys::srt_setloghandler`] (libsrt calls a handler under its logging lock, so once that
/// call returns the replaced handler is not running and is not called again).
pub fn install() {
    // The handler is libsrt's global state; it needs no socket, and a version mismatch is
    // reported by the first socket.
    let _ = crate::startup();
    // SAFETY: the handler is a plain extern "C" fn that never unwinds (it catches panics);
    // a null opaque pointer is passed back to it and not used.
    unsafe { sys::srt_setloghandler(std::ptr::null_mut(), Some(handler)) };
    // SAFETY: SRT_LOGF_DISABLE_* flags only change formatting; the handler formats itself.
    unsafe {
        sys::srt_setlogflags(
            (sys::SRT_LOGF_DISABLE_TIME
                | sys::SRT_LOGF_DISABLE_THREADNAME
                | sys::SRT_LOGF_DISABLE_EOL) as c_int,
        )
    };
    set_level(log::max_level());
}

/// Sets how verbose libsrt is (`srt_setloglevel`). `Off` and `Error` map to LOG_CRIT and
/// LOG_ERR; `Trace` and `Debug` to LOG_DEBUG.
pub fn set_level(level: log::LevelFilter) {
    let syslog = match level {
        log::LevelFilter::Off => libc::LOG_CRIT,
        log::LevelFilter::Error => libc::LOG_ERR,
        log::LevelFilter::Warn => libc::LOG_WARNING,
        log::LevelFilter::Info => libc::LOG_NOTICE,
        log::LevelFilter::Debug | log::LevelFilter::Trace => libc::LOG_DEBUG,
    };
    // SAFETY: srt_setloglevel takes any syslog level.
    unsafe { sys::srt_setloglevel(syslog) };
}

fn level_of(syslog: c_int) -> log::Level {
    match syslog {
        l if l <= libc::LOG_ERR => log::Level::Error,
        l if l == libc::LOG_WARNING => log::Level::Warn,
        l if l <= libc::LOG_INFO => log::Level::Info,
        _ => log::Level::Debug,
    }
}

/// A C string from libsrt as text (empty for null).
///
/// # Safety
/// `p` must be null or point to a NUL-terminated string that stays valid for `'a`.
unsafe fn text<'a>(p: *const c_char) -> std::borrow::Cow<'a, str> {
    if p.is_null() {
        "".into()
    } else {
        // SAFETY: libsrt passes NUL-terminated strings valid for the callback's duration.
        unsafe { CStr::from_ptr(p) }.to_string_lossy()
    }
}

/// The log handler libsrt calls (`SRT_LOG_HANDLER_FN`); it never unwinds.
///
/// # Safety
/// `file`, `area` and `message` must be null or NUL-terminated strings valid for the
/// duration of the call, as libsrt passes them.
unsafe extern "C" fn handler(
    _opaque: *mut c_void,
    level: c_int,
    file: *const c_char,
    line: c_int,
    area: *const c_char,
    message: *const c_char,
) {
    // A panic here (from a logger implementation) must not unwind into libsrt.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let lvl = level_of(level);
        if lvl > log::max_level() {
            return;
        }
        // SAFETY: libsrt gives valid C strings (or null) for the call's duration.
        let (file, area, message) = unsafe { (text(file), text(area), text(message)) };
        log::logger().log(
            &log::Record::builder()
                .target("libsrt")
                .level(lvl)
                .file(Some(&file))
                .line(u32::try_from(line).ok())
                .module_path(Some(&area))
                .args(format_args!("{}", message.trim_end()))
                .build(),
        );
    }));
}
