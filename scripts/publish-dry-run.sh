#!/bin/sh
# publish-dry-run.sh - packages and verifies srtfu-sys, then srtfu, as `cargo publish` would
# (cargo's workspace publish verifies srtfu against the srtfu-sys package it just made).
set -eu
cd "$(dirname "$0")/.."
cargo publish --dry-run --workspace --allow-dirty
