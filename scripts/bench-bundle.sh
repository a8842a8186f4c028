#!/usr/bin/env bash
# Time and peak memory (RSS) of `vaultscope check --from` on generated bundles
# of 5,000, 20,000 and 50,000 pods (or the sizes given as arguments): the
# release binary, measured with GNU time. The bundles are made by
# benches/bundle_load.rs (the examples' pods renamed across 1,000 namespaces,
# a fifth of them injected, each injected pod with its agent logs).
#
#   scripts/bench-bundle.sh [PODS...]
#   VAULTSCOPE_BIN=/path/to/vaultscope scripts/bench-bundle.sh   (another build)
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(5000 20000 50000)
target=${CARGO_TARGET_DIR:-target}

bin=${VAULTSCOPE_BIN:-}
if [ -z "$bin" ]; then
    cargo build --release --quiet --bin vaultscope
    bin=$target/release/vaultscope
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '%8s %10s %8s %10s\n' pods pods.yaml seconds 'peak RSS'
for n in "${sizes[@]}"; do
    VAULTSCOPE_BENCH_BUNDLE="$work/b$n:$n" cargo bench --quiet --bench bundle_load >/dev/null
    status=0
    /usr/bin/time -f '%e %M' -o "$work/time" \
        "$bin" check --from "$work/b$n" -o json >/dev/null 2>"$work/err" || status=$?
    # 1 means findings (the bundle has broken pods on purpose); 2 is a failure.
    if [ "$status" -gt 1 ]; then
        cat "$work/err" >&2
        exit "$status"
    fi
    # GNU time puts "Command exited with non-zero status 1" first.
    read -r secs kb < <(tail -n 1 "$work/time")
    size=$(du -m "$work/b$n/pods.yaml" | cut -f1)
    printf '%8s %7s MB %8s %7s MB\n' "$n" "$size" "$secs" "$((kb / 1024))"
    rm -rf "$work/b$n"
done
