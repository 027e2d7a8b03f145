#!/bin/sh
# install-libsrt.sh - install libsrt (with headers), pkg-config and libclang so that
# `cargo build` of srtfu works; `--with-tools` also installs the real SRT peers used by the
# interop tests and examples (srt-live-transmit, srt-file-transmit, ffmpeg, GStreamer's
# srtsrc/srtsink) and the C compiler used by the file-protocol interop test.
#
#   ./install-libsrt.sh [--with-tools]
#       libsrt from the system's package manager.
#   ./install-libsrt.sh --source TARBALL|VERSION [--prefix DIR] [--with-tools]
#       libsrt built from source with cmake into DIR (default /usr/local): connection bonding
#       (ENABLE_BONDING), the apps (srt-live-transmit etc., with group support; and
#       srt-test-live, libsrt's developer tool with the group caller syntax), the API
#       previews 1.5.x keeps behind defines (AES-GCM: ENABLE_AEAD_API_PREVIEW with OpenSSL EVP;
#       ENABLE_MAXREXMITBW), shared and static libraries. TARBALL is a release tarball
#       (srt-X.Y.Z.tar.gz); a bare VERSION (1.5.5) is downloaded from the project's release
#       tags, which needs network access. The build dependencies (cmake, a C++ compiler,
#       OpenSSL headers, tclsh, pkg-config) come from the package manager. The previews'
#       defines are added to the installed srt.pc Cflags, so srt-sys (and any C program using
#       pkg-config) compiles against the same declarations the library was built with.
#
# Idempotent: packages already present are left alone, and a prefix that already holds the
# same source build is left alone, so a second run changes nothing.
# Exits non-zero with one clear line on failure.
#
# Package managers: apt (Debian/Ubuntu), dnf (Fedora/RHEL), pacman (Arch), apk (Alpine),
# brew (macOS), pkg_add (OpenBSD). Where none of these is found, use --source.
set -eu

WITH_TOOLS=0
SOURCE=""
PREFIX=/usr/local
# Keep in step with what the srt.pc Cflags get below.
SRT_CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Release -DENABLE_BONDING=ON -DENABLE_APPS=ON -DENABLE_SHARED=ON -DENABLE_STATIC=ON -DENABLE_AEAD_API_PREVIEW=ON -DUSE_ENCLIB=openssl-evp -DENABLE_MAXREXMITBW=ON -DENABLE_UNITTESTS=OFF"
SRT_PC_DEFINES="-DENABLE_AEAD_API_PREVIEW=1 -DENABLE_MAXREXMITBW=1"

usage() {
    echo "usage: $0 [--with-tools] [--source TARBALL|VERSION [--prefix DIR]]"
    echo "  installs libsrt + headers, pkg-config and libclang (for bindgen);"
    echo "  --with-tools also installs srt-tools, ffmpeg and GStreamer SRT elements;"
    echo "  --source builds libsrt from a release tarball (or downloads VERSION) with bonding,"
    echo "  the apps and the API previews, into --prefix (default /usr/local)"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --with-tools) WITH_TOOLS=1 ;;
        --source)
            [ $# -ge 2 ] || { echo "install-libsrt.sh: --source needs a tarball or a version" >&2; exit 2; }
            SOURCE=$2; shift ;;
        --source=*) SOURCE=${1#--source=} ;;
        --prefix)
            [ $# -ge 2 ] || { echo "install-libsrt.sh: --prefix needs a directory" >&2; exit 2; }
            PREFIX=$2; shift ;;
        --prefix=*) PREFIX=${1#--prefix=} ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install-libsrt.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

say() { echo "install-libsrt.sh: $*"; }
die() { echo "install-libsrt.sh: error: $*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
fi

have() { command -v "$1" >/dev/null 2>&1; }

install_apt() {
    pkgs="pkg-config libclang-dev clang"
    [ -z "$SOURCE" ] && pkgs="libsrt-openssl-dev $pkgs"
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

# The packages a cmake build of libsrt needs, per package manager.
install_build_deps() {
    if have apt-get && have dpkg-query; then
        deps="cmake g++ make libssl-dev tcl pkg-config"
        missing=""
        for p in $deps; do
            dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
        done
        [ -z "$missing" ] && return 0
        say "apt: installing build dependencies$missing"
        $SUDO apt-get update -q >/dev/null || die "apt-get update failed"
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing \
            >/dev/null || die "apt-get install failed for:$missing"
    elif have dnf; then
        $SUDO dnf install -y cmake gcc-c++ make openssl-devel tcl pkgconf-pkg-config || die "dnf install of the build dependencies failed"
    elif have pacman; then
        $SUDO pacman -S --needed --noconfirm cmake gcc make openssl tcl pkgconf || die "pacman failed for the build dependencies"
    elif have apk; then
        $SUDO apk add cmake g++ make openssl-dev tcl pkgconf linux-headers || die "apk add of the build dependencies failed"
    elif have brew; then
        for p in cmake openssl pkg-config; do
            brew list "$p" >/dev/null 2>&1 || brew install "$p" || die "brew install $p failed"
        done
    fi
    for t in cmake c++ pkg-config; do
        have "$t" || die "--source needs '$t'; install it and rerun"
    done
}

# Builds libsrt from $SOURCE into $PREFIX, unless that prefix already holds the same build.
build_from_source() {
    case "$SOURCE" in
        *.tar.gz|*.tgz|*/*)
            [ -f "$SOURCE" ] || die "--source: no such tarball: $SOURCE"
            tarball=$(cd "$(dirname "$SOURCE")" && pwd)/$(basename "$SOURCE")
            version=$(basename "$SOURCE" | sed -n 's/^srt-\([0-9][0-9.]*[0-9]\)\.t.*$/\1/p')
            [ -n "$version" ] || die "--source: cannot tell the version from '$SOURCE' (expected srt-X.Y.Z.tar.gz)"
            ;;
        [0-9]*.[0-9]*.[0-9]*) tarball=""; version=$SOURCE ;;
        *) die "--source takes a tarball (srt-X.Y.Z.tar.gz) or a version (1.5.5), not '$SOURCE'" ;;
    esac
    case "$PREFIX" in /*) ;; *) PREFIX=$(pwd)/$PREFIX ;; esac
    stamp="$PREFIX/share/srtfu/libsrt-build"
    want="libsrt $version $SRT_CMAKE_FLAGS +srt-test-live"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$PREFIX/lib/pkgconfig/srt.pc" ]; then
        say "libsrt $version (bonding, apps, API previews) already built in $PREFIX; nothing to do"
        return 0
    fi
    install_build_deps
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    if [ -z "$tarball" ]; then
        have curl || die "downloading libsrt $version needs curl (or pass a tarball)"
        url="https://github.com/Haivision/srt/archive/refs/tags/v$version.tar.gz"
        say "downloading libsrt $version from $url"
        curl -fsSL -o "$tmp/srt-$version.tar.gz" "$url" || die "could not download libsrt $version (no network? pass a tarball)"
        tarball="$tmp/srt-$version.tar.gz"
    fi
    (cd "$tmp" && tar xzf "$tarball") || die "cannot unpack $tarball"
    src="$tmp/srt-$version"
    [ -f "$src/CMakeLists.txt" ] || die "$tarball does not unpack to srt-$version/"
    jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
    say "building libsrt $version into $PREFIX (cmake, $jobs jobs; a few minutes)"
    # The apps get an rpath to the prefix, so srt-live-transmit there runs with this libsrt,
    # not with the system's one of the same soname.
    # shellcheck disable=SC2086
    (cd "$src" && cmake -S . -B build $SRT_CMAKE_FLAGS \
            -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_LIBDIR=lib \
            -DCMAKE_INSTALL_RPATH="$PREFIX/lib" >"$tmp/cmake.log" 2>&1 \
        && cmake --build build -j "$jobs" >>"$tmp/cmake.log" 2>&1) \
        || { tail -n 30 "$tmp/cmake.log" >&2; die "building libsrt $version failed (cmake log above)"; }
    # srt-test-live (testing/, not installed by cmake): the one libsrt tool that calls out as a
    # group. Only that target of the developer apps is built.
    (cd "$src" && cmake -S . -B build -DENABLE_TESTING=ON >>"$tmp/cmake.log" 2>&1 \
        && cmake --build build -j "$jobs" --target srt-test-live >>"$tmp/cmake.log" 2>&1) \
        || { tail -n 30 "$tmp/cmake.log" >&2; die "building srt-test-live of libsrt $version failed (cmake log above)"; }
    mkdir -p "$PREFIX" 2>/dev/null || $SUDO mkdir -p "$PREFIX"
    if [ -w "$PREFIX" ]; then inst=""; else inst=$SUDO; fi
    $inst cmake --install "$src/build" >>"$tmp/cmake.log" 2>&1 \
        || { tail -n 30 "$tmp/cmake.log" >&2; die "installing libsrt $version into $PREFIX failed"; }
    $inst mkdir -p "$PREFIX/bin"
    $inst cp "$src/build/srt-test-live" "$PREFIX/bin/srt-test-live" \
        || die "installing srt-test-live into $PREFIX/bin failed"
    for pc in "$PREFIX/lib/pkgconfig/srt.pc" "$PREFIX/lib/pkgconfig/haisrt.pc"; do
        [ -f "$pc" ] || continue
        grep -q "ENABLE_AEAD_API_PREVIEW" "$pc" \
            || $inst sed -i.orig "s|^Cflags:\(.*\)\$|Cflags:\1 $SRT_PC_DEFINES|" "$pc"
        $inst rm -f "$pc.orig"
    done
    $inst mkdir -p "$PREFIX/share/srtfu"
    echo "$want" | $inst tee "$stamp" >/dev/null
    say "libsrt $version built with bonding, apps and API previews into $PREFIX"
}

print_use() {
    echo "install-libsrt.sh: to build srtfu against it:"
    echo "    export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig"
    echo "    export LD_LIBRARY_PATH=$PREFIX/lib     (or SRT_STATIC=1 to link it in statically)"
    echo "    export PATH=$PREFIX/bin:\$PATH         (srt-live-transmit of this build)"
}

# With --source, the package manager still brings pkg-config, libclang and (--with-tools) the
# tools; apt then skips its own libsrt package.
[ -n "$SOURCE" ] && build_from_source

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
elif [ -z "$SOURCE" ]; then
    die "no supported package manager found: build libsrt from source with --source TARBALL|VERSION"
fi

if [ -n "$SOURCE" ]; then
    v=$(PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" pkg-config --modversion srt 2>/dev/null) \
        || die "the source build is installed but pkg-config cannot read $PREFIX/lib/pkgconfig/srt.pc"
    say "libsrt $v is ready in $PREFIX (pkg-config module 'srt' with PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig)"
elif pkg-config --exists srt 2>/dev/null; then
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
[ -n "$SOURCE" ] && print_use
exit 0
