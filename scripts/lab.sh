#!/usr/bin/env bash
# vaultscope test lab (placeholder: build only, full version follows)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/vaultscope"
K8S_VERSION="${LAB_K8S_VERSION:-v1.37.2}"
KINE_VERSION="${LAB_KINE_VERSION:-v0.17.5}"
KWOK_VERSION="${LAB_KWOK_VERSION:-v0.8.0}"
log() { echo "lab: $*" >&2; }
source "$HERE/lab/build.sh"
case "${1:-}" in build) build_all ;; esac
