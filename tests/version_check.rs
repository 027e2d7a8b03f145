//! Headers and library must agree: a program built against one libsrt and run with another
//! (same soname, another release) is refused before its first socket, with an error that
//! names both versions and the fix. The test re-runs itself with the loader pointed at a
//! libsrt of another version.

use std::path::{Path, PathBuf};
use std::process::Command;

const CHILD: &str = "SRTFU_VERSION_CHECK_CHILD";

/// The version of a libsrt.so.X.Y.Z in `dir`, if there is one.
fn libsrt_version_in(dir: &Path) -> Option<String> {
    std::fs::read_dir(dir).ok()?.find_map(|e| {
        let name = e.ok()?.file_name().to_string_lossy().into_owned();
        let v = name
            .strip_prefix("libsrt.so.")
            .or_else(|| name.strip_prefix("libsrt-openssl.so."))
            .or_else(|| name.strip_prefix("libsrt-gnutls.so."))?;
        (v.split('.').count() == 3).then(|| v.to_string())
    })
}

/// Library directories holding a libsrt of another version than the one built against: the
/// system's and the source builds of the version matrix (target/libsrt/*/lib).
fn other_libsrt() -> Option<(PathBuf, String)> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Ok(o) = Command::new("pkg-config")
        .args(["--variable=libdir", "srt"])
        .env_remove("PKG_CONFIG_PATH")
        .output()
    {
        let d = String::from_utf8_lossy(&o.stdout).trim().to_string();
        if !d.is_empty() {
            dirs.push(PathBuf::from(d));
        }
    }
    let matrix = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/libsrt");
    if let Ok(rd) = std::fs::read_dir(matrix) {
        dirs.extend(rd.filter_map(|e| e.ok()).map(|e| e.path().join("lib")));
    }
    let built = srtfu::sys::SRT_VERSION_BUILT;
    dirs.into_iter()
        .find_map(|d| libsrt_version_in(&d).filter(|v| v != built).map(|v| (d, v)))
}

#[test]
fn a_libsrt_of_another_version_is_refused_before_the_first_socket() {
    if std::env::var_os(CHILD).is_some() {
        // The child: the loader gave it another libsrt than the one it was built against.
        let err = srtfu::SrtSocket::new_raw().expect_err("a mismatched libsrt is refused");
        println!("CHILD-ERROR: {err}");
        assert!(
            matches!(err, srtfu::Error::LibsrtMismatch { .. }),
            "{err:?}"
        );
        let err2 = srtfu::Epoll::new().expect_err("epolls are refused too");
        assert!(matches!(err2, srtfu::Error::LibsrtMismatch { .. }));
        return;
    }
    let Some((dir, other)) = other_libsrt() else {
        // Only the built-against libsrt is on this machine; CI always has another one.
        assert!(
            std::env::var("CI").is_err(),
            "no libsrt of another version than {} found",
            srtfu::sys::SRT_VERSION_BUILT
        );
        eprintln!("no libsrt of another version here; nothing to run the check with");
        return;
    };
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_libsrt_of_another_version_is_refused_before_the_first_socket",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env("LD_LIBRARY_PATH", &dir)
        .output()
        .expect("run the test binary again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "child with {} failed:\n{stdout}\n{stderr}",
        dir.display()
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("CHILD-ERROR: "))
        .unwrap_or_else(|| panic!("no error line from the child:\n{stdout}\n{stderr}"));
    let built = srtfu::sys::SRT_VERSION_BUILT;
    for needle in [built, other.as_str(), "LD_LIBRARY_PATH", "SRT_STATIC"] {
        assert!(line.contains(needle), "{needle:?} missing from: {line}");
    }
}

#[test]
fn the_running_libsrt_is_the_one_built_against() {
    let (a, b, c) = srtfu::version();
    assert_eq!(format!("{a}.{b}.{c}"), srtfu::sys::SRT_VERSION_BUILT);
    srtfu::SrtSocket::new_raw().expect("the matching libsrt is accepted");
}
