#!/usr/bin/env bash
# vaultscope test lab: a real kube-apiserver (+ kine/sqlite storage) with a kwok fake node,
# the real secrets-store CSI CRDs, a vault-agent-injector webhook config and seeded
# workloads in the states the injector / CSI driver leave them in. Loopback only.
#
#   scripts/lab.sh up       build (cached) + start + seed; last stdout line = admin kubeconfig path
#   scripts/lab.sh up --with-vault   the workshop lab: also a real OpenBao + PostgreSQL configured
#                           as the tutorial does, the tutorial's workloads, and a real `bao agent`
#                           per vault-agent container (scripts/lab/README.md, "Workshop lab")
#   scripts/lab.sh down     stop everything started by `up` (by PID) and remove the runtime dir
#   scripts/lab.sh status   show processes / readiness
#   scripts/lab.sh env      print `export VAR=...` lines for the running lab (with --with-vault
#                           also VAULT_ADDR, VAULT_TOKEN (docs/vaultscope-policy.hcl), LAB_ROOT_TOKEN)
#   scripts/lab.sh scenario NAME     workshop events: seal, unseal, rotate, revoke-lease, lose-read, restore-read,
#                           break-binding, fix-binding (a lab started with --with-vault)
#   scripts/lab.sh build    only build/cache the binaries
#   scripts/lab.sh kubectl ARGS...                 cached kubectl with the admin kubeconfig
#   scripts/lab.sh log-path NS POD CONTAINER       path of the file kwok serves for that container
#   scripts/lab.sh log-append NS POD CONTAINER TEXT...   append CRI-format line(s) to it
#   scripts/lab.sh stop-apiserver   stop only kube-apiserver (clients see the server go away)
#   scripts/lab.sh start-apiserver  start it again on the same state; returns once /readyz is ok
#
# Environment (all optional):
#   VAULTSCOPE_LAB_DIR (/tmp/vaultscope-lab)  runtime dir: state, pki, kubeconfigs, logs, pids
#   VAULTSCOPE_LAB_APISERVER_PORT (16443)  VAULTSCOPE_LAB_KINE_PORT (16379)  VAULTSCOPE_LAB_KWOK_PORT (16250)
#   VAULTSCOPE_LAB_K8S_VERSION (v1.37.2)  VAULTSCOPE_LAB_KINE_VERSION (v0.17.5)  VAULTSCOPE_LAB_KWOK_VERSION (v0.8.0)
#   VAULTSCOPE_LAB_CSI_VERSION (v1.6.1)   XDG_CACHE_HOME (binaries: $XDG_CACHE_HOME/vaultscope/bin)
#   VAULTSCOPE_LAB_BAO_PORT (APISERVER_PORT+2; OpenBao also takes the next port)
#   VAULTSCOPE_LAB_PG_PORT (KINE_PORT+2)   (--with-vault only)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB_SRC="$HERE/lab"
LAB_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/vaultscope"
LAB_DIR="${VAULTSCOPE_LAB_DIR:-/tmp/vaultscope-lab}"
K8S_VERSION="${VAULTSCOPE_LAB_K8S_VERSION:-v1.37.2}"
KINE_VERSION="${VAULTSCOPE_LAB_KINE_VERSION:-v0.17.5}"
KWOK_VERSION="${VAULTSCOPE_LAB_KWOK_VERSION:-v0.8.0}"
CSI_VERSION="${VAULTSCOPE_LAB_CSI_VERSION:-v1.6.1}"
APISERVER_PORT="${VAULTSCOPE_LAB_APISERVER_PORT:-16443}"
KINE_PORT="${VAULTSCOPE_LAB_KINE_PORT:-16379}"
KWOK_PORT="${VAULTSCOPE_LAB_KWOK_PORT:-16250}"
# Service ClusterIPs come from a loopback range: a webhook call to the (absent) injector
# Service then dials 127.96.0.x and is refused at once, so nothing leaves the machine.
SERVICE_CIDR="${VAULTSCOPE_LAB_SERVICE_CIDR:-127.96.0.0/24}"
POD_CIDR="10.244.0.0/24" # only written into pod status by kwok; never dialled
export LAB_NODE_NAME="lab-node-1"
export LAB_NODE_IP="127.0.0.1"
READY_TIMEOUT="${VAULTSCOPE_LAB_READY_TIMEOUT:-60}"
STATIC_ANNOTATION="lab.vaultscope.dev/static-status"

LOG_TAG="lab"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# shellcheck source=lab/build.sh
source "$LAB_SRC/build.sh"
lab_go_env

KUBECTL="$(bin_path kubectl "$K8S_VERSION")"
APISERVER_BIN="$(bin_path kube-apiserver "$K8S_VERSION")"
KINE_BIN="$(bin_path kine "$KINE_VERSION")"
KWOK_BIN="$(bin_path kwok "$KWOK_VERSION")"
ADMIN_KC="$LAB_DIR/admin.kubeconfig"
RESTRICTED_KC="$LAB_DIR/restricted.kubeconfig"
SERVER="https://127.0.0.1:$APISERVER_PORT"
export LAB_CONTAINER_LOGS="$LAB_DIR/containers"

kc() { "$KUBECTL" --kubeconfig "$ADMIN_KC" "$@"; }

# shellcheck source=lab/vault.sh
source "$LAB_SRC/vault.sh"

# ------------------------------------------------------------------ processes
pidfile() { echo "$LAB_DIR/run/$1.pid"; }

is_running() { pid_matches "$(pidfile "$1")" "$1"; } # NAME
alive() { # NAME : the started process has not exited (also true between fork and exec)
  local f
  f=$(pidfile "$1")
  [[ -f "$f" ]] && kill -0 "$(<"$f")" 2>/dev/null
}

start_bg() { # NAME CMD...
  local name=$1; shift
  mkdir -p "$LAB_DIR/run" "$LAB_DIR/logs"
  log "starting $name (log: $LAB_DIR/logs/$name.log)"
  # setsid: own session, so the caller's terminal/job control does not signal it.
  # fd 3 (up's real stdout) must not leak, or `$(lab.sh up)` would wait for the daemons.
  setsid "$@" >>"$LAB_DIR/logs/$name.log" 2>&1 </dev/null 3>&- &
  echo $! >"$(pidfile "$name")"
}

stop_proc() { # NAME
  local f pid i
  f=$(pidfile "$1")
  [[ -f "$f" ]] || return 0
  pid=$(<"$f")
  if is_running "$1"; then
    log "stopping $1 (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$1 did not exit after 10 s; killing"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}


fail_with_log() { # NAME MESSAGE
  echo "lab: ERROR: $2" >&2
  echo "----- last 40 lines of $LAB_DIR/logs/$1.log -----" >&2
  tail -n 40 "$LAB_DIR/logs/$1.log" >&2 || true
  exit 1
}

# ------------------------------------------------------------------ pki / auth
ensure_pki() {
  mkdir -p "$LAB_DIR/pki"
  chmod 700 "$LAB_DIR/pki"
  if [[ ! -f "$LAB_DIR/pki/sa.key" ]]; then
    openssl genrsa -out "$LAB_DIR/pki/sa.key" 2048 2>/dev/null
    openssl rsa -in "$LAB_DIR/pki/sa.key" -pubout -out "$LAB_DIR/pki/sa.pub" 2>/dev/null
  fi
  # CA the injector would have generated for its webhook (caBundle of the webhook config)
  if [[ ! -f "$LAB_DIR/pki/injector-ca.crt" ]]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -subj "/CN=Agent Inject CA" -keyout "$LAB_DIR/pki/injector-ca.key" \
      -out "$LAB_DIR/pki/injector-ca.crt" 2>/dev/null
  fi
  if [[ ! -f "$LAB_DIR/pki/tokens.csv" ]]; then
    local admin alice
    admin=$(openssl rand -hex 24)
    alice=$(openssl rand -hex 24)
    # token,user,uid,"group1,group2"
    {
      echo "$admin,lab-admin,uid-lab-admin,\"system:masters\""
      echo "$alice,alice,uid-alice,\"vaultscope:restricted\""
    } >"$LAB_DIR/pki/tokens.csv"
    chmod 600 "$LAB_DIR/pki/tokens.csv"
  fi
}

token_of() { awk -F, -v u="$1" '$2 == u { print $1 }' "$LAB_DIR/pki/tokens.csv"; }

write_kubeconfig() { # FILE CONTEXT USER TOKEN
  local ca
  ca=$(base64 -w0 <"$LAB_DIR/pki/apiserver.crt")
  cat >"$1.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: vaultscope-lab
  cluster:
    server: $SERVER
    certificate-authority-data: $ca
users:
- name: $3
  user:
    token: $4
contexts:
- name: $2
  context:
    cluster: vaultscope-lab
    user: $3
    namespace: default
current-context: $2
EOF
  chmod 600 "$1.tmp"
  mv -f "$1.tmp" "$1"
}

# ------------------------------------------------------------------ components
start_kine() {
  if is_running kine; then return 0; fi
  port_in_use "$KINE_PORT" && die "port 127.0.0.1:$KINE_PORT is in use (set VAULTSCOPE_LAB_KINE_PORT)"
  mkdir -p "$LAB_DIR/kine"
  start_bg kine "$KINE_BIN" \
    --listen-address="127.0.0.1:$KINE_PORT" \
    --endpoint="sqlite://$LAB_DIR/kine/state.db?_journal_mode=WAL&_busy_timeout=30000&_synchronous=NORMAL&_txlock=immediate&cache=shared" \
    --metrics-bind-address=0
  local i
  for ((i = 0; i < 100; i++)); do
    port_in_use "$KINE_PORT" && return 0
    alive kine || fail_with_log kine "kine exited"
    sleep 0.1
  done
  fail_with_log kine "kine did not listen on 127.0.0.1:$KINE_PORT within 10 s"
}

readyz() {
  curl -sS --max-time 3 --cacert "$LAB_DIR/pki/apiserver.crt" \
    -H "Authorization: Bearer $(token_of lab-admin)" "$SERVER/readyz" 2>/dev/null
}

start_apiserver() {
  if ! is_running kube-apiserver; then
    port_in_use "$APISERVER_PORT" && die "port 127.0.0.1:$APISERVER_PORT is in use (set VAULTSCOPE_LAB_APISERVER_PORT)"
    start_bg kube-apiserver "$APISERVER_BIN" \
      --etcd-servers="http://127.0.0.1:$KINE_PORT" \
      --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
      --cert-dir="$LAB_DIR/pki" \
      --service-cluster-ip-range="$SERVICE_CIDR" \
      --service-account-issuer=https://kubernetes.default.svc.cluster.local \
      --service-account-key-file="$LAB_DIR/pki/sa.pub" \
      --service-account-signing-key-file="$LAB_DIR/pki/sa.key" \
      --authorization-mode=RBAC \
      --token-auth-file="$LAB_DIR/pki/tokens.csv" \
      --disable-admission-plugins=ServiceAccount,TaintNodesByCondition \
      --allow-privileged=true \
      --kubelet-preferred-address-types=InternalIP \
      --endpoint-reconciler-type=none \
      --audit-policy-file="$LAB_SRC/audit-policy.yaml" \
      --audit-log-path="$LAB_DIR/logs/audit.log" \
      --audit-log-maxbackup=1 --audit-log-maxsize=100
  fi
  local deadline=$((SECONDS + READY_TIMEOUT)) out=""
  while ((SECONDS < deadline)); do
    alive kube-apiserver || fail_with_log kube-apiserver "kube-apiserver exited"
    if [[ -f "$LAB_DIR/pki/apiserver.crt" ]]; then
      out=$(readyz || true)
      [[ "$out" == "ok" ]] && return 0
    fi
    sleep 0.5
  done
  fail_with_log kube-apiserver "kube-apiserver not ready within ${READY_TIMEOUT} s (last /readyz: ${out:-no answer})"
}

kwok_stages() { # write the kwok stage config: upstream default stages (module cache) + our exclusion
  local kdir out="$LAB_DIR/kwok/stages.yaml" res dir f name
  kdir=$(mod_dir sigs.k8s.io/kwok "$KWOK_VERSION")
  mkdir -p "$LAB_DIR/kwok"
  : >"$out.tmp"
  # kustomize/stage/fast/kustomization.yaml -> resources (dirs) -> their resources (files)
  for res in $(sed -n 's/^- //p' "$kdir/kustomize/stage/fast/kustomization.yaml"); do
    dir="$kdir/kustomize/stage/fast/$res"
    for f in $(sed -n 's/^- //p' "$dir/kustomization.yaml"); do
      name=$(sed -n 's/^  name: //p' "$dir/$f" | head -1)
      {
        echo "---"
        if grep -q '^    kind: Pod$' "$dir/$f" && [[ "$name" != pod-delete ]]; then
          # pods whose status the seeder writes itself (failure states) are left alone
          sed '/^    matchExpressions:$/a\
    - key: '"'"'.metadata.annotations["'"$STATIC_ANNOTATION"'"]'"'"'\
      operator: '"'"'DoesNotExist'"'"'' "$dir/$f"
        else
          cat "$dir/$f"
        fi
      } >>"$out.tmp"
    done
  done
  grep -q "$STATIC_ANNOTATION" "$out.tmp" || die "could not patch kwok pod stages in $out.tmp"
  mv -f "$out.tmp" "$out"
}

start_kwok() {
  if is_running kwok; then return 0; fi
  port_in_use "$KWOK_PORT" && die "port 127.0.0.1:$KWOK_PORT is in use (set VAULTSCOPE_LAB_KWOK_PORT)"
  kwok_stages
  # kwok needs its Logs/ClusterLogs CRDs before it starts watching them
  start_bg kwok "$KWOK_BIN" \
    --kubeconfig="$ADMIN_KC" \
    --config="$LAB_DIR/kwok/stages.yaml" \
    --manage-single-node="$LAB_NODE_NAME" \
    --node-name="$LAB_NODE_NAME" \
    --node-ip="$LAB_NODE_IP" \
    --node-port="$KWOK_PORT" \
    --server-address="127.0.0.1:$KWOK_PORT" \
    --cidr="$POD_CIDR" \
    --enable-crds=Logs,ClusterLogs
  local i
  for ((i = 0; i < 300; i++)); do
    alive kwok || fail_with_log kwok "kwok exited"
    if curl -s --max-time 2 "http://127.0.0.1:$KWOK_PORT/healthz" 2>/dev/null | grep -q ok; then
      break
    fi
    sleep 0.2
  done
  ((i < 300)) || fail_with_log kwok "kwok /healthz not ok within 60 s"
  # wait for the node to become Ready (kwok's node-initialize stage)
  for ((i = 0; i < 150; i++)); do
    if [[ "$(kc get node "$LAB_NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]; then
      return 0
    fi
    sleep 0.2
  done
  fail_with_log kwok "node $LAB_NODE_NAME not Ready within 30 s"
}

# ------------------------------------------------------------------ cluster objects
render() { # FILE : envsubst with only the lab's variables (leaves ${VAULT_CONFIG?} etc. alone)
  local vars
  vars=$(compgen -v | grep -E '^(LAB_|UID_|T_|INJECTOR_)' | sed 's/^/$/' | tr '\n' ' ')
  envsubst "$vars" <"$1"
}

ssa() { kc apply --server-side --force-conflicts --field-manager=vaultscope-lab "$@"; }

apply_crds() {
  local csi kwokd
  csi=$(mod_dir sigs.k8s.io/secrets-store-csi-driver "$CSI_VERSION")
  kwokd=$(mod_dir sigs.k8s.io/kwok "$KWOK_VERSION")
  ssa -f "$csi/deploy/secrets-store.csi.x-k8s.io_secretproviderclasses.yaml" \
    -f "$csi/deploy/secrets-store.csi.x-k8s.io_secretproviderclasspodstatuses.yaml" \
    -f "$kwokd/kustomize/crd/bases/kwok.x-k8s.io_logs.yaml" \
    -f "$kwokd/kustomize/crd/bases/kwok.x-k8s.io_clusterlogs.yaml" >&2
  kc wait --for=condition=Established --timeout=30s \
    crd/secretproviderclasses.secrets-store.csi.x-k8s.io \
    crd/secretproviderclasspodstatuses.secrets-store.csi.x-k8s.io \
    crd/logs.kwok.x-k8s.io crd/clusterlogs.kwok.x-k8s.io >&2
}

apply_base() {
  export LAB_INJECTOR_CA_B64
  LAB_INJECTOR_CA_B64=$(base64 -w0 <"$LAB_DIR/pki/injector-ca.crt")
  render "$LAB_SRC/seed/00-base.yaml" | ssa -f - >&2
}

collect_uids() { # FILE(rendered) : export UID_<KIND>_<NS>_<NAME>=uid for every object in it
  local kind ns name uid var
  while read -r kind ns name uid; do
    var="UID_${kind}_${ns}_${name}"
    var=$(echo "$var" | tr 'a-z.-' 'A-Z__')
    export "$var=$uid"
  done < <(kc get -f "$1" -o json | jq -r '(.items // [.])[] | "\(.kind) \(.metadata.namespace // "_") \(.metadata.name) \(.metadata.uid)"')
}

export_times() {
  local n
  export T_NOW
  T_NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  for n in 1 2 5 10 20 30 60; do
    export "T_M$n=$(date -u -d "-$n min" +%Y-%m-%dT%H:%M:%SZ)"
  done
}

seeded() { kc get configmap vaultscope-lab-seed -n default >/dev/null 2>&1; }

wait_pods_ready() { # NS/POD...
  local p i
  for p in "$@"; do
    for ((i = 0; i < 150; i++)); do
      if [[ "$(kc get pod -n "${p%%/*}" "${p#*/}" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]; then
        continue 2
      fi
      sleep 0.2
    done
    fail_with_log kwok "pod $p not made Ready by kwok within 30 s"
  done
}

seed() {
  local tmp="$LAB_DIR/seed" f
  mkdir -p "$tmp"
  export_times
  log "seeding workloads"
  collect_uids <(render "$LAB_SRC/seed/00-base.yaml")
  for f in 10-deployments 20-replicasets 30-pods; do
    render "$LAB_SRC/seed/$f.yaml" >"$tmp/$f.yaml"
    ssa -f "$tmp/$f.yaml" >&2
    collect_uids "$tmp/$f.yaml"
  done
  wait_pods_ready vault/vault-agent-injector-6f8d9c7b5d-q7w2n payments/billing-api-7c9d8b6f4d-x8k2p \
    shop/catalog-6d7f8b9c5h-h2j4k shop/legacy-web-5f4d7c2b9x-z6x8v inventory/stock-api-6b8c9d7f5c-t4v8n
  export INJECTOR_POD_IP
  INJECTOR_POD_IP=$(kc get pod -n vault vault-agent-injector-6f8d9c7b5d-q7w2n -o jsonpath='{.status.podIP}')
  [[ -n "$INJECTOR_POD_IP" ]] || die "kwok gave the injector pod no IP"
  # container log files first, so that kwok can serve them as soon as the Logs objects exist
  python3 "$LAB_SRC/render_logs.py" "$LAB_SRC/logs" "$LAB_CONTAINER_LOGS" "$(date +%s)"
  render "$LAB_SRC/seed/40-objects.yaml" >"$tmp/40-objects.yaml"
  ssa -f "$tmp/40-objects.yaml" >&2
  render "$LAB_SRC/seed/50-status.yaml" >"$tmp/50-status.yaml"
  ssa --subresource=status -f "$tmp/50-status.yaml" >&2
  # kube-apiserver's ClusterIP repair loop races with the first Service creation and records a
  # spurious Warning (ClusterIPNotAllocated ... repairing); drop it so the seed set is exact.
  sleep 1
  kc delete events -A --field-selector reason=ClusterIPNotAllocated --ignore-not-found >&2
  kc create configmap vaultscope-lab-seed -n default --from-literal=seeded-at="$T_NOW" >&2
}

# ------------------------------------------------------------------ env
write_env() {
  cat >"$LAB_DIR/env" <<EOF
export VAULTSCOPE_LAB_DIR="$LAB_DIR"
export VAULTSCOPE_LAB_SERVER="$SERVER"
export VAULTSCOPE_LAB_ADMIN_KUBECONFIG="$ADMIN_KC"
export VAULTSCOPE_LAB_RESTRICTED_KUBECONFIG="$RESTRICTED_KC"
export VAULTSCOPE_LAB_ADMIN_CONTEXT="lab-admin"
export VAULTSCOPE_LAB_RESTRICTED_CONTEXT="lab-restricted"
export VAULTSCOPE_LAB_ADMIN_TOKEN="$(token_of lab-admin)"
export VAULTSCOPE_LAB_RESTRICTED_TOKEN="$(token_of alice)"
export VAULTSCOPE_LAB_CA_FILE="$LAB_DIR/pki/apiserver.crt"
export VAULTSCOPE_LAB_KUBECTL="$KUBECTL"
export VAULTSCOPE_LAB_CONTAINER_LOGS="$LAB_CONTAINER_LOGS"
export VAULTSCOPE_LAB_NODE="$LAB_NODE_NAME"
export KUBECONFIG="$ADMIN_KC"
EOF
  vault_env_lines >>"$LAB_DIR/env"
}

# ------------------------------------------------------------------ commands
cmd_up() {
  local vault=0
  case "${1:-}" in
    "") ;;
    --with-vault) vault=1 ;;
    *) die "unknown option for up: $1 (expected --with-vault)" ;;
  esac
  exec 3>&1 1>&2 # only the final kubeconfig path goes to stdout
  local t0=$SECONDS
  if ((vault == 0)) && with_vault; then
    die "the lab in $LAB_DIR was started with --with-vault; run 'up --with-vault' or 'down' first"
  fi
  build_all
  mkdir -p "$LAB_DIR"
  touch "$LAB_DIR/.vaultscope-lab"
  ensure_pki
  start_kine
  start_apiserver
  write_kubeconfig "$ADMIN_KC" lab-admin lab-admin "$(token_of lab-admin)"
  write_kubeconfig "$RESTRICTED_KC" lab-restricted alice "$(token_of alice)"
  apply_crds
  apply_base
  start_kwok
  if seeded; then
    log "already seeded (configmap default/vaultscope-lab-seed); not seeding again"
  else
    seed
  fi
  if ((vault == 1)); then vault_up; fi
  write_env
  log "lab up in $((SECONDS - t0)) s: $SERVER  (source $LAB_DIR/env)"
  echo "$ADMIN_KC" >&3
}

cmd_down() {
  vault_down
  stop_proc kwok
  stop_proc kube-apiserver
  stop_proc kine
  if [[ -d "$LAB_DIR" ]]; then
    if [[ -f "$LAB_DIR/.vaultscope-lab" ]]; then
      rm -rf "$LAB_DIR"
      log "removed $LAB_DIR"
    else
      log "not removing $LAB_DIR: no .vaultscope-lab marker in it"
    fi
  fi
}

cmd_status() {
  local n rc=0
  echo "runtime dir: $LAB_DIR"
  local procs=(kine kube-apiserver kwok)
  if with_vault; then procs+=(agents.py); fi
  for n in "${procs[@]}"; do
    if is_running "$n"; then
      echo "$n: running (pid $(<"$(pidfile "$n")"))"
    else
      echo "$n: not running"; rc=1
    fi
  done
  if [[ -f "$LAB_DIR/pki/apiserver.crt" ]]; then
    echo "kube-apiserver $SERVER /readyz: $(readyz || echo unreachable)"
  fi
  if with_vault; then
    bao_sh status || rc=1
    echo "agents running: $(find "$LAB_DIR/run/agents" -name '*.pid' 2>/dev/null | wc -l)"
  fi
  if [[ -f "$ADMIN_KC" ]] && is_running kube-apiserver; then
    kc get nodes 2>&1 || true
    kc get pods -A -o wide 2>&1 || true
  fi
  return $rc
}

cmd_env() {
  [[ -f "$LAB_DIR/env" ]] || die "lab not up ($LAB_DIR/env missing); run scripts/lab.sh up"
  cat "$LAB_DIR/env"
}

cmd_log_path() { # NS POD CONTAINER
  [[ $# -eq 3 ]] || die "usage: lab.sh log-path NS POD CONTAINER"
  echo "$LAB_CONTAINER_LOGS/$1/$2/$3.log"
}

cmd_log_append() { # NS POD CONTAINER TEXT...
  [[ $# -ge 4 ]] || die "usage: lab.sh log-append NS POD CONTAINER TEXT..."
  local f line
  f=$(cmd_log_path "$1" "$2" "$3")
  shift 3
  [[ -f "$f" ]] || die "no such log file: $f"
  for line in "$@"; do
    printf '%s stderr F %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" "$line" >>"$f"
  done
}

cmd_start_apiserver() {
  [[ -f "$LAB_DIR/.vaultscope-lab" ]] || die "lab not up in $LAB_DIR; run scripts/lab.sh up"
  is_running kine || die "kine is not running; run scripts/lab.sh up"
  start_apiserver
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  stop-apiserver) stop_proc kube-apiserver ;;
  start-apiserver) cmd_start_apiserver ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  build) build_all ;;
  kubectl) shift; kc "$@" ;;
  log-path) shift; cmd_log_path "$@" ;;
  log-append) shift; cmd_log_append "$@" ;;
  scenario) shift; cmd_scenario "$@" ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
