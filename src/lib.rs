//! SRT (Secure Reliable Transport) for Rust: a thin, safe binding over the libsrt that the
//! system has.
//!
//! libsrt does the protocol; srtfu makes each call safe and typed, with the C names kept:
//! `srt_connect` is [`SrtSocket::connect`], `srt_recvmsg` is [`SrtSocket::recvmsg`],
//! `srt_epoll_wait` is [`Epoll::wait`].
//!
//! ```no_run
//! use srtfu::SrtSocket;
//! // Connect as a caller with options from the URL, then receive live payloads.
//! let sock = SrtSocket::open("srt://127.0.0.1:4201?latency=200&streamid=feed1")?;
//! let mut buf = [0u8; 1500];
//! let n = sock.recvmsg(&mut buf)?;
//! assert!(n <= 1316);
//! # Ok::<(), srtfu::Error>(())
//! ```
#![deny(missing_docs, missing_debug_implementations)]
#![warn(unsafe_op_in_unsafe_fn)]

pub use srt_sys as sys;

mod addr;
mod callback;
pub mod datagramer;
mod epoll;
mod error;
pub mod fetch;
mod fileserver;
mod group;
mod group_url;
pub mod log;
mod mirrors;
pub mod options;
#[cfg(feature = "tokio")]
mod reactor;
mod reject;
mod socket;
mod stats;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod ts;
mod url;

pub use crate::callback::{ConnectFailure, IncomingCaller};
pub use crate::datagramer::{
    close_after_latency, datagramer, Datagramer, DatagramerBuilder, LinkEvent, ReconnectPolicy,
    GROUP_RECV_SLICE, MIN_RECV_BUFFER,
};
pub use crate::epoll::{Epoll, EpollBuffers, EpollEvent, EpollEvents, EpollFlags, Ready};
pub use crate::error::{Error, ErrorCode, Result, SrtError};
pub use crate::fetch::{
    fetch, fetch_with_progress, file_request_streamid, parse_file_request_streamid, Fetch,
    FetchSummary, FETCH_BUFFER_SIZE, MAX_NAME_LEN,
};
pub use crate::fileserver::{FileServer, ServerHandle, SEND_CHUNK_SIZE};
pub use crate::group::{
    has_bonding, is_group_id, Accepted, Endpoint, GroupMember, GroupType, MemberStatus, SrtConfig,
    SrtGroup,
};
pub use crate::group_url::{GroupNode, GroupUrl};
pub use crate::mirrors::{mirror_of, Mirror, MIRRORS};
pub use crate::options::*;
pub use crate::reject::RejectReason;
pub use crate::socket::{
    cleanup, clock_type, startup, time_now, version, ClockType, MsgCtrl, SrtSocket, ValidateValue,
};
pub use crate::stats::Stats;
pub use crate::url::{parse_bool, Mode, SrtUrl};

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
