//! Property tests of the `srt://` URL parser: it never panics, every rejection names what is
//! wrong (a key that is in the URL, or a part of the URL), and what it accepts prints back to
//! a URL that parses to the same thing. The cargo-fuzz target in fuzz/ checks the same
//! properties with coverage guidance.

use proptest::prelude::*;
use srtfu::{Error, SrtSocket, SrtUrl};

/// Words naming a part of a URL; an `InvalidUrl` reason must contain one.
const PARTS: &[&str] = &[
    "scheme", "srt://", "fragment", "path", "user", "host", "port", "ipv6", "key", "query", "mode",
    "caller", "value",
];

/// Checks the rejection of `input` names the problem; returns the message.
fn check_rejection(input: &str, err: &Error) -> String {
    let text = err.to_string();
    assert!(!text.trim().is_empty(), "empty error for {input:?}");
    let lower_in = input.to_ascii_lowercase();
    match err {
        Error::InvalidUrl { url, reason } => {
            assert_eq!(url, input, "the error carries the URL as given");
            let r = reason.to_ascii_lowercase();
            assert!(
                PARTS.iter().any(|p| r.contains(p)),
                "reason names no part: {reason:?} for {input:?}"
            );
        }
        Error::InvalidOption { option, .. } => {
            let o = option.to_ascii_lowercase();
            let key = o.strip_prefix("srto_").unwrap_or(&o);
            assert!(
                lower_in.contains(key) || (key == "tsbpdmode" && lower_in.contains("tsbpd")),
                "option {option:?} is not in {input:?}"
            );
        }
        other => panic!("unexpected error kind for {input:?}: {other:?}"),
    }
    text
}

fn check(input: &str) {
    match input.parse::<SrtUrl>() {
        Ok(url) => {
            // Round trip: what it prints parses to the same URL.
            let printed = url.to_string();
            let again: SrtUrl = printed
                .parse()
                .unwrap_or_else(|e| panic!("{input:?} printed as {printed:?}, which fails: {e}"));
            assert_eq!(again, url, "{input:?} -> {printed:?}");
        }
        Err(e) => {
            check_rejection(input, &e);
        }
    }
}

const KEYS: &[&str] = &[
    "mode",
    "adapter",
    "port",
    "bind",
    "timeout",
    "retries",
    "latency",
    "passphrase",
    "pbkeylen",
    "streamid",
    "transtype",
    "payloadsize",
    "maxbw",
    "conntimeo",
    "rcvbuf",
    "linger",
    "tsbpd",
    "tlpktdrop",
    "peeridletimeo",
    "enforcedencryption",
    "congestion",
    "messageapi",
    "state",
    "kmstate",
    "LATENCY",
    "nosuchkey",
    "",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "-?[0-9]{1,12}",
        "(yes|no|on|off|true|false|1|0|maybe)",
        "(caller|listener|rendezvous|client|server|live|file|bogus)",
        "[a-zA-Z0-9%&=#?:/\\[\\]@ ._-]{0,90}",
        any::<String>(),
    ]
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("127.0.0.1".to_string()),
        Just("[::1]".to_string()),
        Just("::1".to_string()),
        Just("[::1".to_string()),
        Just("[nothex]".to_string()),
        Just("localhost".to_string()),
        "[a-z0-9.-]{1,20}",
        any::<String>(),
    ]
}

fn port() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(":".to_string()),
        Just(":0".to_string()),
        Just(":9000".to_string()),
        Just(":65536".to_string()),
        Just(":-1".to_string()),
        ":[0-9]{1,7}",
        ":[a-z]{1,4}",
    ]
}

fn structured() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("srt://"),
            Just("SRT://"),
            Just("udp://"),
            Just("srt:/"),
            Just("")
        ],
        host(),
        port(),
        prop_oneof![Just(""), Just("/"), Just("/path"), Just("#frag")],
        prop::collection::vec((prop::sample::select(KEYS), value(), any::<bool>()), 0..6),
    )
        .prop_map(|(scheme, host, port, path, query)| {
            let mut s = format!("{scheme}{host}{port}{path}");
            for (i, (k, v, with_eq)) in query.iter().enumerate() {
                s.push(if i == 0 { '?' } else { '&' });
                s.push_str(k);
                if *with_eq {
                    s.push('=');
                    s.push_str(v);
                }
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if std::env::var("SRTFU_SOAK").is_ok_and(|v| v == "1") { 50_000 } else { 2_000 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_string_never_panics_and_rejections_name_the_problem(s in any::<String>()) {
        check(&s);
    }

    #[test]
    fn structured_urls_never_panic_and_rejections_name_the_problem(s in structured()) {
        check(&s);
    }

    /// Socket creation from a URL (which also applies options to libsrt) never panics;
    /// failures are errors with a message.
    #[test]
    fn socket_new_from_structured_urls_never_panics(s in structured()) {
        match SrtSocket::new(&s) {
            Ok(sock) => drop(sock),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}

#[test]
fn known_bad_urls_name_their_problem() {
    for (input, expect) in [
        ("udp://1.2.3.4:5", "scheme"),
        ("srt://127.0.0.1", "port"),
        ("srt://127.0.0.1:99999", "port"),
        ("srt://127.0.0.1:9000?latency=abc", "latency"),
        ("srt://127.0.0.1:9000?nosuch=1", "nosuch"),
        ("srt://127.0.0.1:9000?latency=1&latency=2", "latency"),
        ("srt://127.0.0.1:9000?mode=sideways", "mode"),
        ("srt://127.0.0.1:9000?state=1", "state"),
        ("srt://[::1:9000", "["),
    ] {
        let err = input.parse::<SrtUrl>().expect_err(input);
        let text = check_rejection(input, &err);
        assert!(
            text.to_ascii_lowercase().contains(expect),
            "{input}: {text}"
        );
    }
}
