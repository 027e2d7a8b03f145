//! The generated bindings are usable, not only compiled: these tests call libsrt for real.

use srtfu_sys::*;
use std::ffi::CStr;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::raw::{c_char, c_int, c_void};
use std::process::Command;
use std::thread;

/// srt_startup once per process. libsrt counts startups, and at exit its static destructor
/// only stops its threads when the count is back to 1: a process that called srt_startup
/// several times without matching srt_cleanup calls can crash on exit (seen in release
/// builds of this test binary).
fn startup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: srt_startup has no preconditions; it runs once here.
        let rc = unsafe { srt_startup() };
        assert!(rc >= 0, "srt_startup failed: {rc}");
    });
}

fn last_error() -> String {
    // SAFETY: srt_getlasterror_str returns a pointer to a thread-local NUL-terminated string.
    unsafe { CStr::from_ptr(srt_getlasterror_str()) }
        .to_string_lossy()
        .into_owned()
}

fn sockaddr_v4(addr: SocketAddrV4) -> libc::sockaddr_in {
    // SAFETY: sockaddr_in is plain old data; all-zero is a valid value.
    let mut sin: libc::sockaddr_in = unsafe { zeroed() };
    sin.sin_family = libc::AF_INET as libc::sa_family_t;
    sin.sin_port = addr.port().to_be();
    sin.sin_addr.s_addr = u32::from(*addr.ip()).to_be();
    sin
}

#[test]
fn version_matches_pkg_config() {
    startup();
    // SAFETY: srt_getversion has no preconditions.
    let v = unsafe { srt_getversion() };
    let runtime = format!("{}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff);
    assert_eq!(
        runtime, SRT_VERSION_BUILT,
        "runtime libsrt differs from headers"
    );
    let out = Command::new("pkg-config")
        .args(["--modversion", "srt"])
        .output()
        .expect("pkg-config runs");
    // Builds that found libsrt through SRT_LIB_DIR may have no srt.pc; in CI it must be there.
    if out.status.success() {
        let pc = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert_eq!(runtime, pc, "libsrt version differs from pkg-config's");
    } else {
        assert!(std::env::var("CI").is_err(), "pkg-config does not know srt");
        eprintln!("skipping the pkg-config comparison: pkg-config does not know srt");
    }
}

#[test]
fn socket_option_round_trip_and_close() {
    startup();
    // SAFETY: srt_create_socket has no preconditions once srt_startup ran.
    let s = unsafe { srt_create_socket() };
    assert_ne!(s, SRT_INVALID_SOCK, "srt_create_socket: {}", last_error());
    let latency: c_int = 345;
    // SAFETY: the pointer and length describe `latency`, an int as SRTO_LATENCY expects.
    let rc = unsafe {
        srt_setsockflag(
            s,
            SRTO_LATENCY,
            &latency as *const c_int as *const c_void,
            size_of::<c_int>() as c_int,
        )
    };
    assert_eq!(rc, 0, "setsockflag: {}", last_error());
    let mut got: c_int = 0;
    let mut len = size_of::<c_int>() as c_int;
    // SAFETY: the pointer and length describe `got`.
    let rc = unsafe {
        srt_getsockflag(
            s,
            SRTO_LATENCY,
            &mut got as *mut c_int as *mut c_void,
            &mut len,
        )
    };
    assert_eq!(rc, 0, "getsockflag: {}", last_error());
    assert_eq!(got, 345);
    // SAFETY: s is a socket we created.
    assert_eq!(unsafe { srt_getsockstate(s) }, SRTS_INIT);
    // SAFETY: s is a socket we created and close once.
    assert_eq!(unsafe { srt_close(s) }, 0);
    // SAFETY: closing again must be harmless (libsrt 1.5 keeps the closed socket around for a
    // while and answers 0 or SRT_ERROR); after it the socket is closed or gone.
    let _ = unsafe { srt_close(s) };
    // SAFETY: getsockstate accepts any socket id.
    let state = unsafe { srt_getsockstate(s) };
    assert!(
        state == SRTS_CLOSED || state == SRTS_NONEXIST || state == SRTS_CLOSING,
        "state after close: {state}"
    );
}

/// libsrt's counting of srt_startup, per version, seen in a child process (an uncounted
/// startup followed by srt_cleanup would pull libsrt down under this binary's other tests):
/// after startup, a socket, a second startup and one cleanup, is the socket still there?
/// - up to 1.5.3: the second startup returns 1 and is counted; the socket survives;
/// - 1.5.4: it returns 1 but is not counted (libsrt was already running): the cleanup
///   ends libsrt and closes the socket;
/// - 1.5.5: it is counted again, and returns 0.
#[test]
fn startup_cleanup_pairs() {
    const CHILD: &str = "SRTFU_SYS_STARTUP_CHILD";
    if std::env::var_os(CHILD).is_some() {
        // SAFETY: srt_startup has no preconditions.
        let first = unsafe { srt_startup() };
        let s = create();
        // SAFETY: srt_startup may be called again.
        let second = unsafe { srt_startup() };
        // SAFETY: balances the second startup; the first keeps libsrt up if it was counted.
        let cleanup = unsafe { srt_cleanup() };
        // SAFETY: srt_getsockstate accepts any id.
        let state = unsafe { srt_getsockstate(s) };
        println!("CHILD first={first} second={second} cleanup={cleanup} state={state}");
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "startup_cleanup_pairs", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .expect("run the test binary again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("CHILD "))
        .unwrap_or_else(|| panic!("no result line:\n{stdout}"));
    // SAFETY: srt_getversion has no preconditions.
    let v = unsafe { srt_getversion() };
    let alive = format!("state={}", SRTS_INIT);
    let gone = format!("state={}", SRTS_NONEXIST);
    let expected = match (v >> 8, v & 0xff) {
        (0x105, 0..=3) => format!("CHILD first=0 second=1 cleanup=0 {alive}"),
        (0x105, 4) => format!("CHILD first=0 second=1 cleanup=0 {gone}"),
        _ => format!("CHILD first=0 second=0 cleanup=0 {alive}"),
    };
    assert_eq!(line, expected, "libsrt {}", SRT_VERSION_BUILT);
}

/// A new socket (`srt_create_socket`).
fn create() -> SRTSOCKET {
    // SAFETY: srt_create_socket has no preconditions once srt_startup ran.
    let s = unsafe { srt_create_socket() };
    assert_ne!(s, SRT_INVALID_SOCK, "srt_create_socket: {}", last_error());
    s
}

/// `srt_bind` to an IPv4 address.
fn bind_v4(s: SRTSOCKET, addr: SocketAddrV4) {
    let sin = sockaddr_v4(addr);
    let len = size_of::<libc::sockaddr_in>() as c_int;
    // SAFETY: sin is a live sockaddr_in of `len` bytes for the duration of the call.
    let rc = unsafe { srt_bind(s, &sin as *const _ as *const libc::sockaddr, len) };
    assert_eq!(rc, 0, "bind: {}", last_error());
}

/// `srt_connect` to an IPv4 address.
fn connect_v4(s: SRTSOCKET, addr: SocketAddrV4) {
    let sin = sockaddr_v4(addr);
    let len = size_of::<libc::sockaddr_in>() as c_int;
    // SAFETY: sin is a live sockaddr_in of `len` bytes for the duration of the call.
    let rc = unsafe { srt_connect(s, &sin as *const _ as *const libc::sockaddr, len) };
    assert_ne!(rc, SRT_ERROR, "connect: {}", last_error());
}

/// The port a socket is bound to (`srt_getsockname`).
fn local_port(s: SRTSOCKET) -> u16 {
    // SAFETY: sockaddr_in is plain old data; all-zero is a valid value.
    let mut bound: libc::sockaddr_in = unsafe { zeroed() };
    let mut len = size_of::<libc::sockaddr_in>() as c_int;
    // SAFETY: bound is a live sockaddr_in and len says its size; libsrt writes at most that.
    let rc = unsafe { srt_getsockname(s, &mut bound as *mut _ as *mut libc::sockaddr, &mut len) };
    assert_eq!(rc, 0, "getsockname: {}", last_error());
    u16::from_be(bound.sin_port)
}

/// `srt_accept`, returning the new socket.
fn accept(listener: SRTSOCKET) -> SRTSOCKET {
    // SAFETY: sockaddr_storage is plain old data; all-zero is a valid value.
    let mut peer: libc::sockaddr_storage = unsafe { zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as c_int;
    // SAFETY: peer is a live sockaddr_storage and len says its size.
    let conn = unsafe {
        srt_accept(
            listener,
            &mut peer as *mut _ as *mut libc::sockaddr,
            &mut len,
        )
    };
    assert_ne!(conn, SRT_INVALID_SOCK, "accept: {}", last_error());
    conn
}

/// `srt_sendmsg` of one whole message, no TTL, in order; returns libsrt's answer.
fn sendmsg(s: SRTSOCKET, msg: &[u8]) -> c_int {
    // SAFETY: msg is valid for reads of msg.len() bytes during the call.
    unsafe { srt_sendmsg(s, msg.as_ptr() as *const c_char, msg.len() as c_int, -1, 1) }
}

/// `srt_recvmsg` into `buf`; returns libsrt's answer.
fn recvmsg(s: SRTSOCKET, buf: &mut [u8]) -> c_int {
    // SAFETY: buf is valid for writes of buf.len() bytes during the call.
    unsafe { srt_recvmsg(s, buf.as_mut_ptr() as *mut c_char, buf.len() as c_int) }
}

/// `srt_close`.
fn close(s: SRTSOCKET) {
    // SAFETY: s is a socket this test created and closes once.
    assert_eq!(unsafe { srt_close(s) }, 0, "close: {}", last_error());
}

#[test]
fn raw_loopback_handshake_one_message_each_way() {
    startup();
    let listener = create();
    bind_v4(listener, SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0));
    // SAFETY: listener is a bound socket this test owns.
    let rc = unsafe { srt_listen(listener, 1) };
    assert_eq!(rc, 0, "listen: {}", last_error());
    let port = local_port(listener);
    assert_ne!(port, 0);

    let server = thread::spawn(move || {
        let conn = accept(listener);
        let mut buf = [0u8; 1500];
        let n = recvmsg(conn, &mut buf);
        assert_eq!(n, 5, "recvmsg: {}", last_error());
        assert_eq!(&buf[..5], b"hello");
        assert_eq!(sendmsg(conn, b"world!"), 6, "sendmsg: {}", last_error());
        // Wait for the caller to read before closing.
        assert_eq!(recvmsg(conn, &mut buf), 3);
        assert_eq!(&buf[..3], b"bye");
        close(conn);
        close(listener);
    });

    let caller = create();
    connect_v4(caller, SocketAddrV4::new(Ipv4Addr::LOCALHOST, port));
    // SAFETY: srt_getsockstate takes any socket id.
    assert_eq!(unsafe { srt_getsockstate(caller) }, SRTS_CONNECTED);
    assert_eq!(sendmsg(caller, b"hello"), 5);
    let mut buf = [0u8; 1500];
    let n = recvmsg(caller, &mut buf);
    assert_eq!(n, 6, "recvmsg: {}", last_error());
    assert_eq!(&buf[..6], b"world!");
    assert_eq!(sendmsg(caller, b"bye"), 3);
    server.join().expect("server thread");
    close(caller);
}
