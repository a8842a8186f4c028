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
# tests/vault_live.rs starts its own OpenBao + PostgreSQL (scripts/bao.sh, in its own dir and
# ports) and stops it when its last test ends; stop it here too if a run is cut short.
trap 'VAULTSCOPE_BAO_DIR=/tmp/vaultscope-bao-vaulttest VAULTSCOPE_BAO_PORT=18290 VAULTSCOPE_PG_PORT=15490 scripts/bao.sh down >/dev/null 2>&1 || true' EXIT
cargo test --all-targets --locked
