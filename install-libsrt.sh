#!/bin/sh
# install-libsrt.sh - install libsrt (with headers), pkg-config and libclang so that
# `cargo build` of srtfu works; `--with-tools` also installs the real SRT peers used by the
# interop tests and examples (srt-live-transmit, srt-file-transmit, ffmpeg, GStreamer's
# srtsrc/srtsink) and the C compiler used by the file-protocol interop test.
#
# Idempotent: packages already present are left alone, so a second run changes nothing.
# Exits non-zero with one clear line on failure.
#
# Package managers: apt (Debian/Ubuntu), dnf (Fedora/RHEL), pacman (Arch), apk (Alpine),
# brew (macOS), pkg_add (OpenBSD). Where none of these is found, libsrt is built from a pinned
# source release with cmake into /usr/local (this path needs network access to the release
# tarball and is not exercised by CI).
set -eu

WITH_TOOLS=0
SRT_SOURCE_VERSION=1.5.3

usage() {
    echo "usage: $0 [--with-tools]"
    echo "  installs libsrt + headers, pkg-config and libclang (for bindgen);"
    echo "  --with-tools also installs srt-tools, ffmpeg and GStreamer SRT elements"
}

for arg in "$@"; do
    case "$arg" in
        --with-tools) WITH_TOOLS=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install-libsrt.sh: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
    esac
done

say() { echo "install-libsrt.sh: $*"; }
die() { echo "install-libsrt.sh: error: $*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
fi

have() { command -v "$1" >/dev/null 2>&1; }

install_apt() {
    pkgs="libsrt-openssl-dev pkg-config libclang-dev clang"
    if [ "$WITH_TOOLS" = 1 ]; then
        pkgs="$pkgs srt-tools ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-bad gstreamer1.0-plugins-base gcc python3"
    fi
    missing=""
    for p in $pkgs; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
            missing="$missing $p"
        fi
    done
    if [ -z "$missing" ]; then
        say "apt: all packages already installed: $pkgs"
        return 0
    fi
    say "apt: installing$missing"
    # The package lists may be absent on a fresh machine; refresh them once.
    $SUDO apt-get update -q >/dev/null || die "apt-get update failed"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing \
        >/dev/null || die "apt-get install failed for:$missing"
    say "apt: installed$missing"
}

install_dnf() {
    pkgs="srt-devel pkgconf-pkg-config clang-devel"
    [ "$WITH_TOOLS" = 1 ] && pkgs="$pkgs srt ffmpeg gstreamer1-plugins-bad-free gcc"
    # shellcheck disable=SC2086
    $SUDO dnf install -y $pkgs || die "dnf install failed for: $pkgs"
}

install_pacman() {
    pkgs="srt pkgconf clang"
    [ "$WITH_TOOLS" = 1 ] && pkgs="$pkgs ffmpeg gst-plugins-bad gcc"
    # shellcheck disable=SC2086
    $SUDO pacman -S --needed --noconfirm $pkgs || die "pacman failed for: $pkgs"
}

install_apk() {
    pkgs="libsrt-dev pkgconf clang-dev"
    [ "$WITH_TOOLS" = 1 ] && pkgs="$pkgs libsrt-progs ffmpeg gst-plugins-bad gcc musl-dev"
    # shellcheck disable=SC2086
    $SUDO apk add $pkgs || die "apk add failed for: $pkgs"
}

install_brew() {
    pkgs="srt pkg-config llvm"
    [ "$WITH_TOOLS" = 1 ] && pkgs="$pkgs ffmpeg gst-plugins-bad"
    for p in $pkgs; do
        brew list "$p" >/dev/null 2>&1 || brew install "$p" || die "brew install $p failed"
    done
}

install_pkg_add() {
    pkgs="srt llvm"
    [ "$WITH_TOOLS" = 1 ] && pkgs="$pkgs ffmpeg"
    # shellcheck disable=SC2086
    $SUDO pkg_add $pkgs || die "pkg_add failed for: $pkgs"
}

build_from_source() {
    have cmake || die "no supported package manager and no cmake: install cmake, OpenSSL headers and a C++ compiler, then rerun"
    if pkg-config --exists srt 2>/dev/null; then
        say "libsrt $(pkg-config --modversion srt) already found by pkg-config; nothing to build"
        return 0
    fi
    tmp=$(mktemp -d)
    url="https://github.com/Haivision/srt/archive/refs/tags/v$SRT_SOURCE_VERSION.tar.gz"
    say "building libsrt $SRT_SOURCE_VERSION from $url into /usr/local"
    (cd "$tmp" && curl -fsSL "$url" | tar xz) || die "could not download libsrt $SRT_SOURCE_VERSION"
    (cd "$tmp/srt-$SRT_SOURCE_VERSION" && cmake -B build -DCMAKE_INSTALL_PREFIX=/usr/local \
        && cmake --build build -j "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)" \
        && $SUDO cmake --install build) || die "building libsrt from source failed"
    rm -rf "$tmp"
}

if have apt-get && have dpkg-query; then
    install_apt
elif have dnf; then
    install_dnf
elif have pacman; then
    install_pacman
elif have apk; then
    install_apk
elif have brew; then
    install_brew
elif have pkg_add; then
    install_pkg_add
else
    build_from_source
fi

if pkg-config --exists srt 2>/dev/null; then
    say "libsrt $(pkg-config --modversion srt) is ready (pkg-config module 'srt')"
elif pkg-config --exists haisrt 2>/dev/null; then
    say "libsrt $(pkg-config --modversion haisrt) is ready (pkg-config module 'haisrt')"
else
    die "libsrt was installed but pkg-config cannot find it; set PKG_CONFIG_PATH or SRT_LIB_DIR + SRT_INCLUDE_DIR"
fi
if [ "$WITH_TOOLS" = 1 ]; then
    for t in srt-live-transmit srt-file-transmit ffmpeg ffprobe; do
        have "$t" || die "--with-tools: '$t' is still missing after the install"
    done
    say "tools ready: srt-live-transmit, srt-file-transmit, ffmpeg, ffprobe"
fi
