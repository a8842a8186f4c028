# billing-api (namespace payments) may get dynamic PostgreSQL credentials.
# Healthy case: role "billing" binds payments/billing-api to this policy.
path "database/creds/billing" {
  capabilities = ["read"]
}
