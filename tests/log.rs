//! libsrt's log messages reach the `log` crate. Own test binary: the logger is global.

use srtfu::SrtSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

struct Recorder {
    records: Mutex<Vec<(String, log::Level, String)>>,
    panic_now: AtomicBool,
}

impl log::Log for Recorder {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, r: &log::Record) {
        if r.target() == "libsrt" && self.panic_now.load(Ordering::SeqCst) {
            panic!("a logger that panics");
        }
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((r.target().to_string(), r.level(), r.args().to_string()));
    }
    fn flush(&self) {}
}

static RECORDER: Recorder = Recorder {
    records: Mutex::new(Vec::new()),
    panic_now: AtomicBool::new(false),
};

fn libsrt_records_containing(word: &str) -> Vec<(log::Level, String)> {
    RECORDER
        .records
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _, m)| t == "libsrt" && m.contains(word))
        .map(|(_, l, m)| (*l, m.clone()))
        .collect()
}

/// srt_accept on a socket that does not listen: libsrt logs an error from the calling thread.
fn provoke_accept_error() {
    let s = SrtSocket::new_raw().unwrap();
    assert!(s.accept().is_err());
}

/// Runs `f` with this process's stderr (fd 2) sent to a temporary file; returns the text.
fn capture_stderr(f: impl FnOnce()) -> String {
    use std::io::{Read, Seek};
    use std::os::fd::AsRawFd;
    let mut file = tempfile::tempfile().unwrap();
    // SAFETY: dup/dup2 on valid descriptors; fd 2 is restored before returning.
    let saved = unsafe { libc::dup(2) };
    assert!(saved >= 0);
    // SAFETY: as above; file's descriptor is open for the whole call.
    assert!(unsafe { libc::dup2(file.as_raw_fd(), 2) } >= 0);
    f();
    // SAFETY: restores the saved descriptor and closes the copy.
    unsafe {
        libc::dup2(saved, 2);
        libc::close(saved);
    }
    let mut text = String::new();
    file.rewind().unwrap();
    file.read_to_string(&mut text).unwrap();
    text
}

// One test, so the steps on the global logger and libsrt's global level run in order.
#[test]
fn libsrt_logs_go_to_the_log_crate() {
    log::set_logger(&RECORDER).unwrap();
    log::set_max_level(log::LevelFilter::Warn);
    srtfu::log::install();
    srtfu::log::install(); // twice is harmless

    // libsrt writes nothing to stderr itself any more.
    let stderr = capture_stderr(provoke_accept_error);
    assert!(
        !stderr.contains("SRT."),
        "libsrt still writes to stderr: {stderr}"
    );
    let got = libsrt_records_containing("listening");
    assert!(
        !got.is_empty(),
        "no libsrt record: {:?}",
        RECORDER.records.lock().unwrap()
    );
    assert_eq!(got[0].0, log::Level::Error, "{got:?}");
    assert!(got[0].1.contains("srt_accept"), "{got:?}");
    assert!(!got[0].1.ends_with('\n'), "no trailing newline: {got:?}");

    // A rejected connection is logged too (from libsrt's own threads).
    let l = SrtSocket::new_raw().unwrap();
    l.setsockflag(srtfu::SRTO_PASSPHRASE, "listener passphrase")
        .unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(1).unwrap();
    let c = SrtSocket::new_raw().unwrap();
    c.setsockflag(srtfu::SRTO_CONNTIMEO, 1000).unwrap();
    assert!(c.connect(l.getsockname().unwrap()).is_err());
    let all = RECORDER.records.lock().unwrap().len();
    assert!(all > got.len(), "the rejection produced more records");

    // set_level(Off): libsrt stops producing error messages.
    srtfu::log::set_level(log::LevelFilter::Off);
    let before = libsrt_records_containing("listening").len();
    provoke_accept_error();
    assert_eq!(libsrt_records_containing("listening").len(), before);
    srtfu::log::set_level(log::LevelFilter::Warn);
    provoke_accept_error();
    assert_eq!(libsrt_records_containing("listening").len(), before + 1);

    // A logger that panics does not unwind into libsrt: the call returns its error.
    RECORDER.panic_now.store(true, Ordering::SeqCst);
    provoke_accept_error();
    RECORDER.panic_now.store(false, Ordering::SeqCst);
    provoke_accept_error();
    assert_eq!(libsrt_records_containing("listening").len(), before + 2);
}
