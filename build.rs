//! Turns what srt-sys found into cfg flags and link arguments:
//! - the libsrt version (DEP_SRT_VERSION_NUMBER, hex 0xMMmmpp) into `srt_1_5_N`, so API that
//!   exists only in newer libsrt is compiled only against it;
//! - the API previews the headers were read with (DEP_SRT_DEFINES) into `srt_aead`
//!   (SRTO_CRYPTOMODE, AES-GCM) and `srt_maxrexmitbw` (SRTO_MAXREXMITBW);
//! - the library directory (DEP_SRT_LIB_DIR) into an rpath for srtfu's own tests, examples
//!   and benches, so they load the libsrt they were built against rather than another one of
//!   the same soname on the loader's path (srtfu checks this at run time as well).

fn main() {
    const GATES: &[(u32, &str)] = &[
        (0x01_05_02, "srt_1_5_2"),
        (0x01_05_03, "srt_1_5_3"),
        (0x01_05_04, "srt_1_5_4"),
        (0x01_05_05, "srt_1_5_5"),
    ];
    for var in [
        "DEP_SRT_VERSION_NUMBER",
        "DEP_SRT_DEFINES",
        "DEP_SRT_LIB_DIR",
        "DEP_SRT_INCLUDE",
        "SRT_STATIC",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    for name in GATES
        .iter()
        .map(|(_, n)| *n)
        .chain(["srt_aead", "srt_maxrexmitbw"])
    {
        println!("cargo:rustc-check-cfg=cfg({name})");
    }
    let version = std::env::var("DEP_SRT_VERSION_NUMBER")
        .ok()
        .and_then(|v| u32::from_str_radix(&v, 16).ok())
        .expect("srt-sys reports the libsrt version (links = \"srt\")");
    for (min, name) in GATES {
        if version >= *min {
            println!("cargo:rustc-cfg={name}");
        }
    }
    let defines = std::env::var("DEP_SRT_DEFINES").unwrap_or_default();
    let defined = |name: &str| {
        defines
            .split_whitespace()
            .any(|d| d == name || d.starts_with(&format!("{name}=")))
    };
    // 1.5.2 to 1.5.x declare these only under the preview defines; 1.6 has them always.
    if version >= 0x01_06_00 || (version >= 0x01_05_02 && defined("ENABLE_AEAD_API_PREVIEW")) {
        println!("cargo:rustc-cfg=srt_aead");
    }
    if version >= 0x01_06_00 || (version >= 0x01_05_03 && defined("ENABLE_MAXREXMITBW")) {
        println!("cargo:rustc-cfg=srt_maxrexmitbw");
    }
    // Tests read the headers the bindings came from, never another directory's.
    let include = std::env::var("DEP_SRT_INCLUDE").unwrap_or_default();
    println!("cargo:rustc-env=SRTFU_SRT_INCLUDE={include}");
    println!("cargo:rustc-env=SRTFU_SRT_DEFINES={defines}");
    // And C programs the tests compile link the library the bindings link (empty: the
    // loader's default paths).
    let lib_dir = std::env::var("DEP_SRT_LIB_DIR").unwrap_or_default();
    println!("cargo:rustc-env=SRTFU_SRT_LIB_DIR={lib_dir}");
    if let Ok(dir) = std::env::var("DEP_SRT_LIB_DIR") {
        let system = ["/lib", "/usr/lib", "/lib64", "/usr/lib64"]
            .iter()
            .any(|d| {
                let p = std::path::Path::new(&dir);
                p == std::path::Path::new(d) || p.parent() == Some(std::path::Path::new(d))
            });
        if !dir.is_empty() && !system && std::env::var_os("SRT_STATIC").is_none() {
            for kind in ["tests", "examples", "benches"] {
                println!("cargo:rustc-link-arg-{kind}=-Wl,-rpath,{dir}");
            }
        }
    }
}
