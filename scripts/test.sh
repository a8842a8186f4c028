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
# tests/kube_live.rs does the same with the local control plane (scripts/lab.sh; the first run on
# a machine builds kube-apiserver, kine and kwok: 7-12 min on 2 cores, cached after that).
# VAULTSCOPE_TEST_SLOT (0-9) moves both labs' dirs and ports, so two checkouts can run at once.
slot="${VAULTSCOPE_TEST_SLOT:-0}"
off=$((slot * 5)) suffix=""
[ "$slot" = 0 ] || suffix="-slot$slot"
stop_labs() {
  VAULTSCOPE_BAO_DIR="/tmp/vaultscope-bao-vaulttest$suffix" VAULTSCOPE_BAO_PORT=$((18290 + off)) \
    VAULTSCOPE_PG_PORT=$((15490 + off)) scripts/bao.sh down >/dev/null 2>&1 || true
  VAULTSCOPE_BAO_DIR="/tmp/vaultscope-bao-preflighttest$suffix" VAULTSCOPE_BAO_PORT=$((18350 + off)) \
    VAULTSCOPE_PG_PORT=$((15550 + off)) scripts/bao.sh down >/dev/null 2>&1 || true
  VAULTSCOPE_LAB_DIR="/tmp/vaultscope-lab-kubetest$suffix" VAULTSCOPE_LAB_APISERVER_PORT=$((17443 + off)) \
    VAULTSCOPE_LAB_KINE_PORT=$((17379 + off)) VAULTSCOPE_LAB_KWOK_PORT=$((17250 + off)) \
    scripts/lab.sh down >/dev/null 2>&1 || true
  # tests/auth_backend_live.rs runs both, pointed at each other.
  VAULTSCOPE_BAO_DIR="/tmp/vaultscope-bao-authtest$suffix" VAULTSCOPE_BAO_PORT=$((18390 + off)) \
    VAULTSCOPE_PG_PORT=$((15590 + off)) scripts/bao.sh down >/dev/null 2>&1 || true
  VAULTSCOPE_LAB_DIR="/tmp/vaultscope-lab-authtest$suffix" VAULTSCOPE_LAB_APISERVER_PORT=$((17643 + off)) \
    VAULTSCOPE_LAB_KINE_PORT=$((17579 + off)) VAULTSCOPE_LAB_KWOK_PORT=$((17550 + off)) \
    scripts/lab.sh down >/dev/null 2>&1 || true
  VAULTSCOPE_LAB_DIR="/tmp/vaultscope-lab-preflighttest$suffix" VAULTSCOPE_LAB_APISERVER_PORT=$((17500 + off)) \
    VAULTSCOPE_LAB_KINE_PORT=$((17479 + off)) VAULTSCOPE_LAB_KWOK_PORT=$((17300 + off)) \
    scripts/lab.sh down >/dev/null 2>&1 || true
  # tests/real_lab.rs: the workshop lab (lab.sh up --with-vault; its OpenBao and PostgreSQL live
  # in the lab's dir, on ports derived from the lab's, and lab.sh down stops them and the agents).
  VAULTSCOPE_LAB_DIR="/tmp/vaultscope-lab-realtest$suffix" VAULTSCOPE_LAB_APISERVER_PORT=$((17843 + off)) \
    VAULTSCOPE_LAB_KINE_PORT=$((17779 + off)) VAULTSCOPE_LAB_KWOK_PORT=$((17750 + off)) \
    scripts/lab.sh down >/dev/null 2>&1 || true
}
trap stop_labs EXIT
cargo test --all-targets --locked

step "tests of the screenshot writer (behind its feature)"
cargo test --locked --lib --features svg ui::svg
