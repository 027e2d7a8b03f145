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

    functional_areas_choose_what_libsrt_logs();
    log_flags_choose_the_line_format();
}

/// libsrt refuses SRTO_PBKEYLEN 17 with an error logged in SRT_LOGFA_API_CTRL (`SRT.ac`).
fn provoke_api_ctrl_error() -> usize {
    let s = SrtSocket::new_raw().unwrap();
    assert!(s.setsockflag(srtfu::SRTO_PBKEYLEN, 17).is_err());
    libsrt_records_containing("SRTO_PBKEYLEN").len()
}

/// srt_resetlogfa / srt_addlogfa / srt_dellogfa: an area's messages stop and come back.
fn functional_areas_choose_what_libsrt_logs() {
    use srtfu::log::{addlogfa, dellogfa, resetlogfa, LogFa};
    let all: Vec<LogFa> = (0..=LogFa::LASTNONE.0).map(LogFa).collect();
    let n = provoke_api_ctrl_error();
    assert!(n >= 1, "the API_CTRL error is logged by default");
    resetlogfa(&[]).unwrap();
    assert_eq!(
        provoke_api_ctrl_error(),
        n,
        "every area off: nothing logged"
    );
    addlogfa(LogFa::API_CTRL).unwrap();
    assert_eq!(provoke_api_ctrl_error(), n + 1, "API_CTRL back on");
    dellogfa(LogFa::API_CTRL).unwrap();
    assert_eq!(provoke_api_ctrl_error(), n + 1, "API_CTRL off again");
    resetlogfa(&[LogFa::CONN, LogFa::API_CTRL]).unwrap();
    assert_eq!(
        provoke_api_ctrl_error(),
        n + 2,
        "API_CTRL among the areas set"
    );
    resetlogfa(&all).unwrap();
    assert_eq!(provoke_api_ctrl_error(), n + 3, "all areas on");
    // Areas outside libsrt's bitset would abort the process inside libsrt: srtfu refuses
    // them, with libsrt's code for a bad argument, and changes nothing.
    for bad in [LogFa(64), LogFa(-1)] {
        let e = addlogfa(bad).unwrap_err();
        assert_eq!(e.code(), Some(srtfu::ErrorCode::InvalidParam), "{e}");
        assert!(e.to_string().contains(&bad.0.to_string()), "{e}");
        assert!(dellogfa(bad).is_err());
    }
    assert!(resetlogfa(&[LogFa::API_CTRL, LogFa(99)]).is_err());
    assert_eq!(provoke_api_ctrl_error(), n + 4, "nothing changed");
}

/// srt_setlogflags: without srtfu's flags the record's text carries libsrt's own prefix
/// (time, thread name, severity); with them, only the area and the message.
fn log_flags_choose_the_line_format() {
    use srtfu::log::{setlogflags, LogFlags};
    let last = || {
        libsrt_records_containing("SRTO_PBKEYLEN")
            .pop()
            .expect("a record")
            .1
    };
    provoke_api_ctrl_error();
    let plain = last();
    setlogflags(LogFlags::NONE);
    provoke_api_ctrl_error();
    let full = last();
    setlogflags(LogFlags::DISABLE_TIME | LogFlags::DISABLE_THREADNAME | LogFlags::DISABLE_EOL);
    provoke_api_ctrl_error();
    assert_eq!(last(), plain, "srtfu's flags restored");
    eprintln!("with srtfu's flags: {plain:?}\nwith none: {full:?}");
    assert!(full.len() > plain.len(), "{full:?} vs {plain:?}");
    assert!(full.ends_with(plain.as_str()), "{full:?} vs {plain:?}");
}
