# shellcheck shell=bash
# Sourced by scripts/lab.sh: the workshop lab (`up --with-vault`). Adds to the lab a real OpenBao
# and PostgreSQL (scripts/bao.sh, in $LAB_DIR/vault, on ports derived from the lab's), the
# Vault side of the tutorial (tutorial/vault-setup.sh), the tutorial's workloads
# (tutorial/*.yaml through workloads.py) and the agent supervisor (agents.py), which runs a real
# `bao agent` for every vault-agent container of those pods.

BAO_SH="$HERE/bao.sh"
VAULT_DIR="$LAB_DIR/vault"
# OpenBao takes PORT and PORT+1 (its dev cluster listener); the lab's ports are 5 apart per
# test slot, so APISERVER+2/+3 and KINE+2 stay clear of every other slot's ports.
BAO_PORT="${VAULTSCOPE_LAB_BAO_PORT:-$((APISERVER_PORT + 2))}"
PG_PORT="${VAULTSCOPE_LAB_PG_PORT:-$((KINE_PORT + 2))}"
VAULT_ADDR_LAB="http://127.0.0.1:$BAO_PORT"
WITH_VAULT_MARKER="$LAB_DIR/.with-vault"

with_vault() { [[ -f "$WITH_VAULT_MARKER" ]]; }

bao_sh() { # ARGS... : scripts/bao.sh with this lab's dir, ports and API server
  VAULTSCOPE_BAO_DIR="$VAULT_DIR" VAULTSCOPE_BAO_PORT="$BAO_PORT" VAULTSCOPE_PG_PORT="$PG_PORT" \
    VAULTSCOPE_KUBE_HOST="$SERVER" VAULTSCOPE_KUBE_CA_FILE="$LAB_DIR/pki/apiserver.crt" \
    VAULTSCOPE_KUBE_REVIEWER_JWT_FILE="$LAB_DIR/pki/reviewer.jwt" "$BAO_SH" "$@"
}

bao_env() { # NAME : a value from bao.sh's export lines
  sed -n "s/^export $1=//p" "$LAB_DIR/vault.env" | head -n1 | sed "s/^'//; s/'\$//"
}

bao_() { BAO_ADDR="$VAULT_ADDR_LAB" BAO_TOKEN="$(bao_env VAULT_TOKEN)" "$(bao_env VAULTSCOPE_BAO_BIN)" "$@"; }

python_env() { # what labkube.py, workloads.py and agents.py read
  printf '%s\n' LAB_SERVER="$SERVER" LAB_CA_FILE="$LAB_DIR/pki/apiserver.crt" \
    LAB_TOKEN_FILE="$LAB_DIR/pki/admin.token" LAB_NODE_NAME="$LAB_NODE_NAME" LAB_NODE_IP="$LAB_NODE_IP" \
    LAB_CONTAINER_LOGS="$LAB_CONTAINER_LOGS" LAB_VAULT_ADDR="$VAULT_ADDR_LAB" LAB_DIR="$LAB_DIR" \
    LAB_BAO_BIN="$(bao_env VAULTSCOPE_BAO_BIN)" PYTHONDONTWRITEBYTECODE=1
}

lab_python() { # SCRIPT ARGS...
  local s=$1
  shift
  local vars
  mapfile -t vars < <(python_env)
  env "${vars[@]}" python3 "$LAB_SRC/$s" "$@"
}

check_agents_possible() {
  # Each agent runs in its own mount namespace (unshare, as root or in a user namespace).
  command -v unshare >/dev/null || die "--with-vault needs unshare (util-linux)"
  if [[ $(id -u) == 0 ]]; then
    unshare --mount true 2>/dev/null || die "--with-vault: 'unshare --mount' is not permitted here"
  else
    unshare --mount --user --map-root-user true 2>/dev/null \
      || die "--with-vault: neither root nor unprivileged user namespaces ('unshare --user') are available"
  fi
}

ensure_reviewer() {
  # As the tutorial does for a Vault outside the cluster: a service account allowed to create
  # TokenReviews (system:auth-delegator), whose token Vault uses to review pod tokens.
  if ! kc get serviceaccount vault-auth -n vault >/dev/null 2>&1; then
    kc create serviceaccount vault-auth -n vault >&2
  fi
  if ! kc get clusterrolebinding vault-auth-delegator >/dev/null 2>&1; then
    kc create clusterrolebinding vault-auth-delegator --clusterrole=system:auth-delegator \
      --serviceaccount=vault:vault-auth >&2
  fi
  if [[ ! -s "$LAB_DIR/pki/reviewer.jwt" ]]; then
    (umask 077; kc create token vault-auth -n vault --duration=8760h >"$LAB_DIR/pki/reviewer.jwt")
  fi
  (umask 077; token_of lab-admin >"$LAB_DIR/pki/admin.token")
}

publish_root_ca() { # NAMESPACE... : kube-root-ca.crt, as kube-controller-manager publishes it
  local ns
  for ns in "$@"; do
    kc create configmap kube-root-ca.crt -n "$ns" --from-file=ca.crt="$LAB_DIR/pki/apiserver.crt" \
      --dry-run=client -o yaml | ssa -f - >&2
  done
}

start_agents() {
  if is_running agents.py; then return 0; fi
  local vars
  mapfile -t vars < <(python_env)
  start_bg agents.py env "${vars[@]}" python3 -u "$LAB_SRC/agents.py"
  sleep 0.5
  alive agents.py || fail_with_log agents.py "the agent supervisor exited"
}

stop_agents() {
  stop_proc agents.py
  # Agents the supervisor could not stop (it was killed): by their recorded PIDs.
  local f pid
  for f in "$LAB_DIR"/run/agents/*.pid; do
    [[ -f "$f" ]] || continue
    pid=$(<"$f")
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
      && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "agent -config=/home/vault/config.json"; then
      log "stopping leftover agent (pid $pid, ${f##*/})"
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
}

wait_for_pod() { # NS DEPLOYMENT-LABEL : name of its pod once it exists
  local i name
  for ((i = 0; i < 100; i++)); do
    name=$(kc get pods -n "$1" -l "app=$2" -o jsonpath='{.items[0].metadata.name}' 2>/dev/null || true)
    [[ -n "$name" ]] && { echo "$name"; return 0; }
    sleep 0.2
  done
  die "no pod for $1/$2"
}

csi_mount() {
  # No CSI driver runs here: for the CSI workload the lab does what the driver and Vault's CSI
  # provider would at mount time (a real login with the pod's token, a real read) and writes
  # the SecretProviderClassPodStatus the driver would.
  local pod
  pod=$(wait_for_pod tutorial catalog-csi)
  lab_python csi.py tutorial "$pod" tutorial-csi >&2
}

vault_up() {
  check_agents_possible
  touch "$WITH_VAULT_MARKER"
  ensure_reviewer
  publish_root_ca default vault
  log "starting OpenBao + PostgreSQL (scripts/bao.sh; $VAULT_DIR, bao :$BAO_PORT, postgres :$PG_PORT)"
  # fd 3 is `up`'s real stdout: the long-lived OpenBao and PostgreSQL must not hold it.
  bao_sh up >"$LAB_DIR/vault.env.tmp" 3>&- || die "scripts/bao.sh up failed (see above)"
  mv -f "$LAB_DIR/vault.env.tmp" "$LAB_DIR/vault.env"
  log "configuring Vault as the tutorial does (scripts/lab/tutorial/vault-setup.sh)"
  # shellcheck source=tutorial/vault-setup.sh
  source "$LAB_SRC/tutorial/vault-setup.sh"
  LAB_SERVER="$SERVER" LAB_CA_FILE="$LAB_DIR/pki/apiserver.crt" LAB_REVIEWER_JWT="$LAB_DIR/pki/reviewer.jwt" \
    LAB_PG_PORT="$PG_PORT" LAB_PG_PASSWORD_FILE="$VAULT_DIR/pg.password" tutorial_vault_setup
  export LAB_VAULT_ADDR="$VAULT_ADDR_LAB"
  render "$LAB_SRC/tutorial/10-base.yaml" | ssa -f - >&2
  publish_root_ca tutorial
  start_agents
  if ! kc get deployment webapp -n tutorial >/dev/null 2>&1; then
    log "creating the tutorial's workloads (injected by the lab, agents run by agents.py)"
    kc create --dry-run=client -o json -f "$LAB_SRC/tutorial/20-workloads.yaml" >"$LAB_DIR/tutorial-workloads.json"
    lab_python workloads.py apply "$LAB_DIR/tutorial-workloads.json" >&2
    csi_mount
  fi
}

vault_down() {
  stop_agents
  if [[ -d "$VAULT_DIR" ]]; then
    bao_sh down >&2 || log "scripts/bao.sh down failed"
  fi
}

vault_env_lines() {
  [[ -s "$LAB_DIR/vault.env" ]] || return 0
  cat <<EOF
export VAULT_ADDR="$VAULT_ADDR_LAB"
export VAULT_TOKEN="$(bao_env VAULTSCOPE_TOKEN)"
export LAB_ROOT_TOKEN="$(bao_env VAULT_TOKEN)"
export VAULTSCOPE_LAB_BAO_BIN="$(bao_env VAULTSCOPE_BAO_BIN)"
export VAULTSCOPE_LAB_BAO_DIR="$VAULT_DIR"
export VAULTSCOPE_LAB_AUDIT_LOG="$VAULT_DIR/audit.log"
EOF
}

# ------------------------------------------------------------------ workshop scenarios
scenario_usage() {
  cat >&2 <<'EOF2'
usage: scripts/lab.sh scenario NAME      (a lab started with up --with-vault)
  seal            seal OpenBao: every agent's next call gets "Vault is sealed" (503)
  unseal          unseal it again with the dev server's unseal key
  rotate          write a new version of secret/tutorial/webapp (webapp re-renders within 30 s)
  revoke-lease    revoke the orders app's database leases (its agent fetches new credentials)
  break-binding   bind role webapp to another service account and replace the webapp pod:
                  its new agent cannot log in ("service account name not authorized")
  fix-binding     bind role webapp to service account webapp again (the agent's next retry,
                  within its back-off of up to 5 min, logs in)
  lose-read       narrow policy tutorial-pricing to another path, then write a new version of
                  secret/tutorial/pricing: the pricing agent cannot read it and keeps the old one
  restore-read    grant policy tutorial-pricing its path again (the agent's next retry renders)
  restart APP     delete the pod of Deployment APP (namespace tutorial): its ReplicaSet makes a
                  new one, with new agents and tokens (as after `kubectl delete pod`)
EOF2
}

cmd_scenario() {
  [[ $# -eq 1 || ( $# -eq 2 && "$1" == restart ) ]] || { scenario_usage; exit 2; }
  with_vault && [[ -s "$LAB_DIR/vault.env" ]] || die "no workshop lab in $LAB_DIR (scripts/lab.sh up --with-vault)"
  case "$1" in
    seal)
      bao_ operator seal >&2
      ;;
    unseal)
      bao_ operator unseal "$(cat "$VAULT_DIR/unseal.key")" >/dev/null
      log "unsealed"
      ;;
    rotate)
      bao_ kv put secret/tutorial/webapp username=webapp-user password="$(openssl rand -hex 12)" >/dev/null
      log "secret/tutorial/webapp is now version $(bao_ kv metadata get -format=json secret/tutorial/webapp | jq -r .data.current_version)"
      ;;
    revoke-lease)
      bao_ lease revoke -prefix database/creds/orders >&2
      ;;
    break-binding)
      bao_ write auth/kubernetes/role/webapp bound_service_account_names=webapp-v2 \
        bound_service_account_namespaces=tutorial token_policies=tutorial-webapp token_ttl=10m token_max_ttl=1h >/dev/null
      lab_python workloads.py replace tutorial webapp >&2
      log "role webapp now binds tutorial/webapp-v2; the new webapp pod runs as tutorial/webapp"
      ;;
    fix-binding)
      bao_ write auth/kubernetes/role/webapp bound_service_account_names=webapp \
        bound_service_account_namespaces=tutorial token_policies=tutorial-webapp token_ttl=10m token_max_ttl=1h >/dev/null
      log "role webapp binds tutorial/webapp again"
      ;;
    lose-read)
      bao_ policy write tutorial-pricing - >/dev/null <<'EOF2'
path "secret/data/tutorial/pricing-v1" { capabilities = ["read"] }
EOF2
      bao_ kv put secret/tutorial/pricing username=pricing-user password="$(openssl rand -hex 12)" >/dev/null
      log "policy tutorial-pricing no longer grants secret/data/tutorial/pricing, now at version $(bao_ kv metadata get -format=json secret/tutorial/pricing | jq -r .data.current_version)"
      ;;
    restore-read)
      bao_ policy write tutorial-pricing - >/dev/null <<'EOF2'
path "secret/data/tutorial/pricing" { capabilities = ["read"] }
EOF2
      log "policy tutorial-pricing grants secret/data/tutorial/pricing again"
      ;;
    restart)
      kc get deployment "$2" -n tutorial >/dev/null 2>&1 || die "no Deployment $2 in namespace tutorial"
      lab_python workloads.py replace tutorial "$2" >&2
      ;;
    *) scenario_usage; exit 2 ;;
  esac
}
