//! Raw FFI bindings to libsrt, the Secure Reliable Transport library.
//!
//! The bindings are generated at build time by bindgen from the libsrt headers installed on
//! the system (found with pkg-config, or `SRT_LIB_DIR` + `SRT_INCLUDE_DIR`), because struct
//! layouts such as `SRT_TRACEBSTATS` change between libsrt releases and the headers on the
//! machine are the truth. Only libsrt's own names are exported (`srt_*`, `SRT*`, `SRTO_*`,
//! `SRT_*`); `sockaddr` and `socklen_t` are libc's.
//!
//! Everything here is `unsafe` and mirrors `srt/srt.h` and `srt/access_control.h` one to one.
//! For a safe API use the `srtfu` crate.
#![allow(non_upper_case_globals, non_camel_case_types, non_snake_case)]
#![allow(clippy::all, rustdoc::all)]
#![allow(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
include!(concat!(env!("OUT_DIR"), "/functions.rs"));

/// The libsrt version this crate was built against, as written in `srt/version.h`
/// (`"major.minor.patch"`).
pub const SRT_VERSION_BUILT: &str = env!("SRT_SYS_VERSION");
