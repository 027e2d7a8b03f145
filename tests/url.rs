//! `srt://` URLs: parsing, errors that name the problem, Display/FromStr round trips.

use srtfu::*;
use std::time::Duration;

/// Parses `url`, expecting an error whose text contains every one of `words`.
fn refused(url: &str, words: &[&str]) {
    let e = match url.parse::<SrtUrl>() {
        Ok(u) => panic!("{url} was accepted as {u}"),
        Err(e) => e,
    };
    let text = e.to_string();
    for w in words {
        assert!(
            text.contains(w),
            "error for {url} should name {w:?}: {text}"
        );
    }
    // Opening the same URL fails the same way, before any network activity.
    let e2 = SrtSocket::new(url).expect_err(url);
    assert_eq!(e2.to_string(), text);
}

#[test]
fn bad_urls_name_the_problem() {
    refused("http://127.0.0.1:9000", &["scheme", "http"]);
    refused("udp://127.0.0.1:9000", &["scheme", "udp"]);
    refused("127.0.0.1:9000", &["srt://"]);
    refused("srt://127.0.0.1", &["no port"]);
    refused("srt://127.0.0.1:", &["no port"]);
    refused("srt://127.0.0.1:70000", &["70000", "out of range"]);
    refused("srt://127.0.0.1:port", &["port", "not a number"]);
    refused(
        "srt://127.0.0.1:9000?frobnicate=1",
        &["frobnicate", "unknown key"],
    );
    refused(
        "srt://127.0.0.1:9000?latency=abc",
        &["latency", "abc", "integer"],
    );
    refused(
        "srt://127.0.0.1:9000?latency=99999999999",
        &["latency", "out of range"],
    );
    refused("srt://127.0.0.1:9000?mode=sideways", &["mode", "sideways"]);
    refused(
        "srt://127.0.0.1:9000?passphrase=",
        &["passphrase", "empty value"],
    );
    refused(
        "srt://127.0.0.1:9000?latency=1&latency=2",
        &["latency", "more than once"],
    );
    refused(
        "srt://127.0.0.1:9000?latency=1&LATENCY=2",
        &["LATENCY", "more than once"],
    );
    refused(
        "srt://127.0.0.1:9000?tsbpd=1&tsbpdmode=0",
        &["tsbpdmode", "more than once"],
    );
    refused("srt://::1:9000", &["IPv6", "brackets"]);
    refused("srt://[::1:9000", &["unclosed"]);
    refused("srt://[::zz]:9000", &["IPv6"]);
    refused("srt://127.0.0.1:9000?kmstate=1", &["kmstate", "read-only"]);
    refused(
        "srt://127.0.0.1:9000?tlpktdrop=maybe",
        &["tlpktdrop", "maybe", "boolean"],
    );
    refused(
        "srt://127.0.0.1:9000?transtype=video",
        &["transtype", "video"],
    );
    refused("srt://127.0.0.1:9000?timeout=-1", &["timeout", "-1"]);
    refused("srt://127.0.0.1:9000/path", &["path"]);
    refused("srt://user@127.0.0.1:9000", &["user"]);
    refused("srt://127.0.0.1:0", &["caller", "port"]);
    refused("srt://:9000?mode=caller", &["caller", "host"]);
    refused("srt://127.0.0.1:9000?=5", &["no key"]);
}

#[test]
fn passphrase_is_hidden_in_errors_and_debug() {
    // libsrt refuses a 6-byte passphrase when the URL's options are applied.
    let e = SrtSocket::new("srt://127.0.0.1:9000?passphrase=secret").unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::InvalidParam), "{e}");
    let text = e.to_string();
    assert!(
        !text.contains("secret") && text.contains("passphrase"),
        "{text}"
    );
    let u: SrtUrl = "srt://127.0.0.1:9000?passphrase=verysecretpassword"
        .parse()
        .unwrap();
    assert!(!format!("{u:?}").contains("verysecretpassword"), "{u:?}");
}

#[test]
fn display_and_from_str_round_trip() {
    for text in [
        "srt://127.0.0.1:9000",
        "srt://:9000",
        "srt://[::1]:9000",
        "srt://localhost:4201?latency=200",
        "srt://127.0.0.1:9000?mode=listener",
        "srt://127.0.0.1:9000?mode=rendezvous&port=9001",
        "srt://10.0.0.1:9000?adapter=127.0.0.1",
        "srt://127.0.0.1:9000?bind=127.0.0.1%3A5000",
        "srt://127.0.0.1:9000?timeout=500&retries=2",
        "srt://127.0.0.1:9000?streamid=%23%21%3A%3Ar%3Dlive%2Ffeed1%2Cm%3Dpublish",
        "srt://127.0.0.1:9000?passphrase=0123456789abc&pbkeylen=32",
        "srt://127.0.0.1:9000?transtype=file&messageapi=no&payloadsize=1456",
        "srt://127.0.0.1:9000?maxbw=6000000000&inputbw=5000000000",
        "srt://127.0.0.1:9000?tsbpdmode=yes&tlpktdrop=no",
        "srt://127.0.0.1:9000?linger=5",
        "srt://127.0.0.1:9000?congestion=file&fc=32000&mss=1400",
    ] {
        let u: SrtUrl = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        let shown = u.to_string();
        let again: SrtUrl = shown.parse().unwrap_or_else(|e| panic!("{shown}: {e}"));
        assert_eq!(again, u, "{text} → {shown}");
        assert_eq!(again.to_string(), shown);
    }
    // Written in canonical form, Display gives back the same text.
    for text in [
        "srt://127.0.0.1:9000?latency=200",
        "srt://[::1]:9000?mode=listener",
        "srt://:9000?streamid=feed1",
    ] {
        assert_eq!(text.parse::<SrtUrl>().unwrap().to_string(), text);
    }
}

#[test]
fn parsed_parts() {
    let u: SrtUrl = "srt://:9000".parse().unwrap();
    assert_eq!((u.host(), u.port(), u.mode()), ("", 9000, Mode::Listener));
    let u: SrtUrl = "srt://127.0.0.1:9000".parse().unwrap();
    assert_eq!(u.mode(), Mode::Caller);
    let u: SrtUrl = "srt://127.0.0.1:9000?adapter=127.0.0.1".parse().unwrap();
    assert_eq!(u.mode(), Mode::Rendezvous);
    assert_eq!(u.adapter(), Some("127.0.0.1"));
    for (m, want) in [
        ("client", Mode::Caller),
        ("caller", Mode::Caller),
        ("server", Mode::Listener),
        ("listener", Mode::Listener),
        ("rendezvous", Mode::Rendezvous),
        ("LISTENER", Mode::Listener),
    ] {
        let u: SrtUrl = format!("srt://127.0.0.1:9000?mode={m}").parse().unwrap();
        assert_eq!(u.mode(), want, "{m}");
    }
    let u: SrtUrl = "srt://[::1]:9000".parse().unwrap();
    assert_eq!(u.host(), "::1");
    assert_eq!(u.remote_addr().unwrap(), "[::1]:9000".parse().unwrap());
    let u: SrtUrl = "srt://localhost:9000".parse().unwrap();
    assert!(u.remote_addr().unwrap().ip().is_loopback());
    let u: SrtUrl = "srt://127.0.0.1:9000?timeout=250&retries=3"
        .parse()
        .unwrap();
    assert_eq!(u.timeout(), Some(Duration::from_millis(250)));
    assert_eq!(u.retries(), 3);
    let u: SrtUrl = "srt://127.0.0.1:9000?latency=80".parse().unwrap();
    assert_eq!(u.option("latency").as_deref(), Some("80"));
    assert_eq!(u.option("streamid"), None);
    let u: SrtUrl = "srt://127.0.0.1:9000?transtype=file".parse().unwrap();
    assert!(u.is_file_mode());
}

#[test]
fn booleans_in_every_spelling() {
    for (text, want) in [
        ("yes", true),
        ("no", false),
        ("on", true),
        ("off", false),
        ("true", true),
        ("false", false),
        ("1", true),
        ("0", false),
        ("YES", true),
        ("Off", false),
    ] {
        assert_eq!(parse_bool(text), Some(want), "{text}");
        let u: SrtUrl = format!("srt://127.0.0.1:9000?tlpktdrop={text}")
            .parse()
            .unwrap();
        let shown = if want { "yes" } else { "no" };
        assert_eq!(u.option("tlpktdrop").as_deref(), Some(shown), "{text}");
        // And the value reaches the socket.
        let s = SrtSocket::from_url(&u).unwrap();
        assert_eq!(s.getsockflag(SRTO_TLPKTDROP).unwrap(), want, "{text}");
    }
    assert_eq!(parse_bool("2"), None);
    assert_eq!(parse_bool(""), None);
}

#[test]
fn url_options_reach_the_socket() {
    let s = SrtSocket::new(
        "srt://127.0.0.1:9000?latency=222&streamid=abc&maxbw=5000000000&transtype=file\
         &conntimeo=1500&timeout=700&linger=3&payloadsize=1000&messageapi=on",
    )
    .unwrap();
    assert_eq!(s.getsockflag(SRTO_LATENCY).unwrap(), 222);
    assert_eq!(s.streamid().unwrap(), "abc");
    assert_eq!(s.getsockflag(SRTO_MAXBW).unwrap(), 5_000_000_000);
    // transtype is applied first, so the later options are not reset by it.
    assert_eq!(s.getsockflag(SRTO_CONGESTION).unwrap(), "file");
    assert_eq!(s.payload_size().unwrap(), 1000);
    assert!(s.getsockflag(SRTO_MESSAGEAPI).unwrap());
    assert_eq!(s.getsockflag(SRTO_CONNTIMEO).unwrap(), 1500);
    assert_eq!(s.getsockflag(SRTO_RCVTIMEO).unwrap(), 700);
    assert_eq!(s.getsockflag(SRTO_SNDTIMEO).unwrap(), 700);
    assert_eq!(
        s.getsockflag(SRTO_LINGER).unwrap(),
        Linger(Some(Duration::from_secs(3)))
    );
    assert_eq!(s.url().unwrap().port(), 9000);
}

#[test]
fn builder_checks_like_the_parser() {
    let u = SrtUrl::caller("127.0.0.1", 9000)
        .with("latency", 300)
        .unwrap()
        .with("streamid", "x y")
        .unwrap();
    assert_eq!(
        u.to_string(),
        "srt://127.0.0.1:9000?latency=300&streamid=x+y"
    );
    let u = u.with("latency", 400).unwrap(); // replaces
    assert_eq!(u.option("latency").as_deref(), Some("400"));
    assert!(u.clone().with("latency", "abc").is_err());
    assert!(u.clone().with("nonsense", 1).is_err());
    let l = SrtUrl::listener(9000).with("mode", "listener").unwrap();
    assert_eq!(l.to_string(), "srt://:9000?mode=listener");
    assert_eq!(
        SrtUrl::caller("::1", 9000).to_string(),
        "srt://[::1]:9000",
        "IPv6 hosts are bracketed"
    );
}

#[test]
fn every_writable_option_is_a_url_key() {
    for o in ALL_OPTIONS.iter().filter(|o| o.writable) {
        let value = match o.kind {
            ValueKind::Int | ValueKind::Int64 => "16",
            ValueKind::Bool => "yes",
            ValueKind::Str => match o.name {
                "SRTO_PASSPHRASE" => "0123456789abc",
                "SRTO_CONGESTION" => "live",
                _ => "lo",
            },
            ValueKind::TransType => "live",
            ValueKind::Linger => "1",
            other => panic!("{} has writable kind {other:?}", o.name),
        };
        let text = format!("srt://127.0.0.1:9000?{}={value}", o.url_key());
        let u: SrtUrl = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(u.option(&o.url_key()).is_some(), "{text}");
    }
}
