//! Option values are judged by libsrt, not by srtfu: whichever side refuses a value, the error
//! has libsrt's code (`SRT_EINVPARAM`, `ErrorCode::InvalidParam`) and names the option, by API
//! and by URL. Passphrases are counted in bytes, as libsrt counts them, and the longest one
//! libsrt takes works end to end.

use srtfu::*;
use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

/// The passphrase lengths (bytes) the running libsrt accepts besides 0, per version:
/// `srtcore/socketconfig.cpp` checks `optlen < 10 || optlen > HAICRYPT_SECRET_MAX_SZ` (80) in
/// 1.5.3, 1.5.4 and 1.5.5; 1.5.1 measured the same (10 and 80 taken, 9 and 81 refused).
fn passphrase_bytes_accepted() -> std::ops::RangeInclusive<usize> {
    match version() {
        (1, 5, 1..=5) => 10..=80,
        v => panic!("libsrt {v:?}: passphrase bounds not checked for this version yet"),
    }
}

/// Asserts `e` is libsrt's invalid-parameter error and its message names every word.
fn assert_invalid_param(e: &Error, words: &[&str], what: &str) {
    assert_eq!(e.code(), Some(ErrorCode::InvalidParam), "{what}: {e}");
    let text = e.to_string();
    for w in words {
        assert!(
            text.contains(w),
            "{what}: the error should name {w:?}: {text}"
        );
    }
}

/// Every value issue 12 lists, refused by libsrt (all versions 1.5.1 to 1.5.5 check these; see
/// `accepted_range`): by API the code is InvalidParam and the message names the option and
/// what libsrt takes; by URL the same code, naming the URL key.
#[test]
fn refused_values_carry_invalid_param_and_name_the_option() {
    let sid513 = "s".repeat(513);
    let nine = "ninechars";
    let cases: Vec<(&str, &str, Result<()>)> = {
        let s = SrtSocket::new_raw().unwrap();
        vec![
            ("SRTO_FC", "-1", s.setsockflag(SRTO_FC, -1)),
            ("SRTO_FC", "31", s.setsockflag(SRTO_FC, 31)),
            ("SRTO_LATENCY", "-1", s.setsockflag(SRTO_LATENCY, -1)),
            ("SRTO_RCVLATENCY", "-1", s.setsockflag(SRTO_RCVLATENCY, -1)),
            (
                "SRTO_PEERLATENCY",
                "-1",
                s.setsockflag(SRTO_PEERLATENCY, -1),
            ),
            ("SRTO_CONNTIMEO", "-1", s.setsockflag(SRTO_CONNTIMEO, -1)),
            (
                "SRTO_PEERIDLETIMEO",
                "-1",
                s.setsockflag(SRTO_PEERIDLETIMEO, -1),
            ),
            ("SRTO_OHEADBW", "-1", s.setsockflag(SRTO_OHEADBW, -1)),
            (
                "SRTO_PAYLOADSIZE",
                "-1",
                s.setsockflag(SRTO_PAYLOADSIZE, -1),
            ),
            (
                "SRTO_PAYLOADSIZE",
                "1500",
                s.setsockflag(SRTO_PAYLOADSIZE, 1500),
            ),
            ("SRTO_PBKEYLEN", "17", s.setsockflag(SRTO_PBKEYLEN, 17)),
            ("SRTO_MAXBW", "-2", s.setsockflag(SRTO_MAXBW, -2i64)),
            (
                "SRTO_STREAMID",
                &sid513,
                s.setsockflag(SRTO_STREAMID, sid513.as_str()),
            ),
            (
                "SRTO_PASSPHRASE",
                nine,
                s.setsockflag(SRTO_PASSPHRASE, nine),
            ),
        ]
    };
    for (name, value, res) in cases {
        let e = res.expect_err(name);
        let range = accepted_range(name).expect("a range is documented for every case");
        assert_invalid_param(&e, &[name, range], name);
        assert_eq!(e.srt().unwrap().call(), "srt_setsockflag", "{e}");
        if name == "SRTO_PASSPHRASE" {
            assert!(!e.to_string().contains(value), "passphrase shown: {e}");
            assert!(e.to_string().contains("9 bytes"), "{e}");
        }
        // The same value by URL goes through the same setsockflag.
        let key = name.strip_prefix("SRTO_").unwrap().to_ascii_lowercase();
        let url = format!("srt://127.0.0.1:9000?{key}={value}");
        let parsed: SrtUrl = url.parse().unwrap_or_else(|e| panic!("{url}: {e}"));
        assert!(parsed.to_string().contains(&key), "{parsed}");
        let e = SrtSocket::new(&url).expect_err(&url);
        assert_invalid_param(&e, &[name, &format!("URL key {key}")], &url);
    }
}

/// Values libsrt accepts at the edges of the same ranges are accepted: srtfu adds no bound
/// of its own.
#[test]
fn values_at_libsrt_bounds_are_accepted() {
    let s = SrtSocket::new_raw().unwrap();
    s.setsockflag(SRTO_FC, 32).unwrap();
    s.setsockflag(SRTO_OHEADBW, 5).unwrap();
    s.setsockflag(SRTO_OHEADBW, 100).unwrap();
    s.setsockflag(SRTO_PAYLOADSIZE, 1456).unwrap();
    s.setsockflag(SRTO_STREAMID, "s".repeat(512)).unwrap();
    s.setsockflag(SRTO_MAXBW, -1i64).unwrap();
    s.setsockflag(SRTO_PASSPHRASE, "").unwrap();
    for n in [9, 10, 79, 80, 81] {
        let res = s.setsockflag(SRTO_PASSPHRASE, "p".repeat(n));
        if passphrase_bytes_accepted().contains(&n) {
            res.unwrap_or_else(|e| panic!("{n} bytes: {e}"));
        } else {
            let e = res.expect_err("outside libsrt's bounds");
            assert_invalid_param(
                &e,
                &["SRTO_PASSPHRASE", &format!("{n} bytes")],
                "passphrase",
            );
        }
    }
}

/// What srtfu refuses itself (a NUL byte inside a string, which libsrt would cut the value
/// at) carries the same code as libsrt's refusals, by API and by URL.
#[test]
fn srtfus_own_refusals_carry_invalid_param() {
    let s = SrtSocket::new_raw().unwrap();
    let e = s.setsockflag(SRTO_STREAMID, "a\0b").unwrap_err();
    assert_invalid_param(&e, &["SRTO_STREAMID", "NUL"], "NUL streamid");
    let e = s
        .setsockflag(SRTO_PASSPHRASE, "0123456789\0abc")
        .unwrap_err();
    assert_invalid_param(&e, &["SRTO_PASSPHRASE", "NUL"], "NUL passphrase");
    assert!(
        !e.to_string().contains("0123456789"),
        "passphrase shown: {e}"
    );
    let url = "srt://127.0.0.1:9000?streamid=a%00b";
    let e = SrtSocket::new(url).expect_err(url);
    assert_invalid_param(&e, &["SRTO_STREAMID", "URL key streamid", "NUL"], url);
}

/// A listener with `passphrase` (set by API or by URL); returns it and its address.
fn listener(passphrase: &str, by_url: bool) -> (SrtSocket, SocketAddr) {
    let l = if by_url {
        let url = format!("srt://127.0.0.1:0?mode=listener&passphrase={passphrase}");
        let l = SrtSocket::new(&url).unwrap_or_else(|e| panic!("{url}: {e}"));
        l.bind_url().unwrap();
        l
    } else {
        let l = SrtSocket::new_raw().unwrap();
        l.setsockflag(SRTO_PASSPHRASE, passphrase).unwrap();
        l.bind("127.0.0.1:0").unwrap();
        l
    };
    l.listen(2).unwrap();
    let addr = l.getsockname().unwrap();
    (l, addr)
}

/// Connects a caller with `passphrase` (by API or URL) to a listener with the same one,
/// checks both sides are secured and a message crosses.
fn connect_and_exchange(passphrase: &str, by_url: bool) {
    let what = format!(
        "{} bytes by {}",
        passphrase.len(),
        if by_url { "URL" } else { "API" }
    );
    let (l, addr) = listener(passphrase, by_url);
    let t = thread::spawn(move || l.accept().map(|(s, _)| s));
    let c = if by_url {
        let url = format!(
            "srt://127.0.0.1:{}?passphrase={passphrase}&conntimeo=3000",
            addr.port()
        );
        SrtSocket::open(&url).unwrap_or_else(|e| panic!("{what}: {e}"))
    } else {
        let c = SrtSocket::new_raw().unwrap();
        c.setsockflag(SRTO_PASSPHRASE, passphrase).unwrap();
        c.setsockflag(SRTO_CONNTIMEO, 3000).unwrap();
        c.connect(addr).unwrap_or_else(|e| panic!("{what}: {e}"));
        c
    };
    let s = t.join().unwrap().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        c.getsockflag(SRTO_KMSTATE).unwrap(),
        KmState::Secured,
        "{what}"
    );
    assert_eq!(
        s.getsockflag(SRTO_KMSTATE).unwrap(),
        KmState::Secured,
        "{what}"
    );
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let msg = format!("secret message, {what}");
    c.sendmsg2(msg.as_bytes(), None).unwrap();
    let mut buf = [0u8; 1500];
    let n = s
        .recvmsg(&mut buf)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(&buf[..n], msg.as_bytes(), "{what}");
}

/// "ééééé" is 5 characters and 10 bytes: libsrt counts bytes and takes it; so does srtfu.
/// An 80-byte passphrase (40 "é") is libsrt's longest; both connect and carry data, by API
/// and by URL. 81 bytes is refused by libsrt, by API and by URL, with InvalidParam.
#[test]
fn multibyte_and_longest_passphrases_work_end_to_end() {
    let accepted = passphrase_bytes_accepted();
    let five_e = "ééééé";
    let eighty = "é".repeat(40);
    let eighty_one = format!("{eighty}x");
    assert_eq!((five_e.len(), eighty.len(), eighty_one.len()), (10, 80, 81));
    for p in [five_e, eighty.as_str(), eighty_one.as_str()] {
        if accepted.contains(&p.len()) {
            connect_and_exchange(p, false);
            connect_and_exchange(p, true);
        } else {
            let e = SrtSocket::new_raw()
                .unwrap()
                .setsockflag(SRTO_PASSPHRASE, p)
                .expect_err("refused by this libsrt");
            assert_invalid_param(&e, &["SRTO_PASSPHRASE", "81 bytes"], "81 by API");
            let url = format!("srt://127.0.0.1:9000?passphrase={p}");
            let e = SrtSocket::new(&url).expect_err("refused by this libsrt");
            assert_invalid_param(&e, &["SRTO_PASSPHRASE", "URL key passphrase"], "81 by URL");
            assert!(!e.to_string().contains(p), "passphrase shown: {e}");
        }
    }
}
