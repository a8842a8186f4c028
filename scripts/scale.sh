#!/usr/bin/env bash
# vaultscope next to kubectl on a real kube-apiserver (scripts/lab.sh) loaded with N pods in N/20
# namespaces: a quarter injected by the Vault Agent Injector, a tenth of those running on the kwok
# node and the rest Pending without a node; a ReplicaSet per four pods; an event per four pods.
#
#   scripts/scale.sh [--pods N] [--rounds R] [--idle SECONDS] [--keep]
#
#   --pods N       pods to load (default 400, a quick run; the issue's figure is 20000)
#   --rounds R     interleaved runs of each command; medians are printed (default 3)
#   --idle S       seconds the dashboard is watched idle (default 60; 0 skips the dashboard)
#   --burst B      pods annotated while keys are timed (default a tenth of N; whole namespaces)
#   --keep         leave the lab running (scripts/lab.sh down with the same environment stops it)
#   --reuse        use a lab a --keep run left loaded with the same N (skips starting and loading)
#
# For each of `kubectl get pods -A -o json`, `kubectl get pods,events,replicasets,jobs -A -o json`,
# `vaultscope check -A -o json` and the same with `--logs none`: wall time and peak RSS (GNU time), the CPU the API server
# process spent meanwhile (utime+stime from /proc/PID/stat), and the pods/log requests the API
# server's audit log recorded (scripts/lab/audit-policy.yaml), by status code. Then the dashboard
# (`vaultscope -A` on a 200x50 pty made by script(1)) once synced: its CPU and the API server's
# over S idle seconds, its RSS, and its log requests. Last scripts/lab/dash_latency.py, as typed
# at: the first complete view, key latency idle and during the burst, CPU per pod event (next to
# kubectl's own watch of the same events) and a new pod's time to the screen.
#
# Environment: VAULTSCOPE_BIN (default: cargo build --release, then $CARGO_TARGET_DIR or target),
# VAULTSCOPE_LAB_DIR (default /tmp/vaultscope-lab-scale), VAULTSCOPE_LAB_APISERVER_PORT (18443),
# VAULTSCOPE_LAB_KINE_PORT (18379), VAULTSCOPE_LAB_KWOK_PORT (18250).
set -euo pipefail
cd "$(dirname "$0")/.."

pods=400 rounds=3 idle=60 keep=0 reuse=0 burst=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --pods) pods=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    --burst) burst=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --reuse) reuse=1 keep=1; shift ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[[ "$pods" =~ ^[0-9]+$ && "$pods" -ge 20 ]] || { echo "scale: --pods must be a number >= 20" >&2; exit 2; }
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "scale: --rounds must be a number >= 1" >&2; exit 2; }
[[ "$idle" =~ ^[0-9]+$ ]] || { echo "scale: --idle must be a number of seconds" >&2; exit 2; }
burst=${burst:-$(( pods / 10 ))}
[[ "$burst" =~ ^[0-9]+$ && "$burst" -ge 20 && "$burst" -le "$pods" ]] ||
  { echo "scale: --burst must be a number of pods from 20 to --pods" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "scale: needs GNU time (apt-get install time)" >&2; exit 2; }
command -v script >/dev/null || { echo "scale: needs script(1) (util-linux)" >&2; exit 2; }

export VAULTSCOPE_LAB_DIR="${VAULTSCOPE_LAB_DIR:-/tmp/vaultscope-lab-scale}"
export VAULTSCOPE_LAB_APISERVER_PORT="${VAULTSCOPE_LAB_APISERVER_PORT:-18443}"
export VAULTSCOPE_LAB_KINE_PORT="${VAULTSCOPE_LAB_KINE_PORT:-18379}"
export VAULTSCOPE_LAB_KWOK_PORT="${VAULTSCOPE_LAB_KWOK_PORT:-18250}"
LAB_DIR=$VAULTSCOPE_LAB_DIR

say() { printf 'scale: %s\n' "$*" >&2; }

bin=${VAULTSCOPE_BIN:-}
if [[ -z "$bin" ]]; then
  cargo build --release --quiet --bin vaultscope
  bin=${CARGO_TARGET_DIR:-target}/release/vaultscope
fi
bin=$(realpath "$bin")

work=$(mktemp -d)
dash_pids=()
cleanup() {
  local p
  for p in "${dash_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
  if [[ $keep == 0 ]]; then scripts/lab.sh down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

loaded_mark=$LAB_DIR/scale-loaded
if [[ $reuse == 1 && "$(cat "$loaded_mark" 2>/dev/null)" == "$pods" ]] && scripts/lab.sh status >/dev/null 2>&1; then
  say "reusing the lab in $LAB_DIR, loaded with $pods pods"
  KC=$LAB_DIR/admin.kubeconfig
  reused=1
else
  say "starting the lab in $LAB_DIR"
  scripts/lab.sh down >/dev/null 2>&1 || true
  KC=$(scripts/lab.sh up 2>"$work/up.log" | tail -n 1) || { cat "$work/up.log" >&2; exit 1; }
  reused=0
fi
KUBECTL=$(sed -n 's/^export VAULTSCOPE_LAB_KUBECTL="\(.*\)"$/\1/p' "$LAB_DIR/env")
apiserver=$(<"$LAB_DIR/run/kube-apiserver.pid")
audit=$LAB_DIR/logs/audit.log
k() { "$KUBECTL" --kubeconfig "$KC" "$@"; }

running=$((pods / 40 + (pods % 40 > 0)))
if [[ $reused == 0 ]]; then
  say "loading $pods pods"
  t0=$SECONDS
  python3 scripts/lab/scale_objects.py "$pods" "$work/objects" >"$work/files"
  while read -r f; do
    k create -f "$f" >/dev/null
  done <"$work/files"
  for ((i = 0; i < 600; i++)); do
    n=$(k get pods -A --field-selector "spec.nodeName=lab-node-1,status.phase=Running" --no-headers 2>/dev/null | grep -c '^scale-' || true)
    [[ $n -ge $running ]] && break
    sleep 1
  done
  say "loaded in $((SECONDS - t0)) s ($n pods running on the kwok node)"
  echo "$pods" >"$loaded_mark"
fi
n=$(k get pods -A --field-selector "spec.nodeName=lab-node-1,status.phase=Running" --no-headers 2>/dev/null | grep -c '^scale-' || true)

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
audit_bytes() { stat -c %s "$audit" 2>/dev/null || echo 0; }
# pods/log requests in the audit log after byte $1, as "N (CODE: n, ...)".
log_requests() {
  tail -c +"$(($1 + 1))" "$audit" |
    jq -rs '[.[] | select(.objectRef.subresource == "log")] as $r
      | "\($r | length)" + (if ($r | length) > 0
          then " (" + ([$r | group_by(.responseStatus.code)[] | "\(.[0].responseStatus.code): \(length)"] | join(", ")) + ")"
          else "" end)'
}

# NAME CMD... : one run; appends "wall rss_mb apiserver_cpu log_requests" to $work/NAME.
measure() {
  local name=$1 before_cpu before_audit status=0
  shift
  before_cpu=$(ticks "$apiserver")
  before_audit=$(audit_bytes)
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || status=$?
  if [[ $status -gt 1 ]]; then
    say "$name failed ($status):"; cat "$work/err" >&2; exit 1
  fi
  sleep 0.5 # the audit log is written as each request completes
  local wall kb
  read -r wall kb < <(tail -n 1 "$work/time")
  local cpu=$(( $(ticks "$apiserver") - before_cpu ))
  printf '%s\t%s\t%s\t%s\n' "$wall" "$((kb / 1024))" "$(awk -v t="$cpu" -v hz="$hz" 'BEGIN{printf "%.2f", t/hz}')" \
    "$(log_requests "$before_audit")" >>"$work/$name"
}

names=(raw-list kubectl-pods kubectl-all vaultscope-check vaultscope-nologs)
for ((r = 1; r <= rounds; r++)); do
  say "round $r of $rounds"
  measure raw-list "$KUBECTL" --kubeconfig "$KC" get --raw /api/v1/pods
  measure kubectl-pods "$KUBECTL" --kubeconfig "$KC" get pods -A -o json
  measure kubectl-all "$KUBECTL" --kubeconfig "$KC" get pods,events,replicasets,jobs -A -o json
  measure vaultscope-check "$bin" check --kubeconfig "$KC" -A -o json
  measure vaultscope-nologs "$bin" check --kubeconfig "$KC" -A -o json --logs none
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
col() { cut -f"$2" "$work/$1" | median; }

echo
echo "$pods pods in $(( (pods + 19) / 20 )) namespaces, $(( (pods + 3) / 4 )) injected ($n running), medians of $rounds interleaved runs"
echo
printf '| %-52s | %8s | %9s | %15s | %s |\n' command wall 'peak RSS' 'API server CPU' 'log requests (last run)'
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..54})" ---------- ----------- ----------------- -------------------------
for name in "${names[@]}"; do
  case $name in
    raw-list) label='kubectl get --raw /api/v1/pods (the raw list)' ;;
    kubectl-pods) label='kubectl get pods -A -o json' ;;
    kubectl-all) label='kubectl get pods,events,replicasets,jobs -A -o json' ;;
    vaultscope-check) label='vaultscope check -A -o json' ;;
    vaultscope-nologs) label='vaultscope check -A -o json --logs none' ;;
  esac
  printf '| %-52s | %6s s | %6s MB | %13s s | %s |\n' "$label" "$(col "$name" 1)" "$(col "$name" 2)" \
    "$(col "$name" 3)" "$(tail -n 1 "$work/$name" | cut -f4)"
done
ratio=$(awk -v a="$(col vaultscope-check 3)" -v b="$(col kubectl-pods 3)" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a" }')
echo
echo "API server CPU of one check, relative to one kubectl get pods: ${ratio}x"

[[ $idle -gt 0 ]] || exit 0
say "the API server on its own for $idle s (kwok's node heartbeats, controllers)"
a0=$(ticks "$apiserver")
sleep "$idle"
base=$(( $(ticks "$apiserver") - a0 ))
say "the dashboard: waiting for it to sync, then $idle s idle"
# A pty of 200x50 made by script(1); its input stays open (a sleep writing nothing into a
# FIFO) so the dashboard waits for keys.
mkfifo "$work/keys"
sleep $((idle + 300)) >"$work/keys" &
dash_pids+=($!)
TERM=xterm-256color script -qfec "stty cols 200 rows 50; exec '$bin' --kubeconfig '$KC' -A" \
  /dev/null <"$work/keys" >/dev/null 2>&1 &
dash_pids+=($!)
dash="" i=0
while [[ -z "$dash" && $i -lt 50 ]]; do
  sleep 0.2
  dash=$(pgrep -n -f "^$bin --kubeconfig $KC -A" || true)
  i=$((i + 1))
done
[[ -n "$dash" ]] || { say "the dashboard did not start"; exit 1; }
dash_pids=("$dash" "${dash_pids[@]}")
# Synced: its CPU stops climbing (two quiet seconds in a row), at most 120 s.
t0=$SECONDS last=$(ticks "$dash") quiet=0
while ((SECONDS - t0 < 120 && quiet < 2)); do
  sleep 1
  now=$(ticks "$dash")
  if ((now - last <= hz / 20)); then quiet=$((quiet + 1)); else quiet=0; fi
  last=$now
done
sync_s=$((SECONDS - t0 - quiet))
d0=$(ticks "$dash") a0=$(ticks "$apiserver") b0=$(audit_bytes)
sleep "$idle"
d1=$(ticks "$dash") a1=$(ticks "$apiserver")
rss=$(awk '/^VmRSS/ {print int($2/1024)}' "/proc/$dash/status")
hwm=$(awk '/^VmHWM/ {print int($2/1024)}' "/proc/$dash/status")
echo
echo "dashboard (vaultscope -A, 200x50): synced after about ${sync_s} s; over ${idle} s idle:"
awk -v d=$((d1 - d0)) -v a=$((a1 - a0)) -v b="$base" -v hz="$hz" -v s="$idle" 'BEGIN {
  printf "  its CPU %.2f s (%.2f%% of a core); the API server'"'"'s CPU %.2f s (%.2f s without the dashboard)\n",
    d/hz, 100*d/hz/s, a/hz, b/hz }'
echo "  RSS ${rss} MB (peak ${hwm} MB); log requests while idle: $(log_requests "$b0")"
kill -TERM "$dash" 2>/dev/null || true
sleep 1

# The dashboard as a user meets it: key latency idle and during an annotate burst of
# --burst pods, the CPU per pod event, a new pod visible (scripts/lab/dash_latency.py).
burst_ns=$(( burst / 20 ))
((burst_ns >= 1)) || burst_ns=1
say "the dashboard again: key latency idle and during a ${burst}-pod annotate burst"
echo
echo "dashboard as typed at (200x50 pty; ms unless named):"
python3 scripts/lab/dash_latency.py "$bin" "$KC" "$KUBECTL" --burst-namespaces "$burst_ns" | sed 's/^/  /'
