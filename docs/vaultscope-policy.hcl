# vaultscope: the smallest Vault / OpenBao ACL policy for the read-only observer.
#
# vaultscope shows the health of secret injection: mounts, auth roles, policies,
# leases, token accessors, KV metadata and PKI certificates. It must never read
# a secret. So this policy grants NO read on:
#   - KV v2 data:         <mount>/data/*        (the secret values)
#   - database creds:     database/creds/*      (reading creates a lease + a DB role)
#   - PKI issue/sign:     pki/issue/*, pki/sign/* (creates a certificate)
#   - token creation, lease renew/revoke, sys/raw, or any write outside the
#     lookup endpoints below (which take an id in the body: "update" = POST).
#
# Load:   bao policy write vaultscope docs/vaultscope-policy.hcl
# Token:  bao token create -policy=vaultscope -no-default-policy -orphan
# (scripts/bao.sh does both, and checks the result with real calls.)
#
# Two stanzas need "sudo" because the paths are "root paths" in Vault/OpenBao
# (sys PathsSpecial.Root: leases/lookup/*, auth/token accessors*). Without sudo
# vaultscope still works but cannot LIST leases or token accessors: it gets
# 403 there and should say so instead of showing an empty list.
# scripts/bao.sh derives the "vaultscope-nosudo" test policy from this file
# by deleting every "sudo" capability.
#
# Caveat on "+" mount wildcards: "+/metadata/*" and "+/cert/*" match ANY mount.
# On a KV *version 1* mount, "kv1/metadata/x" or "kv1/cert/x" would be a real
# secret. In production, replace "+" with the actual KV v2 / PKI mount names.

# Server status. sys/health is also unauthenticated; listed so that
# sys/capabilities-self reports it and so the policy documents every call.
path "sys/health" {
  capabilities = ["read"]
}

# Secrets-engine mount table: which engines exist (kv v2, database, pki) and
# their default/max lease TTLs. Read only; no tuning.
path "sys/mounts" {
  capabilities = ["read"]
}

# Lease lookup by id: POST sys/leases/lookup {"lease_id": "..."} returns
# issue_time, expire_time, last_renewal, ttl, renewable (no secret data).
path "sys/leases/lookup" {
  capabilities = ["update"]
}

# LIST sys/leases/lookup/<prefix>/ enumerates lease ids (e.g. under
# database/creds/billing/). Root path: needs sudo. Returns id suffixes only.
path "sys/leases/lookup/*" {
  capabilities = ["list", "sudo"]
}

# LIST auth/token/accessors: enumerates token accessors (not tokens).
# Root path: needs sudo.
path "auth/token/accessors" {
  capabilities = ["list", "sudo"]
}

# POST auth/token/lookup-accessor {"accessor": "..."}: a token's policies,
# TTL, expire_time and kubernetes metadata (role, service account), never the
# token itself.
path "auth/token/lookup-accessor" {
  capabilities = ["update"]
}

# Auth roles of every auth mount (kubernetes: bound service accounts and
# namespaces, audience, token_policies, token TTLs): GET auth/<m>/role/<name>
# for the roles the workloads name.
path "auth/+/role/*" {
  capabilities = ["read", "list"]
}

# Kubernetes auth mount configuration: GET auth/<m>/config for the mounts the
# workloads log in at, to check kubernetes_host, kubernetes_ca_cert and whether
# a reviewer JWT is set against the watched cluster. The answer holds no
# secret: the reviewer JWT is never returned (only token_reviewer_jwt_set),
# the CA is public. "+" matches one segment: a nested mount (auth/team/k8s)
# needs its own path, and in production name your kubernetes mounts here
# rather than "+" (other auth methods' config endpoints are under it too).
path "auth/+/config" {
  capabilities = ["read"]
}

# ACL policy text: to check whether a role's policies allow the path a pod
# asks for: GET sys/policies/acl/<name>.
path "sys/policies/acl/*" {
  capabilities = ["read", "list"]
}

# KV v2 metadata only: versions, created/updated/deleted times, custom
# metadata. Never "<mount>/data/*".
path "+/metadata/*" {
  capabilities = ["read", "list"]
}

# PKI: list stored certificate serials and read one certificate (public PEM,
# parsed for not_after; the endpoint is unauthenticated anyway). Never
# pki/issue/* or pki/sign/*.
path "+/certs" {
  capabilities = ["list"]
}

path "+/cert/*" {
  capabilities = ["read"]
}

# "What may I do here?": after a 403 on one of the paths above, vaultscope asks
# which capability it lacks, to name it (vaultscope.permission_limited).
path "sys/capabilities-self" {
  capabilities = ["update"]
}
