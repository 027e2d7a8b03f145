#!/bin/sh
# msrv.sh - builds srtfu and srtfu-sys (libraries, with the locked dependencies) with the
# toolchain named by rust-version in Cargo.toml, so the claim is checked, not guessed.
set -eu
cd "$(dirname "$0")/.."
msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
[ -n "$msrv" ] || { echo "msrv.sh: no rust-version in Cargo.toml" >&2; exit 1; }
sys=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' srt-sys/Cargo.toml | head -n 1)
[ "$sys" = "$msrv" ] || { echo "msrv.sh: srt-sys claims $sys, srtfu $msrv" >&2; exit 1; }
rustup toolchain install "$msrv" --profile minimal >/dev/null 2>&1 \
    || { echo "msrv.sh: rustup cannot install $msrv" >&2; exit 1; }
CARGO_TARGET_DIR=target/msrv cargo +"$msrv" build --locked -p srtfu -p srtfu-sys --lib
echo "msrv.sh: srtfu and srtfu-sys build with Rust $msrv"
