# catalog (namespace shop) may read its KV v2 secrets under secret/shop/.
# Healthy case: role "catalog" binds shop/catalog to this policy.
path "secret/data/shop/*" {
  capabilities = ["read"]
}
