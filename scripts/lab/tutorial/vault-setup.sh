# shellcheck shell=bash
# The Vault side of the workshop lab, step by step as the Vault-on-Kubernetes tutorial does it.
# Sourced by scripts/lab.sh (up --with-vault) after scripts/bao.sh started OpenBao; runs as root
# (BAO_ADDR / BAO_TOKEN set). Idempotent. `bao_` is the bao binary; `bao.sh` already enabled
# KV v2 at secret/, the database engine at database/, a PKI root at pki/ and the file audit
# device (declared in its server config: OpenBao refuses `audit enable` over the API).
#
# Variables: LAB_SERVER, LAB_CA_FILE, LAB_REVIEWER_JWT (file), LAB_PG_PORT, LAB_PG_PASSWORD_FILE.

tutorial_vault_setup() {
  # Step 1: kubernetes auth pointing at the cluster's API server. Vault runs outside the
  # cluster, so it reviews tokens with a reviewer service account's JWT (bound to
  # system:auth-delegator) and verifies the API server with its CA.
  bao_ write auth/kubernetes/config kubernetes_host="$LAB_SERVER" kubernetes_ca_cert="@$LAB_CA_FILE" \
    token_reviewer_jwt="@$LAB_REVIEWER_JWT" disable_local_ca_jwt=true >/dev/null

  # Step 2: the apps' static secrets in KV v2. Written once, so versions only move when
  # someone rotates them (scripts/lab.sh scenario rotate).
  local p
  for p in webapp ledger/config batch csi pricing; do
    if ! bao_ kv metadata get "secret/tutorial/$p" >/dev/null 2>&1; then
      bao_ kv put "secret/tutorial/$p" username="$(basename "$p")-user" password="$(openssl rand -hex 12)" >/dev/null
    fi
  done
  bao_ kv metadata put -custom-metadata=owner=tutorial -custom-metadata=rotation=workshop secret/tutorial/webapp >/dev/null
  # secret/tutorial/reports is deliberately never written (the reports workload reads it).

  # Step 3: dynamic database credentials with short leases, so renewals (every ~80 s) and a
  # re-issue at the 10 min max TTL happen during a demo.
  bao_ write database/config/tutorial plugin_name=postgresql-database-plugin \
    connection_url="postgresql://{{username}}:{{password}}@127.0.0.1:$LAB_PG_PORT/postgres?sslmode=disable" \
    username=vaultadmin password="$(cat "$LAB_PG_PASSWORD_FILE")" allowed_roles=orders,payouts \
    password_authentication=scram-sha-256 >/dev/null
  bao_ write database/roles/orders db_name=tutorial default_ttl=2m max_ttl=10m \
    creation_statements="CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON public.invoices TO \"{{name}}\";" \
    >/dev/null
  # A role whose credentials reach their max TTL within a minute, so a re-issue (a rotation of
  # dynamic credentials) happens early in every lab run rather than after 10 minutes.
  bao_ write database/roles/payouts db_name=tutorial default_ttl=15s max_ttl=40s \
    creation_statements="CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON public.invoices TO \"{{name}}\";" \
    >/dev/null

  # Step 4: PKI. bao.sh made the root at pki/; an intermediate at pki_int/ signed by it,
  # and a role issuing short-lived certificates (2 min asked, 5 min at most) for *.tutorial.svc.
  if ! bao_ secrets list | awk '{print $1}' | grep -Fx pki_int/ >/dev/null; then
    bao_ secrets enable -path=pki_int pki >/dev/null
    bao_ secrets tune -max-lease-ttl=43800h pki_int >/dev/null
  fi
  if ! bao_ read -field=certificate pki_int/cert/ca >/dev/null 2>&1; then
    local csr="$LAB_DIR/vault/pki_int.csr" pem="$LAB_DIR/vault/pki_int.pem"
    bao_ write -field=csr pki_int/intermediate/generate/internal \
      common_name="vaultscope lab tutorial intermediate CA" issuer_name=tutorial-int >"$csr"
    bao_ write -field=certificate pki/root/sign-intermediate csr="@$csr" format=pem_bundle ttl=43800h >"$pem"
    bao_ write pki_int/intermediate/set-signed certificate="@$pem" >/dev/null
  fi
  bao_ write pki_int/roles/tutorial allowed_domains=tutorial.svc allow_subdomains=true \
    max_ttl=5m ttl=5m key_type=ec key_bits=256 >/dev/null

  # Step 5: one policy per app: exactly the paths the app reads.
  bao_ policy write tutorial-webapp - >/dev/null <<'EOF'
path "secret/data/tutorial/webapp" { capabilities = ["read"] }
EOF
  bao_ policy write tutorial-orders - >/dev/null <<'EOF'
path "database/creds/orders" { capabilities = ["read"] }
EOF
  bao_ policy write tutorial-certs - >/dev/null <<'EOF'
path "pki_int/issue/tutorial" { capabilities = ["create", "update"] }
EOF
  bao_ policy write tutorial-batch - >/dev/null <<'EOF'
path "secret/data/tutorial/batch" { capabilities = ["read"] }
EOF
  bao_ policy write tutorial-csi - >/dev/null <<'EOF'
path "secret/data/tutorial/csi" { capabilities = ["read"] }
EOF
  bao_ policy write tutorial-payouts - >/dev/null <<'EOF'
path "database/creds/payouts" { capabilities = ["read"] }
EOF
  # The pricing app's; `scripts/lab.sh scenario lose-read` narrows it to another path.
  bao_ policy write tutorial-pricing - >/dev/null <<'EOF'
path "secret/data/tutorial/pricing" { capabilities = ["read"] }
EOF
  bao_ policy write tutorial-reports - >/dev/null <<'EOF'
path "secret/data/tutorial/reports" { capabilities = ["read"] }
EOF
  # Wrong on purpose: the ledger app reads secret/data/tutorial/ledger/config.
  bao_ policy write tutorial-ledger - >/dev/null <<'EOF'
path "secret/data/tutorial/ledger/public" { capabilities = ["read"] }
EOF
  bao_ policy write tutorial-inventory - >/dev/null <<'EOF'
path "secret/data/tutorial/webapp" { capabilities = ["read"] }
EOF
  bao_ policy write tutorial-metrics - >/dev/null <<'EOF'
path "secret/data/tutorial/webapp" { capabilities = ["read"] }
EOF

  # Step 6: roles binding each app's service account and namespace to its policy.
  role() { # NAME SA POLICY [extra args]
    local name=$1 sa=$2 policy=$3
    shift 3
    bao_ write "auth/kubernetes/role/$name" bound_service_account_names="$sa" \
      bound_service_account_namespaces=tutorial token_policies="$policy" "$@" >/dev/null
  }
  role webapp webapp tutorial-webapp token_ttl=10m token_max_ttl=1h
  role orders orders tutorial-orders token_ttl=10m token_max_ttl=1h
  role certs certs tutorial-certs token_ttl=10m token_max_ttl=1h
  role batch batch tutorial-batch token_ttl=1h
  role csi catalog-csi tutorial-csi token_ttl=1h
  role payouts payouts tutorial-payouts token_ttl=10m token_max_ttl=1h
  role pricing pricing tutorial-pricing token_ttl=10m token_max_ttl=1h
  role reports reports tutorial-reports token_ttl=10m
  role ledger ledger tutorial-ledger token_ttl=10m
  # Wrong on purpose: the inventory pod runs as service account "inventory".
  role inventory inventory-writer tutorial-inventory token_ttl=10m
  # The metrics role wants tokens minted for audience "vault"; the pod's default token is for
  # the API server's own audience.
  role metrics metrics tutorial-metrics token_ttl=10m audience=vault
  # Nothing for the auditor pod (its role "auditor" does not exist) or for the legacy pod
  # (it logs in at auth/k8s, a mount that was never enabled).
  unset -f role
}
