//! Finds libsrt and generates bindings for the headers that were found.
//!
//! Search order:
//! 1. `SRT_LIB_DIR` + `SRT_INCLUDE_DIR` (both set): use them, no pkg-config.
//! 2. pkg-config module `srt`, then `haisrt` (older installs), unless `SRT_NO_PKG_CONFIG` is set.
//!
//! `SRT_STATIC` (any value) links libsrt statically. Every variable read is declared with
//! `rerun-if-env-changed`.

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const ENV_VARS: &[&str] = &[
    "SRT_LIB_DIR",
    "SRT_INCLUDE_DIR",
    "SRT_STATIC",
    "SRT_NO_PKG_CONFIG",
    "PKG_CONFIG_PATH",
    "PKG_CONFIG_LIBDIR",
    "PKG_CONFIG_SYSROOT_DIR",
    "LIBCLANG_PATH",
];

/// What the build found: where the headers are.
struct Found {
    include_paths: Vec<PathBuf>,
}

fn env_var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.is_empty())
}

fn help(what: &str, detail: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\n\nsrt-sys: {what}\n");
    if !detail.is_empty() {
        let _ = writeln!(s, "  {}\n", detail.trim().replace('\n', "\n  "));
    }
    s.push_str(
        "  srtfu binds the libsrt that the system has. Install it (with headers), pkg-config,\n\
         \x20 and libclang (bindgen reads the headers with it):\n\
         \n\
         \x20   ./install-libsrt.sh              (from the srtfu repository: detects your system)\n\
         \n\
         \x20   apt (Debian/Ubuntu):  apt-get install libsrt-openssl-dev pkg-config libclang-dev\n\
         \x20   dnf (Fedora/RHEL):    dnf install srt-devel pkgconf-pkg-config clang-devel\n\
         \x20   pacman (Arch):        pacman -S srt pkgconf clang\n\
         \x20   apk (Alpine):         apk add libsrt-dev pkgconf clang-dev\n\
         \x20   brew (macOS):         brew install srt pkg-config llvm\n\
         \n\
         \x20 Or point the build at a libsrt in a custom prefix:\n\
         \x20   PKG_CONFIG_PATH=/opt/srt/lib/pkgconfig cargo build\n\
         \x20   SRT_LIB_DIR=/opt/srt/lib SRT_INCLUDE_DIR=/opt/srt/include cargo build\n\
         \x20 SRT_STATIC=1 links libsrt statically; SRT_NO_PKG_CONFIG=1 skips pkg-config;\n\
         \x20 LIBCLANG_PATH names the directory holding libclang.so for bindgen.\n",
    );
    s
}

/// Stops the build with a message (no panic, no backtrace): cargo shows our stderr.
fn fail(message: String) -> ! {
    eprintln!("{message}");
    std::process::exit(1);
}

fn find_from_env() -> Option<Found> {
    let lib_dir = env_var("SRT_LIB_DIR");
    let include_dir = env_var("SRT_INCLUDE_DIR");
    match (lib_dir, include_dir) {
        (Some(lib), Some(inc)) => {
            let kind = if env_var("SRT_STATIC").is_some() {
                "static"
            } else {
                "dylib"
            };
            println!("cargo:rustc-link-search=native={lib}");
            println!("cargo:rustc-link-lib={kind}=srt");
            if kind == "static" {
                // A static libsrt needs its C++ runtime and crypto library.
                println!("cargo:rustc-link-lib=dylib=stdc++");
                println!("cargo:rustc-link-lib=dylib=crypto");
            }
            Some(Found {
                include_paths: vec![PathBuf::from(inc)],
            })
        }
        (Some(_), None) | (None, Some(_)) => fail(help(
            "SRT_LIB_DIR and SRT_INCLUDE_DIR must be set together",
            "Only one of them is set; set both (or neither, to use pkg-config).",
        )),
        (None, None) => None,
    }
}

fn find_with_pkg_config() -> Result<Found, String> {
    let statik = env_var("SRT_STATIC").is_some();
    let mut errors = String::new();
    for module in ["srt", "haisrt"] {
        match pkg_config::Config::new()
            .atleast_version("1.5.0")
            .statik(statik)
            .probe(module)
        {
            Ok(lib) => {
                return Ok(Found {
                    include_paths: lib.include_paths,
                })
            }
            Err(e) => {
                let _ = writeln!(errors, "pkg-config module '{module}': {e}");
            }
        }
    }
    Err(errors)
}

/// The SRT_VERSION_VALUE of the headers, as `major * 0x10000 + minor * 0x100 + patch`.
fn version_from_headers(include_paths: &[PathBuf]) -> Option<(u32, u32, u32)> {
    let mut candidates: Vec<PathBuf> = include_paths
        .iter()
        .flat_map(|p| [p.join("srt/version.h"), p.join("version.h")])
        .collect();
    candidates.push(PathBuf::from("/usr/include/srt/version.h"));
    candidates.push(PathBuf::from("/usr/local/include/srt/version.h"));
    for path in candidates {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let get = |name: &str| -> Option<u32> {
            text.lines().find_map(|line| {
                let rest = line.trim().strip_prefix("#define ")?.trim();
                let value = rest.strip_prefix(name)?;
                if !value.starts_with([' ', '\t']) {
                    return None;
                }
                value.trim().parse().ok()
            })
        };
        if let (Some(a), Some(b), Some(c)) = (
            get("SRT_VERSION_MAJOR"),
            get("SRT_VERSION_MINOR"),
            get("SRT_VERSION_PATCH"),
        ) {
            println!("cargo:rerun-if-changed={}", path.display());
            return Some((a, b, c));
        }
    }
    None
}

fn main() {
    for var in ENV_VARS {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-changed=build.rs");

    let found = match find_from_env() {
        Some(found) => found,
        None if env_var("SRT_NO_PKG_CONFIG").is_some() => fail(help(
            "SRT_NO_PKG_CONFIG is set but SRT_LIB_DIR and SRT_INCLUDE_DIR are not",
            "Without pkg-config the build needs both directories.",
        )),
        None => match find_with_pkg_config() {
            Ok(found) => found,
            Err(errors) => fail(help("libsrt (>= 1.5) was not found", &errors)),
        },
    };

    let (major, minor, patch) = version_from_headers(&found.include_paths).unwrap_or_else(|| {
        fail(help(
            "libsrt was found but its header srt/version.h was not",
            &format!(
                "Searched the include paths {:?}; the -dev package may be missing.",
                found.include_paths
            ),
        ))
    });
    let number = (major << 16) | (minor << 8) | patch;
    println!("cargo:version_number={number:x}");
    println!("cargo:version={major}.{minor}.{patch}");
    println!("cargo:rustc-env=SRT_SYS_VERSION={major}.{minor}.{patch}");
    println!("cargo:include={}", join_paths(&found.include_paths));

    generate(&found, number);
}

fn join_paths(paths: &[PathBuf]) -> String {
    env::join_paths(paths)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn generate(found: &Found, version_number: u32) {
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut builder = bindgen::Builder::default()
        .header("wrapper.h")
        .allowlist_function("srt_.*")
        .allowlist_type("SRT.*")
        .allowlist_type("srt_.*")
        .allowlist_type("SRT_.*")
        .allowlist_var("SRT.*")
        .allowlist_var("SRTO_.*")
        .allowlist_var("SRT_.*")
        .allowlist_var("SRTS_.*")
        // sockaddr and friends come from libc, so they are the same types std and libc use.
        .blocklist_type("sockaddr.*")
        .blocklist_type("sa_family_t")
        .blocklist_type("socklen_t")
        .blocklist_type("in_addr.*")
        .blocklist_type("in6_addr.*")
        .raw_line("#[allow(unused_imports)] use libc::{sockaddr, sockaddr_storage, socklen_t};")
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .derive_default(true)
        .derive_debug(true)
        .layout_tests(true)
        .generate_comments(true)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()));
    for path in &found.include_paths {
        builder = builder.clang_arg(format!("-I{}", path.display()));
        // The .pc file may point inside srt/; the wrapper includes <srt/srt.h>.
        if path.ends_with("srt") {
            if let Some(parent) = path.parent() {
                builder = builder.clang_arg(format!("-I{}", parent.display()));
            }
        }
    }
    // bindgen panics (rather than returning an error) when it cannot load libclang; turn that
    // into the same helpful message.
    std::panic::set_hook(Box::new(|_| {}));
    let generated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        builder.generate().map_err(|e| e.to_string())
    }))
    .unwrap_or_else(|payload| {
        let text = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "bindgen panicked".into());
        Err(text)
    });
    let _ = std::panic::take_hook();
    let bindings = match generated {
        Ok(b) => b,
        Err(e) => fail(
            help(
                "bindgen could not generate bindings for libsrt",
                &format!(
                    "{e}\nIf the message mentions libclang, install it (libclang-dev / clang-devel / clang)\n\
                     or set LIBCLANG_PATH. libsrt {}.{}.{} headers were found in {:?}.",
                    version_number >> 16,
                    (version_number >> 8) & 0xff,
                    version_number & 0xff,
                    found.include_paths
                )
            )
        ),
    };
    let dest = out.join("bindings.rs");
    bindings.write_to_file(&dest).unwrap_or_else(|e| {
        fail(format!(
            "srt-sys: cannot write {}: {e}",
            Path::display(&dest)
        ))
    });
}
