# ledger: policy-denies-path case. The ledger pod asks for
# secret/data/payments/config (annotation agent-inject-secret-config), but this
# policy only grants secret/data/ledger/*, so the agent's read gets 403.
# (Role "ledger" is also bound to the wrong service account: ledger-writer,
# while the pod runs as "ledger".)
path "secret/data/ledger/*" {
  capabilities = ["read"]
}
