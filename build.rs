//! Turns the libsrt version that srt-sys found (DEP_SRT_VERSION_NUMBER, hex 0xMMmmpp) into
//! cfg flags, so API that exists only in newer libsrt is compiled only against it:
//! `srt_1_5_2` (SRTO_CRYPTOMODE), `srt_1_5_3`, `srt_1_5_4`.

fn main() {
    const GATES: &[(u32, &str)] = &[
        (0x01_05_02, "srt_1_5_2"),
        (0x01_05_03, "srt_1_5_3"),
        (0x01_05_04, "srt_1_5_4"),
    ];
    println!("cargo:rerun-if-env-changed=DEP_SRT_VERSION_NUMBER");
    for (_, name) in GATES {
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
}
