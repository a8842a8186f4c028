#!/usr/bin/env bash
# vaultscope's Vault poller on a real OpenBao + PostgreSQL (scripts/bao.sh) loaded with database
# leases under one big role and R smaller roles, and orphan tokens with kubernetes-auth metadata
# (agent-like token accessors), plus a few KV v2 secrets.
#
#   scripts/scale-vault.sh [--big N] [--roles R] [--per-role M] [--tokens T] [--kv K] [--jobs J]
#                          [--budget B] [--concurrency C] [--interval S] [--timeout S] [--after S]
#                          [--keep|--reuse]
#
#   --big N         leases under database/creds/big (default 1000; the issue's figure is 10000)
#   --roles R       smaller roles database/creds/rNN (default 5; the issue's figure is 20)
#   --per-role M    leases under each smaller role (default 100; the issue's figure is 1000)
#   --tokens T      orphan tokens whose metadata names a watched service account (default 500;
#                   the issue's figure is 5000)
#   --kv K          KV v2 secrets whose metadata the workloads ask for (default 50)
#   --jobs J        requests the loader keeps in flight (default 8)
#   --budget B, --concurrency C, --interval S
#                   vaultscope's --vault-budget / --vault-concurrency / --vault-interval
#                   (default: vaultscope's defaults)
#   --timeout S     stop watching after S seconds even if the view is not complete (default 600)
#   --after S       keep polling S seconds once all is shown, for the steady request rate (default 0;
#                   lookups of leases and tokens far from expiry come due again after 5-6 minutes)
#   --keep          leave the server running (scripts/bao.sh down with the same environment stops it)
#   --reuse         use a server a --keep run left loaded with the same figures (skips loading)
#
# The loader (scripts/bao/scale-vault.py), not vaultscope, creates the leases and tokens: they are
# the fixture. Then the dashboard's poller (sources::vault::run, driven by examples/vault_scale.rs
# with the interest a cluster of such workloads gives) runs against it with vaultscope's token
# (docs/vaultscope-policy.hcl). Printed: the load time, when every lease had a countdown, when every
# agent token and KV secret was shown, and the requests vaultscope made (counted in OpenBao's audit
# log by its token's accessor): by kind, the mean rate and the busiest second.
#
# Environment: VAULTSCOPE_BAO_DIR (default /tmp/vaultscope-bao-scale), VAULTSCOPE_BAO_PORT (18240;
# the dev cluster listener takes PORT+1), VAULTSCOPE_PG_PORT (15440), CARGO_TARGET_DIR,
# VAULTSCOPE_SCALE_BIN (a vault_scale example already built, e.g. of another commit, to compare).
set -euo pipefail
cd "$(dirname "$0")/.."

big=1000 roles=5 per_role=100 tokens=500 kv=50 jobs=8 timeout=600 after=0 keep=0 reuse=0
limits=()
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }
num() { [[ "$2" =~ ^[0-9]+$ ]] || { echo "scale-vault: $1 must be a whole number, not '$2'" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  [[ "$1" == --keep || "$1" == --reuse || $# -ge 2 ]] || usage
  case "$1" in
    --big) num "$1" "$2"; big=$2; shift 2 ;;
    --roles) num "$1" "$2"; roles=$2; shift 2 ;;
    --per-role) num "$1" "$2"; per_role=$2; shift 2 ;;
    --tokens) num "$1" "$2"; tokens=$2; shift 2 ;;
    --kv) num "$1" "$2"; kv=$2; shift 2 ;;
    --jobs) num "$1" "$2"; jobs=$2; shift 2 ;;
    --budget|--concurrency|--interval) num "$1" "$2"; limits+=("$1" "$2"); shift 2 ;;
    --timeout) num "$1" "$2"; timeout=$2; shift 2 ;;
    --after) num "$1" "$2"; after=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --reuse) reuse=1 keep=1; shift ;;
    *) usage ;;
  esac
done
(( roles <= 99 )) || { echo "scale-vault: --roles must be at most 99" >&2; exit 2; }
(( jobs >= 1 )) || { echo "scale-vault: --jobs must be at least 1" >&2; exit 2; }

export VAULTSCOPE_BAO_DIR="${VAULTSCOPE_BAO_DIR:-/tmp/vaultscope-bao-scale}"
export VAULTSCOPE_BAO_PORT="${VAULTSCOPE_BAO_PORT:-18240}"
export VAULTSCOPE_PG_PORT="${VAULTSCOPE_PG_PORT:-15440}"
DIR=$VAULTSCOPE_BAO_DIR
HELPER=scripts/bao/scale-vault.py
say() { printf 'scale-vault: %s\n' "$*" >&2; }

cleanup() {
  if [[ $keep == 0 ]]; then
    scripts/bao.sh down >/dev/null 2>&1 || true
    rm -f "$DIR.up.log" "$DIR.load.json" "$DIR.watch.log"
  fi
}
trap cleanup EXIT

figures="big=$big roles=$roles per_role=$per_role tokens=$tokens kv=$kv"
if [[ $reuse == 1 && "$(cat "$DIR/scale-loaded" 2>/dev/null)" == "$figures" ]] && scripts/bao.sh status >/dev/null 2>&1; then
  say "reusing the server in $DIR, loaded with $figures"
  eval "$(scripts/bao.sh env)"
  load_s="(reused)"
else
  scripts/bao.sh down >/dev/null 2>&1 || true
  say "starting OpenBao + PostgreSQL in $DIR"
  env_lines=$(scripts/bao.sh up 2>"$DIR.up.log") || { cat "$DIR.up.log" >&2; exit 1; }
  eval "$env_lines"
  export BAO_ADDR=$VAULT_ADDR BAO_TOKEN=$VAULT_TOKEN
  bao() { "$VAULTSCOPE_BAO_BIN" "$@"; }
  role_names=(big)
  for ((i = 1; i <= roles; i++)); do role_names+=("$(printf 'r%02d' "$i")"); done
  # The lab's connection allows only its own roles: allow the scale roles too.
  bao write database/config/lab plugin_name=postgresql-database-plugin \
    connection_url="postgresql://{{username}}:{{password}}@127.0.0.1:$VAULTSCOPE_PG_PORT/postgres?sslmode=disable" \
    username=vaultadmin password="$(cat "$DIR/pg.password")" password_authentication=scram-sha-256 \
    allowed_roles="billing,reporting,$(IFS=,; echo "${role_names[*]}")" max_open_connections=8 >/dev/null
  for r in "${role_names[@]}"; do
    # A day: no lease expires or comes due for a refresh while the run watches.
    bao write "database/roles/$r" db_name=lab default_ttl=24h max_ttl=48h \
      creation_statements="CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';" >/dev/null
  done
  for ((i = 0; i < kv; i++)); do
    bao kv put "secret/scale/app-$i" value="fixture-$i" >/dev/null
  done
  say "loading $big + $roles x $per_role leases and $tokens tokens ($jobs in flight)"
  t0=$(date +%s.%N)
  {
    echo "creds big $big"
    for r in "${role_names[@]:1}"; do echo "creds $r $per_role"; done
    echo "tokens $tokens scale"
  } | python3 "$HELPER" load "$VAULT_ADDR" "$jobs" >"$DIR.load.json"
  load_s=$(python3 -c "import sys; print(round($(date +%s.%N) - $t0, 1))")
  say "loaded in ${load_s}s: $(cat "$DIR.load.json")"
  echo "$figures" >"$DIR/scale-loaded"
fi

prefixes=(database/creds/big)
for ((i = 1; i <= roles; i++)); do prefixes+=("database/creds/$(printf 'r%02d' "$i")"); done
listed=$(BAO_TOKEN=$VAULT_TOKEN python3 "$HELPER" count "$VAULT_ADDR" "${prefixes[@]}")
say "$listed leases listed under ${#prefixes[@]} prefixes"

bin=${VAULTSCOPE_SCALE_BIN:-}
if [[ -z "$bin" ]]; then
  say "building examples/vault_scale.rs"
  cargo build --quiet --example vault_scale
  bin=${CARGO_TARGET_DIR:-target}/debug/examples/vault_scale
fi

args=(--addr "$VAULT_ADDR" --leases "$listed" --tokens "$tokens" --sa-namespace scale --timeout "$timeout")
(( after > 0 )) && args+=(--after "$after")
for p in "${prefixes[@]}"; do args+=(--prefix "$p"); done
for ((i = 0; i < kv; i++)); do args+=(--kv "secret/data/scale/app-$i"); done
args+=("${limits[@]}")
offset=$(stat -c %s "$VAULTSCOPE_AUDIT_LOG")
t0=$(date +%s.%N)
say "watching (vaultscope's token, ${limits[*]:-default limits})"
summary=$(VAULT_TOKEN=$VAULTSCOPE_TOKEN "$bin" "${args[@]}" 2>"$DIR.watch.log") || { tail -n 20 "$DIR.watch.log" >&2; exit 1; }
# The audit device writes asynchronously to the request: give it a moment.
sleep 1
audit=$(python3 "$HELPER" audit "$VAULTSCOPE_AUDIT_LOG" "$offset" "$VAULTSCOPE_TOKEN_ACCESSOR" "$t0")

python3 - "$summary" "$audit" "$load_s" "$figures" <<'EOF'
import json, sys
s, a, load_s, figures = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
def t(v): return "not within %ss" % s["watched_s"] if v is None else "%.1f s" % v
done = s["leases_complete_s"]
span = done if done else s["watched_s"]
until = {k: v for k, v in a["per_second"].items() if int(k) < max(span, 1)}
reqs = sum(until.values())
print(f"\nOpenBao 2.7 + PostgreSQL, {figures}; load: {load_s}" + (" s" if load_s[0].isdigit() else ""))
print(f"vaultscope --vault-budget {s['budget']} --vault-concurrency {s['concurrency']} --vault-interval {s['interval_s']}\n")
rows = [
    ("leases with a countdown", f"{s['leases_shown']}/{s['leases_expected']}"),
    ("  first cycle shown at", f"{t(s['first_cycle_s'])} ({s['first_cycle_leases']} leases)"),
    ("  every lease by", t(done)),
    ("agent tokens shown", f"{s['tokens_shown']}/{s['tokens_expected']}, all by {t(s['tokens_complete_s'])}"),
    ("KV metadata shown", f"{s['kv_shown']}/{s['kv_expected']}, all by {t(s['kv_complete_s'])}"),
    ("requests until every lease", f"{reqs} ({reqs / max(span, 1):.0f}/s mean)"),
    ("busiest second", f"{max(a['per_second'].values(), default=0)} requests"),
    ("requests while watched", f"{a['total']} in {s['watched_s'] + s.get('after_s', 0):.0f} s"),
]
if s.get("after_s") and done:
    later = sum(v for k, v in a["per_second"].items() if int(k) >= span)
    rows.append((f"  in the {s['after_s']} s after", f"{later} ({later / s['after_s']:.1f}/s mean)"))
for kind in ("config", "KV metadata", "LIST leases", "lease lookup", "LIST accessors", "token lookup", "PKI"):
    rows.append((f"  {kind}", str(a["by_kind"].get(kind, 0))))
w = max(len(r[0]) for r in rows)
for k, v in rows:
    print(f"{k:<{w}}  {v}")
EOF
