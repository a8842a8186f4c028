#!/usr/bin/env bash
# Regenerate screenshots/*.png from the real UI (the demo at fixed times).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! fc-list 2>/dev/null | grep -q "DejaVu Sans Mono"; then
  echo "installing fonts-dejavu-core (the screenshots' monospace font)" >&2
  [ -n "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ] || apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core fontconfig >&2
fi
cargo run --quiet --features screenshots --bin render-screenshots -- screenshots
