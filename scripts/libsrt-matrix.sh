#!/bin/sh
# libsrt-matrix.sh - build and test srtfu against each libsrt version users have.
#
#   scripts/libsrt-matrix.sh [--build-only] [VERSION ...]
#
# VERSION is one of (default: all of them):
#   1.5.1  the system's libsrt (Debian 12): the whole suite
#   1.5.3  source build (Ubuntu 24.04's version): all targets built, the core subset run
#   1.5.4  source build (Debian 13, Fedora, Arch, Homebrew): all targets built, core subset
#   1.5.5  source build (newest release): the whole suite, with bonding and the API previews,
#          and the async tests (--features tokio)
#   1.5.7  headers only (Debian sid; no library for this glibc): cargo check of all targets
#
# Source builds come from the release tarballs in $SRTFU_LIBSRT_SOURCES (default
# ../shared/libsrt) through install-libsrt.sh --source, into target/libsrt/VERSION, and are
# reused when already there. All versions share one cargo target directory
# ($CARGO_TARGET_DIR, default target/matrix): the dependencies are built once, and only
# srtfu-sys, srtfu and the test binaries are rebuilt for each version. A source-built
# version's tests run
# with that libsrt (rpath, checked by srtfu at startup) and with its srt-live-transmit first
# on PATH. Each version's test totals are printed at the end, one line each.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SOURCES=${SRTFU_LIBSRT_SOURCES:-$ROOT/../shared/libsrt}
BUILD_ONLY=0
VERSIONS=""
for arg in "$@"; do
    case "$arg" in
        --build-only) BUILD_ONLY=1 ;;
        1.5.1|1.5.3|1.5.4|1.5.5|1.5.7) VERSIONS="$VERSIONS $arg" ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "libsrt-matrix.sh: unknown argument '$arg'" >&2; exit 2 ;;
    esac
done
[ -n "$VERSIONS" ] || VERSIONS="1.5.1 1.5.3 1.5.4 1.5.5 1.5.7"

# The core subset run on the versions that get no full run: the socket, options, epoll,
# callbacks, datagramer and fetch, plus what depends most on the version (startup counting,
# the version check, option validation, the srt.h mirrors, callbacks at process exit).
CORE_TESTS="--workspace --test socket --test options --test validation --test mirrors --test epoll --test listen_callback --test nonblocking --test callback_exit --test datagramer --test fetch --test version_check --test startup_cleanup --test raw"
# The async tests (cargo feature `tokio`), run on 1.5.5 as on the system's libsrt.
ASYNC_TESTS="--features tokio --test async_socket --test async_reactor --test async_many --test async_interop_srt_tokio --test async_relay --test async_fetch --test async_fileserver --test async_relay_tools --test async_cycles"

SUMMARY=$(mktemp)
trap 'rm -f "$SUMMARY"' EXIT
FAILED=0

# Runs cargo test with the given arguments, logs to target/matrix/VERSION/test.log, and
# records the version's totals.
run_tests() {
    label=$1; shift
    log="$CARGO_TARGET_DIR/libsrt-$label-test.log"
    mkdir -p "$(dirname "$log")"
    echo "== libsrt $label: cargo test $*"
    status=0
    cargo test --no-fail-fast "$@" >"$log" 2>&1 || status=$?
    passed=$(sed -n 's/^test result: .* \([0-9][0-9]*\) passed; \([0-9][0-9]*\) failed.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    failed=$(sed -n 's/^test result: .* \([0-9][0-9]*\) passed; \([0-9][0-9]*\) failed.*/\2/p' "$log" | awk '{s+=$1} END {print s+0}')
    if [ "$status" != 0 ]; then
        FAILED=1
        grep -E "^test .* FAILED|^---- |panicked at|error(\[|:)" "$log" | head -n 40 || true
        echo "libsrt $label: cargo test exited $status (log: $log)"
        [ "$failed" -gt 0 ] || failed=1
    fi
    echo "libsrt-$label: $passed passed, $failed failed" >>"$SUMMARY"
}

source_build() {
    version=$1
    tarball="$SOURCES/srt-$version.tar.gz"
    [ -f "$tarball" ] || { echo "libsrt-matrix.sh: no $tarball (set SRTFU_LIBSRT_SOURCES)" >&2; exit 1; }
    ./install-libsrt.sh --source "$tarball" --prefix "$ROOT/target/libsrt/$version" >/dev/null
}

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target/matrix}"
mkdir -p "$CARGO_TARGET_DIR"
for version in $VERSIONS; do
    unset PKG_CONFIG_PATH SRT_LIB_DIR SRT_INCLUDE_DIR SRT_STATIC
    case "$version" in
        1.5.1)
            if [ "$BUILD_ONLY" = 1 ]; then
                cargo test --workspace --no-run
            else
                run_tests "$version" --workspace
            fi
            ;;
        1.5.3|1.5.4|1.5.5)
            source_build "$version"
            prefix="$ROOT/target/libsrt/$version"
            export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
            OLD_PATH=$PATH
            export PATH="$prefix/bin:$PATH"
            if [ "$BUILD_ONLY" = 1 ]; then
                cargo test --workspace --no-run
            elif [ "$version" = 1.5.5 ]; then
                run_tests "$version" --workspace
                # shellcheck disable=SC2086
                run_tests "$version-async" $ASYNC_TESTS
                # The pregenerated docs.rs bindings come from this build's headers.
                run_tests "$version-pregenerated" -p srtfu-sys --test pregenerated -- --ignored
            else
                cargo test --workspace --no-run >/dev/null 2>&1 || cargo test --workspace --no-run
                # shellcheck disable=SC2086
                run_tests "$version" $CORE_TESTS
            fi
            export PATH=$OLD_PATH
            ;;
        1.5.7)
            headers="$SOURCES/srt-1.5.7-headers/include"
            [ -f "$headers/srt/srt.h" ] || { echo "libsrt-matrix.sh: no $headers/srt/srt.h" >&2; exit 1; }
            libdir=$(dirname "$(pkg-config --variable=libdir srt)/libsrt.so")
            echo "== libsrt 1.5.7 headers: cargo check --workspace --all-targets"
            if SRT_INCLUDE_DIR="$headers" SRT_LIB_DIR="$libdir" cargo check --workspace --all-targets \
                >"$CARGO_TARGET_DIR/libsrt-1.5.7-check.log" 2>&1; then
                echo "libsrt-1.5.7: check passed" >>"$SUMMARY"
            else
                FAILED=1
                grep -E "^(error|warning)" -A6 "$CARGO_TARGET_DIR/libsrt-1.5.7-check.log" | head -n 40
                echo "libsrt-1.5.7: check FAILED (log: $CARGO_TARGET_DIR/libsrt-1.5.7-check.log)" >>"$SUMMARY"
            fi
            ;;
    esac
done

echo "== libsrt version matrix"
cat "$SUMMARY"
exit "$FAILED"
