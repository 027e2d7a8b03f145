//! Where each function of srt.h is in srtfu: the table [`MIRRORS`], checked by a test against
//! the functions of the headers srt-sys was built from (`srt_sys::SRT_FUNCTIONS`), so a
//! function that a newer libsrt adds fails the test until it has a mirror or a reason.

/// How srtfu covers one `srt_*` function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mirror {
    /// A safe mirror, by its path in srtfu (`"SrtSocket::connect"`).
    Safe(&'static str),
    /// Called inside srtfu, not offered on its own: what uses it.
    Internal(&'static str),
    /// Deliberately not mirrored: why.
    Not(&'static str),
}

/// Every `srt_*` function of srt.h (and access_control.h) of libsrt 1.5.1 to 1.5.7, sorted by
/// name, with its mirror or the reason it has none.
pub const MIRRORS: &[(&str, Mirror)] = &[
    ("srt_accept", Mirror::Safe("SrtSocket::accept")),
    ("srt_accept_bond", Mirror::Safe("SrtSocket::accept_bond")),
    ("srt_addlogfa", Mirror::Safe("log::addlogfa")),
    ("srt_bind", Mirror::Safe("SrtSocket::bind")),
    ("srt_bind_acquire", Mirror::Safe("SrtSocket::bind_acquire")),
    ("srt_bistats", Mirror::Safe("SrtSocket::bistats")),
    ("srt_bstats", Mirror::Safe("SrtSocket::bstats")),
    ("srt_cleanup", Mirror::Safe("cleanup")),
    (
        "srt_clearlasterror",
        Mirror::Internal("SrtError: cleared right after it is read"),
    ),
    ("srt_clock_type", Mirror::Safe("clock_type")),
    ("srt_close", Mirror::Safe("SrtSocket::close")),
    ("srt_config_add", Mirror::Safe("SrtConfig::config_add")),
    ("srt_connect", Mirror::Safe("SrtSocket::connect")),
    ("srt_connect_bind", Mirror::Safe("SrtSocket::connect_bind")),
    (
        "srt_connect_callback",
        Mirror::Safe("SrtSocket::connect_callback"),
    ),
    (
        "srt_connect_debug",
        Mirror::Safe("SrtSocket::connect_debug"),
    ),
    ("srt_connect_group", Mirror::Safe("SrtGroup::connect_group")),
    (
        "srt_connection_time",
        Mirror::Safe("SrtSocket::connection_time"),
    ),
    (
        "srt_create_config",
        Mirror::Safe("SrtConfig::create_config"),
    ),
    ("srt_create_group", Mirror::Safe("SrtGroup::create_group")),
    ("srt_create_socket", Mirror::Safe("SrtSocket::new_raw")),
    ("srt_delete_config", Mirror::Internal("Drop for SrtConfig")),
    ("srt_dellogfa", Mirror::Safe("log::dellogfa")),
    ("srt_epoll_add_ssock", Mirror::Safe("Epoll::add_ssock")),
    ("srt_epoll_add_usock", Mirror::Safe("Epoll::add_usock")),
    (
        "srt_epoll_clear_usocks",
        Mirror::Safe("Epoll::clear_usocks"),
    ),
    ("srt_epoll_create", Mirror::Safe("Epoll::create")),
    ("srt_epoll_release", Mirror::Internal("Drop for Epoll")),
    (
        "srt_epoll_remove_ssock",
        Mirror::Safe("Epoll::remove_ssock"),
    ),
    (
        "srt_epoll_remove_usock",
        Mirror::Safe("Epoll::remove_usock"),
    ),
    ("srt_epoll_set", Mirror::Safe("Epoll::set")),
    (
        "srt_epoll_update_ssock",
        Mirror::Safe("Epoll::update_ssock"),
    ),
    (
        "srt_epoll_update_usock",
        Mirror::Safe("Epoll::update_usock"),
    ),
    ("srt_epoll_uwait", Mirror::Safe("Epoll::uwait")),
    ("srt_epoll_wait", Mirror::Safe("Epoll::wait")),
    (
        "srt_getlasterror",
        Mirror::Internal("SrtError: read after every failed call (code and errno)"),
    ),
    (
        "srt_getlasterror_str",
        Mirror::Internal("SrtError::message (srt_strerror of the code and errno)"),
    ),
    ("srt_getpeername", Mirror::Safe("SrtSocket::getpeername")),
    (
        "srt_getrejectreason",
        Mirror::Safe("SrtSocket::getrejectreason"),
    ),
    ("srt_getsndbuffer", Mirror::Safe("SrtSocket::getsndbuffer")),
    ("srt_getsockflag", Mirror::Safe("SrtSocket::getsockflag")),
    ("srt_getsockname", Mirror::Safe("SrtSocket::getsockname")),
    (
        "srt_getsockopt",
        Mirror::Not("srt_getsockflag with an ignored level argument: SrtSocket::getsockflag"),
    ),
    ("srt_getsockstate", Mirror::Safe("SrtSocket::getsockstate")),
    ("srt_getversion", Mirror::Safe("version")),
    ("srt_group_data", Mirror::Safe("SrtGroup::group_data")),
    ("srt_groupof", Mirror::Safe("SrtSocket::groupof")),
    ("srt_listen", Mirror::Safe("SrtSocket::listen")),
    (
        "srt_listen_callback",
        Mirror::Safe("SrtSocket::listen_callback"),
    ),
    (
        "srt_msgctrl_init",
        Mirror::Internal("MsgCtrl: the default control data of sendmsg2/recvmsg2"),
    ),
    (
        "srt_prepare_endpoint",
        Mirror::Safe("SrtGroup::prepare_endpoint"),
    ),
    ("srt_recv", Mirror::Safe("SrtSocket::recv")),
    ("srt_recvfile", Mirror::Safe("SrtSocket::recvfile")),
    ("srt_recvmsg", Mirror::Safe("SrtSocket::recvmsg")),
    ("srt_recvmsg2", Mirror::Safe("SrtSocket::recvmsg2")),
    (
        "srt_rejectreason_str",
        Mirror::Internal("Display for RejectReason"),
    ),
    ("srt_rendezvous", Mirror::Safe("SrtSocket::rendezvous")),
    ("srt_resetlogfa", Mirror::Safe("log::resetlogfa")),
    ("srt_send", Mirror::Safe("SrtSocket::send")),
    ("srt_sendfile", Mirror::Safe("SrtSocket::sendfile")),
    ("srt_sendmsg", Mirror::Safe("SrtSocket::sendmsg")),
    ("srt_sendmsg2", Mirror::Safe("SrtSocket::sendmsg2")),
    ("srt_setlogflags", Mirror::Safe("log::setlogflags")),
    (
        "srt_setloghandler",
        Mirror::Internal("log::install: libsrt's messages go to the log crate"),
    ),
    ("srt_setloglevel", Mirror::Safe("log::set_level")),
    (
        "srt_setrejectreason",
        Mirror::Internal("SrtSocket::listen_callback: the closure returns Err(RejectReason)"),
    ),
    ("srt_setsockflag", Mirror::Safe("SrtSocket::setsockflag")),
    (
        "srt_setsockopt",
        Mirror::Not("srt_setsockflag with an ignored level argument: SrtSocket::setsockflag"),
    ),
    (
        "srt_socket",
        Mirror::Not("deprecated in srt.h (its three arguments are ignored): SrtSocket::new_raw"),
    ),
    ("srt_startup", Mirror::Safe("startup")),
    (
        "srt_strerror",
        Mirror::Internal("SrtError::message and Display for SrtError"),
    ),
    ("srt_time_now", Mirror::Safe("time_now")),
];

/// The mirror of one C function, if the table has it.
pub fn mirror_of(c_name: &str) -> Option<Mirror> {
    MIRRORS.iter().find(|(n, _)| *n == c_name).map(|(_, m)| *m)
}
