//! libsrt's log messages, sent to the [`log`] crate.
//!
//! [`install`] sets srtfu's handler with `srt_setloghandler`; libsrt then stops writing to
//! stderr and each of its messages becomes a `log` record with target `libsrt` at the
//! matching level. [`set_level`] chooses how much libsrt produces (`srt_setloglevel`);
//! [`addlogfa`], [`dellogfa`] and [`resetlogfa`] which parts of libsrt, [`setlogflags`] how
//! the text is formatted.

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

// ----- libsrt's logging controls -------------------------------------------------------------

/// A libsrt logging functional area (`SRT_LOGFA_*` in srt.h): the part of libsrt a message
/// comes from, shown in its text as `SRT.xx` (`SRT.ac` is [`API_CTRL`](Self::API_CTRL)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LogFa(pub i32);

impl LogFa {
    /// `SRT_LOGFA_GENERAL`: general, for serious issues only.
    pub const GENERAL: LogFa = LogFa(sys::SRT_LOGFA_GENERAL as i32);
    /// `SRT_LOGFA_SOCKMGMT`: socket create/open/close/configure.
    pub const SOCKMGMT: LogFa = LogFa(sys::SRT_LOGFA_SOCKMGMT as i32);
    /// `SRT_LOGFA_CONN`: connection establishment and handshake.
    pub const CONN: LogFa = LogFa(sys::SRT_LOGFA_CONN as i32);
    /// `SRT_LOGFA_HAICRYPT`: encryption.
    pub const HAICRYPT: LogFa = LogFa(sys::SRT_LOGFA_HAICRYPT as i32);
    /// `SRT_LOGFA_API_CTRL`: the API for sockets and the library (option refusals, ...).
    pub const API_CTRL: LogFa = LogFa(sys::SRT_LOGFA_API_CTRL as i32);
    /// `SRT_LOGFA_CHN_MGMT`: UDP channel management (`SRT.km`; also some option refusals).
    pub const CHN_MGMT: LogFa = LogFa(sys::SRT_LOGFA_CHN_MGMT as i32);
    /// `SRT_LOGFA_LASTNONE`: the highest number libsrt has room for (63).
    pub const LASTNONE: LogFa = LogFa(sys::SRT_LOGFA_LASTNONE as i32);
}

/// libsrt keeps the enabled areas in a `std::bitset` of `SRT_LOGFA_LASTNONE + 1` bits and
/// sets them with `bitset::set`, which throws (and, inside a C call, aborts the process) for
/// a position outside it; srtfu refuses such an area itself, with `SRT_EINVPARAM`.
fn check_fa(call: &'static str, fa: LogFa) -> crate::Result<c_int> {
    if (0..=LogFa::LASTNONE.0).contains(&fa.0) {
        Ok(fa.0)
    } else {
        Err(crate::Error::Srt(crate::SrtError::new(
            call,
            crate::ErrorCode::InvalidParam,
            format!(
                "logging functional area {} is outside 0 to {} (SRT_LOGFA_LASTNONE)",
                fa.0,
                LogFa::LASTNONE.0
            ),
        )))
    }
}

/// Enables the messages of one functional area (`srt_addlogfa`).
///
/// # Errors
/// An area outside 0 to 63 (`InvalidParam`): libsrt would abort on it.
pub fn addlogfa(fa: LogFa) -> crate::Result<()> {
    let fa = check_fa("srt_addlogfa", fa)?;
    // SAFETY: fa is inside libsrt's bitset (checked above); the call takes libsrt's logger lock.
    unsafe { sys::srt_addlogfa(fa) };
    Ok(())
}

/// Disables the messages of one functional area (`srt_dellogfa`).
///
/// # Errors
/// An area outside 0 to 63 (`InvalidParam`): libsrt would abort on it.
pub fn dellogfa(fa: LogFa) -> crate::Result<()> {
    let fa = check_fa("srt_dellogfa", fa)?;
    // SAFETY: fa is inside libsrt's bitset (checked above); the call takes libsrt's logger lock.
    unsafe { sys::srt_dellogfa(fa) };
    Ok(())
}

/// Enables exactly the areas in `fas` and disables every other (`srt_resetlogfa`); an empty
/// slice silences every area.
///
/// # Errors
/// An area outside 0 to 63 (`InvalidParam`), before anything changes.
pub fn resetlogfa(fas: &[LogFa]) -> crate::Result<()> {
    let raw = fas
        .iter()
        .map(|fa| check_fa("srt_resetlogfa", *fa))
        .collect::<crate::Result<Vec<c_int>>>()?;
    // SAFETY: raw is valid for raw.len() ints during the call, each inside libsrt's bitset.
    unsafe { sys::srt_resetlogfa(raw.as_ptr(), raw.len()) };
    Ok(())
}

/// Formatting flags for libsrt's log lines (`SRT_LOGF_*`), combined with `|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LogFlags(pub i32);

impl LogFlags {
    /// No flag: time, thread name, severity and end of line all in the text.
    pub const NONE: LogFlags = LogFlags(0);
    /// `SRT_LOGF_DISABLE_TIME`: no time stamp.
    pub const DISABLE_TIME: LogFlags = LogFlags(sys::SRT_LOGF_DISABLE_TIME as i32);
    /// `SRT_LOGF_DISABLE_THREADNAME`: no thread name.
    pub const DISABLE_THREADNAME: LogFlags = LogFlags(sys::SRT_LOGF_DISABLE_THREADNAME as i32);
    /// `SRT_LOGF_DISABLE_SEVERITY`: no severity letter.
    pub const DISABLE_SEVERITY: LogFlags = LogFlags(sys::SRT_LOGF_DISABLE_SEVERITY as i32);
    /// `SRT_LOGF_DISABLE_EOL`: no newline at the end.
    pub const DISABLE_EOL: LogFlags = LogFlags(sys::SRT_LOGF_DISABLE_EOL as i32);
}

impl std::ops::BitOr for LogFlags {
    type Output = LogFlags;
    fn bitor(self, other: LogFlags) -> LogFlags {
        LogFlags(self.0 | other.0)
    }
}

/// Sets how libsrt formats its log lines (`srt_setlogflags`). [`install`] sets
/// `DISABLE_TIME | DISABLE_THREADNAME | DISABLE_EOL`, since the `log` crate's logger adds
/// its own time; other flags put those parts back into each record's text.
pub fn setlogflags(flags: LogFlags) {
    // SAFETY: libsrt stores the flags under its logger lock; any value only changes
    // formatting.
    unsafe { sys::srt_setlogflags(flags.0) };
}
