# web (namespace shop) gets its TLS certificate from PKI role "web" (common_name web.shop.svc).
# Healthy case for the PKI certificate Deployment of examples/manifests: role "web" binds shop/web.
path "pki/issue/web" {
  capabilities = ["update"]
}
