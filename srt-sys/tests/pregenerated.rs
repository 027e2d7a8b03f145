//! `src/pregenerated.rs`, the bindings docs.rs builds with (it has no libsrt), must be what
//! bindgen makes from the headers its first line names. Run against a build from those
//! headers (scripts/libsrt-matrix.sh does, in its 1.5.5 leg); `srt-sys/pregenerate.sh`
//! rewrites the file.

const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/bindings.rs"));
const PREGENERATED: &str = include_str!("../src/pregenerated.rs");

#[test]
#[ignore = "needs a build from the headers the file names: scripts/libsrt-matrix.sh 1.5.5 runs it"]
fn pregenerated_bindings_match_what_bindgen_makes() {
    let first = |s: &'static str| s.lines().next().unwrap_or("");
    assert_eq!(
        first(GENERATED),
        first(PREGENERATED),
        "this build's headers are not the ones src/pregenerated.rs came from"
    );
    assert!(
        GENERATED == PREGENERATED,
        "src/pregenerated.rs differs from this build's bindings: run srt-sys/pregenerate.sh"
    );
}

#[test]
fn pregenerated_bindings_name_their_headers() {
    let first = PREGENERATED.lines().next().unwrap_or("");
    assert!(
        first.starts_with("// bindings generated from libsrt 1.5.")
            && first.contains("ENABLE_AEAD_API_PREVIEW"),
        "first line: {first:?}"
    );
    assert!(PREGENERATED.contains("pub fn srt_create_group"));
}
