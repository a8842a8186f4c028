#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this script).
# On a fresh machine it builds everything it needs; nothing is assumed to be
# installed by hand beyond Rust, Go, Python and Debian's package manager.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

step "format check"
cargo fmt --check

step "lint (clippy, warnings are errors)"
cargo clippy --all-targets --locked -- -D warnings

step "tests"
cargo test --all-targets --locked
