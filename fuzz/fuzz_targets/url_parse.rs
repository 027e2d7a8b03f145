//! Fuzzes the `srt://` URL parser: no input may panic; a rejection must have a message; an
//! accepted URL must print back to a URL that parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use srtfu::{Error, SrtUrl};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match text.parse::<SrtUrl>() {
        Ok(url) => {
            let printed = url.to_string();
            let again: SrtUrl = printed
                .parse()
                .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?} fails: {e}"));
            assert_eq!(again, url);
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            assert!(matches!(
                e,
                Error::InvalidUrl { .. } | Error::InvalidOption { .. }
            ));
        }
    }
});
