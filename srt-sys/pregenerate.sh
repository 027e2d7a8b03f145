#!/bin/sh
# pregenerate.sh - regenerates srt-sys/src/pregenerated.rs, the bindings the build script uses
# when DOCS_RS is set (docs.rs has no libsrt). They come from the libsrt 1.5.5 source build
# with its API previews (the newest release, so the docs show the whole API); its first line
# names the version and defines, which the DOCS_RS build reports as the libsrt version.
#
#   srt-sys/pregenerate.sh
#
# The test `cargo test -p srtfu-sys --test pregenerated -- --ignored`, run by
# scripts/libsrt-matrix.sh in its 1.5.5 leg, fails when the file differs from what bindgen
# makes from those headers.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
sources=${SRTFU_LIBSRT_SOURCES:-$root/../shared/libsrt}
prefix="$root/target/libsrt/1.5.5"
./install-libsrt.sh --source "$sources/srt-1.5.5.tar.gz" --prefix "$prefix" >/dev/null
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/matrix}"
out=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" cargo build -p srtfu-sys --message-format=json \
    | grep '"reason":"build-script-executed"' | grep 'srtfu-sys' \
    | sed -n 's/.*"out_dir":"\([^"]*\)".*/\1/p' | tail -n 1)
[ -f "$out/bindings.rs" ] || { echo "pregenerate.sh: no bindings.rs in '$out'" >&2; exit 1; }
cp "$out/bindings.rs" srt-sys/src/pregenerated.rs
echo "pregenerate.sh: wrote srt-sys/src/pregenerated.rs ($(head -n 1 srt-sys/src/pregenerated.rs))"
