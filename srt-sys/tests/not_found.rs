//! The build's not-found messages: srt-sys's build script, run with libsrt or libclang hidden,
//! must stop with a message that names what is missing and how to get it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The compiled build script of this package (the newest, if several builds exist).
fn build_script() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/not_found-HASH -> target/<profile>/build
    let build_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .join("build");
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&build_dir)
        .expect("target/<profile>/build exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("srtfu-sys-"))
        .map(|e| e.path().join("build-script-build"))
        .filter(|p| p.is_file())
        .collect();
    scripts.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    scripts.pop().expect("srt-sys build script was compiled")
}

fn run_script(envs: &[(&str, &str)], remove: &[&str]) -> (bool, String) {
    let out_dir = tempfile_dir();
    let mut cmd = Command::new(build_script());
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("OUT_DIR", &out_dir)
        .env("TARGET", "x86_64-unknown-linux-gnu")
        .env("HOST", "x86_64-unknown-linux-gnu")
        .env("CARGO_MANIFEST_DIR", env!("CARGO_MANIFEST_DIR"));
    for key in remove {
        cmd.env_remove(key);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("build script runs");
    let _ = std::fs::remove_dir_all(&out_dir);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "srt-sys-not-found-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn assert_helpful(stderr: &str) {
    for needle in [
        "./install-libsrt.sh",
        "libsrt-openssl-dev",
        "srt-devel",
        "pacman -S srt",
        "apk add libsrt-dev",
        "brew install srt",
        "SRT_LIB_DIR",
        "SRT_INCLUDE_DIR",
        "PKG_CONFIG_PATH",
    ] {
        assert!(
            stderr.contains(needle),
            "message lacks {needle:?}:\n{stderr}"
        );
    }
    assert!(
        !stderr.contains("stack backtrace"),
        "a bare panic:\n{stderr}"
    );
    assert!(!stderr.contains("panicked at"), "a bare panic:\n{stderr}");
}

#[test]
fn missing_libsrt_names_the_packages_and_overrides() {
    let (ok, stderr) = run_script(
        &[
            ("PKG_CONFIG_LIBDIR", "/nonexistent"),
            ("PKG_CONFIG_PATH", "/nonexistent"),
        ],
        &["SRT_LIB_DIR", "SRT_INCLUDE_DIR", "SRT_NO_PKG_CONFIG"],
    );
    assert!(!ok, "the build script must fail without libsrt");
    assert!(stderr.contains("libsrt (>= 1.5) was not found"), "{stderr}");
    assert_helpful(&stderr);
    println!("observed message:\n{stderr}");
}

#[test]
fn missing_libclang_names_the_package() {
    let (ok, stderr) = run_script(&[("LIBCLANG_PATH", "/nonexistent")], &[]);
    assert!(!ok, "the build script must fail without libclang");
    assert!(stderr.contains("libclang"), "{stderr}");
    assert!(stderr.contains("libclang-dev"), "{stderr}");
    assert_helpful(&stderr);
}

#[test]
fn half_of_the_override_pair_is_refused() {
    let (ok, stderr) = run_script(&[("SRT_LIB_DIR", "/usr/lib")], &["SRT_INCLUDE_DIR"]);
    assert!(!ok);
    assert!(
        stderr.contains("SRT_LIB_DIR and SRT_INCLUDE_DIR must be set together"),
        "{stderr}"
    );
}

#[test]
fn override_variables_find_libsrt_without_pkg_config() {
    let multiarch = Command::new("gcc").arg("-print-multiarch").output();
    let libdir = match multiarch {
        Ok(o) if o.status.success() => {
            format!("/usr/lib/{}", String::from_utf8_lossy(&o.stdout).trim())
        }
        _ => "/usr/lib".to_string(),
    };
    if !Path::new(&libdir).join("libsrt.so").exists()
        && !Path::new(&libdir).join("libsrt-gnutls.so").exists()
    {
        assert!(std::env::var("CI").is_err(), "libsrt.so not in {libdir}");
        eprintln!("skipping: libsrt.so not in {libdir}");
        return;
    }
    let (ok, stderr) = run_script(
        &[
            ("SRT_NO_PKG_CONFIG", "1"),
            ("SRT_LIB_DIR", &libdir),
            ("SRT_INCLUDE_DIR", "/usr/include"),
        ],
        &[],
    );
    assert!(ok, "override build failed:\n{stderr}");
}

/// An override is the truth: one that points at nothing stops the build naming the variable,
/// instead of falling back to other headers (whose version and layouts may differ).
#[test]
fn an_override_pointing_at_nothing_stops_the_build_naming_it() {
    let empty = tempfile_dir();
    let empty = empty.to_str().unwrap();
    let (ok, stderr) = run_script(&[("SRT_LIB_DIR", empty), ("SRT_INCLUDE_DIR", empty)], &[]);
    assert!(!ok, "an empty SRT_INCLUDE_DIR was accepted:\n{stderr}");
    assert!(
        stderr.contains("SRT_INCLUDE_DIR does not contain srt/srt.h"),
        "{stderr}"
    );
    assert!(
        stderr.contains(empty),
        "the message names the directory:\n{stderr}"
    );

    // Headers that exist, a library directory without libsrt.
    let include = std::env::split_paths(env!("SRT_SYS_INCLUDE"))
        .find(|d| d.join("srt/srt.h").is_file())
        .expect("the headers this build used");
    let (ok, stderr) = run_script(
        &[
            ("SRT_LIB_DIR", empty),
            ("SRT_INCLUDE_DIR", include.to_str().unwrap()),
        ],
        &[],
    );
    assert!(!ok, "a SRT_LIB_DIR without libsrt was accepted:\n{stderr}");
    assert!(
        stderr.contains("SRT_LIB_DIR does not contain libsrt"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(empty);
}
