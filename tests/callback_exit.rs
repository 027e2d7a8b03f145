//! Every value libsrt calls back into (the listen callback, the connect callback, the log
//! handler and their opaque data) used the way a program would, in a child process whose
//! exit is checked: a closure freed while libsrt still calls it shows up as a crash or a
//! heap-corruption abort at exit, after the scenario itself has passed.
//!
//! Each test re-runs this test binary on itself (`--exact NAME`) with `SRTFU_CALLBACK_EXIT`
//! naming the scenario; the child runs it, the parent asserts the child passed and exited
//! cleanly. Found this way: libsrt raises a failed connect's epoll ERR before it calls the
//! connect callback, so a program woken by ERR closed the socket (and srtfu freed the
//! closure) while the closure was still running (issue 12, item 8).

use std::io::{Read, Seek};
use std::net::{SocketAddr, UdpSocket};
use std::os::raw::{c_char, c_int, c_void};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use srtfu::{
    ConnectFailure, Epoll, EpollEvents, ErrorCode, RejectReason, SrtSocket, SRTO_CONNTIMEO,
    SRTO_STREAMID,
};

const SCENARIO: &str = "SRTFU_CALLBACK_EXIT";
/// The longest a child may take (each scenario needs a few seconds).
const CHILD_LIMIT: Duration = Duration::from_secs(60);
/// What a C library or the loader prints when the heap is corrupted or the process dies.
const DEATH_WORDS: [&str; 8] = [
    "malloc",
    "corrupted",
    "double free",
    "free():",
    "Aborted",
    "Segmentation",
    "AddressSanitizer",
    "SIGSEGV",
];

/// In the child (the variable names `name`): runs `scenario`. In the parent: runs the child
/// with `env` added and asserts it passed the scenario and exited cleanly.
fn in_child(name: &str, env: &[(&str, &str)], scenario: fn()) {
    if std::env::var(SCENARIO).as_deref() == Ok(name) {
        scenario();
        return;
    }
    let mut out = tempfile::tempfile().unwrap();
    let mut err = tempfile::tempfile().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(SCENARIO, name)
        // glibc prints its fatal messages to stderr, not the terminal.
        .env("LIBC_FATAL_STDERR_", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(err.try_clone().unwrap())
        .spawn()
        .unwrap();
    // libsrt 1.5.3 can deadlock at exit (see `libsrt_1_5_3_exit_deadlock`): there the
    // limit is shorter, and a child stuck that way is recognised, not taken for a pass.
    let on_1_5_3 = srtfu::version() == (1, 5, 3);
    let limit = if on_1_5_3 {
        Duration::from_secs(15)
    } else {
        CHILD_LIMIT
    };
    let deadline = Instant::now() + limit;
    let mut stuck_threads = Vec::new();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            stuck_threads = thread_names(child.id());
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    out.rewind().unwrap();
    out.read_to_string(&mut stdout).unwrap();
    err.rewind().unwrap();
    err.read_to_string(&mut stderr).unwrap();
    let report = format!("--- child stdout:\n{stdout}\n--- child stderr:\n{stderr}");
    let Some(status) = status else {
        assert!(
            on_1_5_3 && libsrt_1_5_3_exit_deadlock(&stdout, &stderr, &stuck_threads),
            "the child ran over {limit:?} (threads {stuck_threads:?})\n{report}"
        );
        eprintln!("{name}: libsrt 1.5.3 deadlocked at exit after the scenario passed (threads {stuck_threads:?})");
        return;
    };
    assert!(
        stdout.contains("test result: ok. 1 passed"),
        "the scenario did not pass in the child\n{report}"
    );
    for word in DEATH_WORDS {
        assert!(
            !stderr.contains(word),
            "the child's stderr says {word:?}\n{report}"
        );
    }
    assert!(
        status.success(),
        "the child passed, then exited with {status}\n{report}"
    );
}

/// The names of a process's threads (from /proc), for telling how a child is stuck.
fn thread_names(pid: u32) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path().join("comm")).ok())
        .map(|n| n.trim().to_string())
        .collect()
}

/// libsrt 1.5.3's deadlock at exit, seen in about 1 of 6 runs of the failed-connect
/// scenarios (gdb): its garbage collector, removing the failed socket, holds the global
/// control lock and joins the receive thread (destroying the last multiplexer), while that
/// thread, reporting the broken connect (`completeBrokenConnectionDependencies`), waits for
/// the same lock; `exit` then waits for the collector. Recognised as: the scenario passed,
/// nothing on stderr says the heap or process died, and libsrt's collector and a receive
/// worker are still alive. 1.5.1, 1.5.4 and 1.5.5 do not do this.
fn libsrt_1_5_3_exit_deadlock(stdout: &str, stderr: &str, threads: &[String]) -> bool {
    stdout.contains("test result: ok. 1 passed")
        && DEATH_WORDS.iter().all(|w| !stderr.contains(w))
        && threads.iter().any(|t| t == "SRT:GC")
        && threads.iter().any(|t| t.starts_with("SRT:RcvQ"))
}

/// A UDP port that never answers: a connect to it fails with `SRT_ENOSERVER`.
fn silent_port() -> (UdpSocket, SocketAddr) {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    (silent, addr)
}

/// A non-blocking caller with a 300 ms connect timeout and the given connect callback.
fn async_caller<F>(f: F) -> SrtSocket
where
    F: FnMut(&ConnectFailure) + Send + 'static,
{
    let mut c = SrtSocket::new_raw().unwrap();
    c.setsockflag(SRTO_CONNTIMEO, 300).unwrap();
    c.set_blocking(false).unwrap();
    c.connect_callback(f).unwrap();
    c
}

/// Waits (bounded) until `sock` reports ERR on `ep`.
fn wait_err(ep: &Epoll, sock: &SrtSocket) {
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut buf = srtfu::EpollBuffers::new();
    while Instant::now() < deadline {
        for ev in ep
            .uwait(&mut buf, Some(Duration::from_millis(100)))
            .unwrap()
        {
            if ev.socket() == sock.id() && ev.events().contains(EpollEvents::ERR) {
                return;
            }
        }
    }
    panic!("socket {} reported no ERR within 3 s", sock.id());
}

/// A listener on 127.0.0.1:0 with `f` as its listen callback.
fn listener_with<F>(f: F) -> (SrtSocket, SocketAddr)
where
    F: FnMut(&srtfu::IncomingCaller<'_>) -> Result<(), RejectReason> + Send + 'static,
{
    let mut l = SrtSocket::new_raw().unwrap();
    l.listen_callback(f).unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(8).unwrap();
    let addr = l.getsockname().unwrap();
    (l, addr)
}

/// Connects a blocking caller with `streamid`; returns the reject reason, or `None` if it
/// got in. The 10 s timeout leaves room for a panic hook that prints a backtrace inside the
/// listen callback (seconds under valgrind).
fn knock(addr: SocketAddr, streamid: &str) -> Option<RejectReason> {
    let c = SrtSocket::new_raw().unwrap();
    c.setsockflag(SRTO_STREAMID, streamid).unwrap();
    c.setsockflag(SRTO_CONNTIMEO, 10_000).unwrap();
    match c.connect(addr) {
        Ok(()) => None,
        Err(e) => {
            assert_eq!(e.code(), Some(ErrorCode::ConnRejected), "{e}");
            Some(
                e.reject_reason()
                    .expect("a rejected connect carries its reason"),
            )
        }
    }
}

/// Waits (bounded) until only the test holds `witness`: every closure that captured a clone
/// has been dropped.
fn wait_dropped(witness: &Arc<()>, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(3);
    while Arc::strong_count(witness) > 1 {
        assert!(
            Instant::now() < deadline,
            "{what}: {} closures still alive 3 s after the socket was closed",
            Arc::strong_count(witness) - 1
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

// ----- connect callback ------------------------------------------------------------------

fn panicking_connect_callback() {
    let (_silent, addr) = silent_port();
    let (tx, rx) = mpsc::channel();
    let c = async_caller(move |f| {
        tx.send(f.error).unwrap();
        panic!("connect callback bug");
    });
    let ep = Epoll::new().unwrap();
    ep.add_usock(&c, EpollEvents::OUT | EpollEvents::ERR)
        .unwrap();
    c.connect(addr).unwrap();
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(3)).unwrap(),
        ErrorCode::NoServer
    );
    wait_err(&ep, &c);
    // The socket is closed and the process exits at once, while libsrt's thread may still
    // be in the panic hook (slow with RUST_BACKTRACE=1: it symbolizes a backtrace).
}

/// The reproduction of issue 12 item 8: before the fix this child aborted at exit with
/// `malloc_consolidate(): unaligned fastbin chunk detected` (4 of 4 runs on libsrt 1.5.1).
#[test]
fn a_panicking_connect_callback_exits_cleanly() {
    in_child(
        "a_panicking_connect_callback_exits_cleanly",
        &[("RUST_BACKTRACE", "1")],
        panicking_connect_callback,
    );
}

fn connect_callback_replaced() {
    let (_silent, addr) = silent_port();
    let witness = Arc::new(());
    let (tx_first, rx_first) = mpsc::channel();
    let (tx_second, rx_second) = mpsc::channel();
    let w = Arc::clone(&witness);
    let mut c = async_caller(move |f: &ConnectFailure| {
        let _ = &w;
        tx_first.send(f.error).unwrap();
    });
    let w = Arc::clone(&witness);
    c.connect_callback(move |f| {
        let _ = &w;
        tx_second.send(f.error).unwrap();
    })
    .unwrap();
    assert_eq!(Arc::strong_count(&witness), 3);
    c.connect(addr).unwrap();
    assert_eq!(
        rx_second.recv_timeout(Duration::from_secs(3)).unwrap(),
        ErrorCode::NoServer
    );
    drop(c);
    wait_dropped(&witness, "replaced connect callbacks");
    // The replaced closure was never called; both are gone with the socket.
    assert_eq!(
        rx_first.recv_timeout(Duration::from_millis(100)),
        Err(RecvTimeoutError::Disconnected)
    );
    assert_eq!(
        rx_second.recv_timeout(Duration::from_millis(100)),
        Err(RecvTimeoutError::Disconnected)
    );
}

#[test]
fn a_replaced_connect_callback_is_not_called_and_both_are_dropped_with_the_socket() {
    in_child(
        "a_replaced_connect_callback_is_not_called_and_both_are_dropped_with_the_socket",
        &[],
        connect_callback_replaced,
    );
}

fn closed_while_connect_callback_runs() {
    let (_silent, addr) = silent_port();
    let (entered_tx, entered_rx) = mpsc::channel();
    let (closed_tx, closed_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel();
    let mut trail = Vec::with_capacity(4);
    let c = async_caller(move |f| {
        entered_tx.send(f.error).unwrap();
        // Wait (bounded) until the test has closed and dropped the socket, then use what
        // the closure owns: it must still be alive.
        let closed = closed_rx.recv_timeout(Duration::from_secs(5)).is_ok();
        trail.extend_from_slice(b"after close");
        done_tx.send((closed, trail.clone())).unwrap();
    });
    let ep = Epoll::new().unwrap();
    ep.add_usock(&c, EpollEvents::OUT | EpollEvents::ERR)
        .unwrap();
    c.connect(addr).unwrap();
    assert_eq!(
        entered_rx.recv_timeout(Duration::from_secs(3)).unwrap(),
        ErrorCode::NoServer
    );
    wait_err(&ep, &c);
    drop(ep);
    drop(c); // srt_close while libsrt is inside the callback
    closed_tx.send(()).unwrap();
    let (closed, trail) = done_rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(closed, "the closure did not see the close signal");
    assert_eq!(trail, b"after close");
    // The call in flight held the last reference: the closure is dropped as it returns.
    assert_eq!(
        done_rx.recv_timeout(Duration::from_secs(3)),
        Err(RecvTimeoutError::Disconnected)
    );
}

#[test]
fn a_socket_closed_while_its_connect_callback_runs_keeps_the_closure_until_it_returns() {
    in_child(
        "a_socket_closed_while_its_connect_callback_runs_keeps_the_closure_until_it_returns",
        &[],
        closed_while_connect_callback_runs,
    );
}

fn connect_callback_on_lost_connection() {
    let (l, addr) = listener_with(|_| Ok(()));
    let (tx, rx) = mpsc::channel();
    let mut c = SrtSocket::new_raw().unwrap();
    c.connect_callback(move |f| {
        let _ = tx.send((f.error, f.peer));
    })
    .unwrap();
    c.connect(addr).unwrap();
    let (accepted, _) = l.accept().unwrap();
    // A successful connect calls nothing.
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(300)),
        Err(RecvTimeoutError::Timeout)
    );
    // Data first: a peer closed right after the handshake is noticed only at the idle timeout.
    c.send(b"ping").unwrap();
    let mut buf = [0u8; 1500];
    assert_eq!(accepted.recvmsg(&mut buf).unwrap(), 4);
    accepted.send(b"pong").unwrap();
    assert_eq!(c.recvmsg(&mut buf).unwrap(), 4);
    drop(accepted);
    // libsrt (1.5.1 to 1.5.5) calls the connect callback when the peer's shutdown arrives.
    let (error, peer) = rx.recv_timeout(Duration::from_secs(8)).unwrap();
    assert_eq!(error, ErrorCode::ConnLost);
    assert_eq!(peer, Some(addr));
    drop(c);
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(3)),
        Err(RecvTimeoutError::Disconnected)
    );
}

#[test]
fn the_connect_callback_also_reports_a_lost_connection() {
    in_child(
        "the_connect_callback_also_reports_a_lost_connection",
        &[],
        connect_callback_on_lost_connection,
    );
}

// ----- listen callback -------------------------------------------------------------------

fn panicking_listen_callback() {
    let witness = Arc::new(());
    let w = Arc::clone(&witness);
    let (l, addr) = listener_with(move |c| {
        let _ = &w;
        if c.streamid() == "boom" {
            panic!("listen callback bug");
        }
        Ok(())
    });
    assert_eq!(knock(addr, "boom"), Some(RejectReason::ServerError));
    // The listener keeps serving and vetting.
    let c = SrtSocket::new_raw().unwrap();
    c.setsockflag(SRTO_STREAMID, "fine").unwrap();
    c.connect(addr).unwrap();
    let (accepted, _) = l.accept().unwrap();
    assert_eq!(knock(addr, "boom"), Some(RejectReason::ServerError));
    drop(l);
    wait_dropped(&witness, "panicking listen callback");
    drop((c, accepted));
}

#[test]
fn a_panicking_listen_callback_rejects_and_exits_cleanly() {
    in_child(
        "a_panicking_listen_callback_rejects_and_exits_cleanly",
        &[("RUST_BACKTRACE", "1")],
        panicking_listen_callback,
    );
}

fn listen_callback_replaced() {
    let witness = Arc::new(());
    let mut l = SrtSocket::new_raw().unwrap();
    let w = Arc::clone(&witness);
    l.listen_callback(move |_| {
        let _ = &w;
        Err(RejectReason::Forbidden)
    })
    .unwrap();
    // Replaced before listen: the second closure vets every caller.
    let w = Arc::clone(&witness);
    l.listen_callback(move |c| {
        let _ = &w;
        if c.streamid() == "second" {
            Ok(())
        } else {
            Err(RejectReason::Locked)
        }
    })
    .unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(8).unwrap();
    let addr = l.getsockname().unwrap();
    assert_eq!(knock(addr, "x"), Some(RejectReason::Locked));
    assert_eq!(knock(addr, "second"), None);
    // Replaced while listening: libsrt's answer depends on its version.
    let w = Arc::clone(&witness);
    let late = l.listen_callback(move |_| {
        let _ = &w;
        Err(RejectReason::NotFound)
    });
    if srtfu::version() >= (1, 5, 4) {
        let err = late.expect_err("libsrt >= 1.5.4 refuses a callback on a listening socket");
        assert_eq!(err.code(), Some(ErrorCode::ConnectedSocket), "{err}");
        // The refused closure is dropped at once; the second one still vets.
        assert_eq!(Arc::strong_count(&witness), 3);
        assert_eq!(knock(addr, "x"), Some(RejectReason::Locked));
    } else {
        late.unwrap();
        assert_eq!(Arc::strong_count(&witness), 4);
        assert_eq!(knock(addr, "second"), Some(RejectReason::NotFound));
    }
    drop(l);
    wait_dropped(&witness, "replaced listen callbacks");
}

#[test]
fn a_replaced_listen_callback_follows_the_libsrt_version_and_all_are_dropped() {
    in_child(
        "a_replaced_listen_callback_follows_the_libsrt_version_and_all_are_dropped",
        &[],
        listen_callback_replaced,
    );
}

/// A logger that panics on every record srtfu itself writes.
struct PanickingLogger;

impl log::Log for PanickingLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, r: &log::Record<'_>) {
        if r.target().starts_with("srtfu") {
            panic!("a logger that panics on {}", r.target());
        }
    }
    fn flush(&self) {}
}

static PANICKING_LOGGER: PanickingLogger = PanickingLogger;

fn panicking_logger_in_trampolines() {
    log::set_logger(&PANICKING_LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Warn);
    // A libsrt reason below 1000: the trampoline warns (and the logger panics) on libsrt's
    // thread, then rejects with SRT_REJX_FALLBACK.
    let (_l, addr) = listener_with(|c| match c.streamid() {
        "boom" => panic!("listen callback bug"),
        _ => Err(RejectReason::BadSecret),
    });
    assert_eq!(knock(addr, "x"), Some(RejectReason::Fallback));
    // A panicking closure: the trampoline logs the panic (the logger panics again).
    assert_eq!(knock(addr, "boom"), Some(RejectReason::ServerError));
    assert_eq!(knock(addr, "x"), Some(RejectReason::Fallback));
    // The same for the connect callback.
    let (_silent, silent) = silent_port();
    let (tx, rx) = mpsc::channel();
    let c = async_caller(move |f| {
        tx.send(f.error).unwrap();
        panic!("connect callback bug");
    });
    c.connect(silent).unwrap();
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(3)).unwrap(),
        ErrorCode::NoServer
    );
}

/// A panic inside srtfu's own logging on libsrt's thread would abort the process (it cannot
/// unwind through libsrt's C++ frames).
#[test]
fn a_logger_that_panics_inside_the_trampolines_is_contained() {
    in_child(
        "a_logger_that_panics_inside_the_trampolines_is_contained",
        &[],
        panicking_logger_in_trampolines,
    );
}

// ----- log handler -----------------------------------------------------------------------

/// Counts the libsrt records that reach the `log` crate (srtfu's handler).
struct Counter(AtomicUsize);

impl log::Log for Counter {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, r: &log::Record<'_>) {
        if r.target() == "libsrt" {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn flush(&self) {}
}

static SRTFU_RECORDS: Counter = Counter(AtomicUsize::new(0));
/// The opaque value given with the program's own handler: libsrt passes it back.
static OWN_RECORDS: AtomicUsize = AtomicUsize::new(0);

/// A program's own libsrt log handler, installed through `srtfu::sys`.
///
/// # Safety
/// `opaque` is `&OWN_RECORDS`, as installed below.
unsafe extern "C" fn own_handler(
    opaque: *mut c_void,
    _level: c_int,
    _file: *const c_char,
    _line: c_int,
    _area: *const c_char,
    _message: *const c_char,
) {
    // SAFETY: opaque is the address of the static OWN_RECORDS.
    let counter = unsafe { &*(opaque as *const AtomicUsize) };
    counter.fetch_add(1, Ordering::SeqCst);
}

fn set_own_handler() {
    let opaque = &OWN_RECORDS as *const AtomicUsize as *mut c_void;
    // SAFETY: own_handler matches SRT_LOG_HANDLER_FN and never unwinds; opaque is a static.
    unsafe { srtfu::sys::srt_setloghandler(opaque, Some(own_handler)) };
}

fn clear_handler() {
    // SAFETY: a null handler makes libsrt write to its log stream (stderr) again.
    unsafe { srtfu::sys::srt_setloghandler(std::ptr::null_mut(), None) };
}

/// `srt_accept` on a socket that does not listen: libsrt logs an error on this thread.
fn provoke_log() {
    let s = SrtSocket::new_raw().unwrap();
    assert!(s.accept().is_err());
}

/// Waits (bounded) until `count` grows past `before`, provoking libsrt logs meanwhile.
fn grows(count: &AtomicUsize, before: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        provoke_log();
        if count.load(Ordering::SeqCst) > before {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// A thread that connects and closes pairs until stopped (or for at most 20 s); stopped and
/// joined on drop too, so a failing scenario does not leave it inside libsrt at exit.
struct Churn {
    stop: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Churn {
    fn start(pairs: Arc<AtomicUsize>) -> Churn {
        let stop = Arc::new(AtomicUsize::new(0));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let (l, addr) = listener_with(|_| Ok(()));
            let deadline = Instant::now() + Duration::from_secs(20);
            while flag.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
                let c = SrtSocket::new_raw().unwrap();
                c.connect(addr).unwrap();
                drop((c, l.accept().unwrap()));
                pairs.fetch_add(1, Ordering::SeqCst);
            }
        });
        Churn {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the thread and asserts it did not fail.
    fn stop(mut self) {
        self.stop.store(1, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap();
    }
}

impl Drop for Churn {
    fn drop(&mut self) {
        self.stop.store(1, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn log_handler_set_replaced_cleared() {
    log::set_logger(&SRTFU_RECORDS).unwrap();
    log::set_max_level(log::LevelFilter::Info);
    // Sockets log from libsrt's threads the whole time: pairs connect and close.
    let pairs = Arc::new(AtomicUsize::new(0));
    let churn = Churn::start(Arc::clone(&pairs));
    let deadline = Instant::now() + Duration::from_secs(5);
    while pairs.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "no pair connected within 5 s");
        std::thread::sleep(Duration::from_millis(10));
    }

    srtfu::log::install();
    assert!(grows(&SRTFU_RECORDS.0, 0), "srtfu's handler got no record");

    set_own_handler();
    let srtfu_then = SRTFU_RECORDS.0.load(Ordering::SeqCst);
    assert!(
        grows(&OWN_RECORDS, 0),
        "the program's handler got no record"
    );
    assert_eq!(
        SRTFU_RECORDS.0.load(Ordering::SeqCst),
        srtfu_then,
        "srtfu's handler was called after it was replaced"
    );

    clear_handler();
    let own_then = OWN_RECORDS.load(Ordering::SeqCst);
    for _ in 0..20 {
        provoke_log(); // to stderr now
    }
    assert_eq!(OWN_RECORDS.load(Ordering::SeqCst), own_then);
    assert_eq!(SRTFU_RECORDS.0.load(Ordering::SeqCst), srtfu_then);

    // install() puts srtfu's handler back.
    srtfu::log::install();
    assert!(
        grows(&SRTFU_RECORDS.0, srtfu_then),
        "srtfu's handler was not reinstalled"
    );
    assert_eq!(OWN_RECORDS.load(Ordering::SeqCst), own_then);

    churn.stop();
    // Exit with a connected pair open: libsrt's threads may still log through srtfu.
    let (l, addr) = listener_with(|_| Ok(()));
    let c = SrtSocket::new_raw().unwrap();
    c.connect(addr).unwrap();
    let (accepted, _) = l.accept().unwrap();
    assert!(OPEN_AT_EXIT.set([l, c, accepted]).is_ok());
}

/// Sockets left open when the log scenario's process exits (reachable, not leaked).
static OPEN_AT_EXIT: std::sync::OnceLock<[SrtSocket; 3]> = std::sync::OnceLock::new();

#[test]
fn the_log_handler_set_replaced_and_cleared_while_sockets_log_exits_cleanly() {
    in_child(
        "the_log_handler_set_replaced_and_cleared_while_sockets_log_exits_cleanly",
        &[],
        log_handler_set_replaced_cleared,
    );
}
