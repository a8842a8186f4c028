//! Every agent failure signature, from the real strings in
//! shared/reference/injection-facts.md §2, in each shape agents print it:
//! the new (`agent.auth.handler:`) and old (`auth.handler:`) prefixes, an
//! escaped single-line value, a value spread over several lines, and with the
//! prefix `kubectl logs --prefix` adds.

use vaultscope::diagnose::Code;
use vaultscope::diagnose::logs::analyse;

/// The value of a Vault API error as agents embed it, for a login.
fn login_error(addr: &str, mount: &str, code: u16, msg: &str) -> String {
    format!(
        "Error making API request.\\n\\nURL: PUT {addr}/v1/{mount}/login\\nCode: {code}. Errors:\\n\\n* {msg}"
    )
}

/// New-format agent line, escaped single-line value.
fn new_escaped(addr: &str, mount: &str, code: u16, msg: &str) -> String {
    let msg = msg.replace('"', "\\\"");
    format!(
        "2026-11-28T09:58:02.114Z [ERROR] agent.auth.handler: error authenticating: error=\"{}\" backoff=2.41s",
        login_error(addr, mount, code, &msg)
    )
}

/// Old-format agent line (Vault < 1.14): `auth.handler:` without `agent.`.
fn old_escaped(addr: &str, mount: &str, code: u16, msg: &str) -> String {
    let msg = msg.replace('"', "\\\"");
    format!(
        "2021-03-02T11:04:05.001Z [ERROR] auth.handler: error authenticating: error=\"{}\" backoff=1.6s",
        login_error(addr, mount, code, &msg)
    )
}

/// The value spread over several lines, as newer hclog prints multi-line values.
fn multi_line(addr: &str, mount: &str, code: u16, msg: &str) -> String {
    format!(
        "2026-11-28T09:58:02.114Z [ERROR] agent.auth.handler: error authenticating:\n  error=\n  | Error making API request.\n  | \n  | URL: PUT {addr}/v1/{mount}/login\n  | Code: {code}. Errors:\n  | \n  | * {msg}\n   backoff=4.2s"
    )
}

/// hclog's JSON format (`log_format = "json"`): the error is a JSON string
/// field next to `@message`.
fn json_line(addr: &str, mount: &str, code: u16, msg: &str) -> String {
    let error = format!(
        "Error making API request.\n\nURL: PUT {addr}/v1/{mount}/login\nCode: {code}. Errors:\n\n* {}",
        msg.replace('"', "\\\"")
    );
    format!(
        r#"{{"@level":"error","@message":"error authenticating","@module":"agent.auth.handler","@timestamp":"2026-11-28T09:58:02.114000Z","backoff":2.41,"error":"{error}"}}"#
    )
}

fn with_kubectl_prefix(text: &str, pod: &str) -> String {
    text.lines()
        .map(|l| format!("[pod/{pod}/vault-agent-init] {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn codes(log: &str) -> Vec<Code> {
    analyse(log.lines())
        .into_iter()
        .map(|s| s.cause.code)
        .collect()
}

fn assert_all_shapes(msg: &str, code: u16, want: Code) {
    for (addr, mount) in [
        ("https://vault.vault.svc:8200", "auth/kubernetes"),
        ("http://10.96.12.4:8200", "auth/k8s-prod-eu"),
        ("https://bao.example.com", "auth/kubernetes/cluster-2"),
    ] {
        for (shape, log) in [
            ("new escaped", new_escaped(addr, mount, code, msg)),
            ("old escaped", old_escaped(addr, mount, code, msg)),
            ("multi-line", multi_line(addr, mount, code, msg)),
            ("hclog json", json_line(addr, mount, code, msg)),
            (
                "kubectl --prefix",
                with_kubectl_prefix(&multi_line(addr, mount, code, msg), "web-7d9f-abcde"),
            ),
            (
                "kubectl --prefix escaped",
                with_kubectl_prefix(&new_escaped(addr, mount, code, msg), "web-7d9f-abcde"),
            ),
        ] {
            let got = analyse(log.lines());
            assert_eq!(got.len(), 1, "{shape} / {addr}: {got:?}\n{log}");
            assert_eq!(got[0].cause.code, want, "{shape} / {addr}\n{log}");
            assert_eq!(
                got[0].login_mount.as_deref(),
                Some(mount),
                "{shape} / {addr}"
            );
            assert!(
                got[0].evidence.contains(msg.split('"').next().unwrap()),
                "{shape}: evidence {}",
                got[0].evidence
            );
        }
    }
}

#[test]
fn service_account_not_authorized_403_and_old_500() {
    assert_all_shapes(
        "service account name not authorized",
        403,
        Code::AuthServiceAccountNotAuthorized,
    );
    assert_all_shapes(
        "service account name not authorized",
        500,
        Code::AuthServiceAccountNotAuthorized,
    );
}

#[test]
fn invalid_role_names_the_role() {
    assert_all_shapes(
        "invalid role name \"orders-app\"",
        400,
        Code::AuthInvalidRole,
    );
    let got = analyse(
        multi_line(
            "https://v:8200",
            "auth/kubernetes",
            400,
            "invalid role name \"orders-app\"",
        )
        .lines(),
    );
    assert_eq!(got[0].cause.detail.as_deref(), Some("orders-app"));
    let got = analyse(
        new_escaped(
            "https://v:8200",
            "auth/kubernetes",
            400,
            "invalid role name \"orders-app\"",
        )
        .lines(),
    );
    assert_eq!(got[0].cause.detail.as_deref(), Some("orders-app"));
}

#[test]
fn namespace_not_authorized_with_and_without_err() {
    assert_all_shapes(
        "namespace not authorized",
        403,
        Code::AuthNamespaceNotAuthorized,
    );
    assert_all_shapes(
        "namespace not authorized err=namespace selector did not match",
        403,
        Code::AuthNamespaceNotAuthorized,
    );
}

#[test]
fn audience_mismatch() {
    assert_all_shapes(
        "invalid audience (aud) claim: audience claim does not match any expected audience",
        403,
        Code::AuthAudienceMismatch,
    );
}

#[test]
fn token_review_denied_is_auth_permission_denied() {
    assert_all_shapes("permission denied", 403, Code::AuthPermissionDenied);
}

#[test]
fn sealed_vault() {
    assert_all_shapes("Vault is sealed", 503, Code::VaultSealed);
}

#[test]
fn network_failures_are_unreachable() {
    for err in [
        "Put \"https://vault.vault.svc:8200/v1/auth/kubernetes/login\": dial tcp 10.96.0.15:8200: connect: connection refused",
        "Put \"https://vault.vault.svc:8200/v1/auth/kubernetes/login\": dial tcp 10.96.0.15:8200: i/o timeout",
        "Put \"http://vault:8200/v1/auth/kubernetes/login\": read tcp 10.1.0.5:43210->10.96.0.15:8200: read: connection reset by peer",
    ] {
        let line = format!(
            "2026-11-28T09:58:02.114Z [ERROR] agent.auth.handler: error authenticating: error=\"{}\" backoff=1s",
            err.replace('"', "\\\"")
        );
        assert_eq!(codes(&line), vec![Code::VaultUnreachable], "{line}");
        let old = line.replace("agent.auth.handler", "auth.handler");
        assert_eq!(codes(&old), vec![Code::VaultUnreachable], "{old}");
    }
}

#[test]
fn tls_unknown_authority() {
    let line = r#"2026-11-28T09:58:02.114Z [ERROR] agent.auth.handler: error authenticating: error="Put \"https://vault.vault.svc:8200/v1/auth/kubernetes/login\": tls: failed to verify certificate: x509: certificate signed by unknown authority" backoff=1s"#;
    assert_eq!(codes(line), vec![Code::VaultTlsError]);
    let old = r#"2020-06-01T10:00:00.000Z [ERROR] auth.handler: error authenticating: error="Put https://vault:8200/v1/auth/kubernetes/login: x509: certificate signed by unknown authority" backoff=1.0s"#;
    assert_eq!(codes(old), vec![Code::VaultTlsError]);
}

#[test]
fn policy_denies_a_template_read() {
    let log = r#"2026-11-28T09:58:03.001Z [ERROR] agent.template.server: template server error: error="(dynamic): vault.read(kv/data/payments/invoices): vault.read(kv/data/payments/invoices): Error making API request.\n\nURL: GET https://vault.vault.svc:8200/v1/kv/data/payments/invoices\nCode: 403. Errors:\n\n* 1 error occurred:\n\t* permission denied\n\n"
2026-11-28T09:58:03.001Z [ERROR] agent: runtime error encountered: error="template server: (dynamic): vault.read(kv/data/payments/invoices): vault.read(kv/data/payments/invoices): Error making API request.\n\nURL: GET https://vault.vault.svc:8200/v1/kv/data/payments/invoices\nCode: 403. Errors:\n\n* 1 error occurred:\n\t* permission denied\n\n""#;
    let got = analyse(log.lines());
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].cause.code, Code::SecretPermissionDenied);
    assert_eq!(
        got[0].cause.detail.as_deref(),
        Some("kv/data/payments/invoices")
    );
    // The agent's `runtime error encountered` only repeats the template
    // server's error on its way out (hashicorp/vault#20772): one failure.
    assert_eq!(got[0].occurrences, 1);
    assert!(got[0].login_mount.is_none());
}

#[test]
fn missing_secret_in_new_error_and_old_warn_form() {
    for log in [
        r#"2026-11-28T09:58:03.001Z [ERROR] agent: (view) vault.read(secret/data/shop/catalog-v2): no secret exists at secret/data/shop/catalog-v2 (retry attempt 11 after "1m0s")"#,
        r#"2021-01-10T08:00:00.000Z [WARN]  (view) vault.read(secret/data/shop/catalog-v2): no secret exists at secret/data/shop/catalog-v2 (retry attempt 3 after "2s")"#,
    ] {
        let got = analyse(log.lines());
        assert_eq!(got.len(), 1, "{log}");
        assert_eq!(got[0].cause.code, Code::SecretNotFound);
        assert_eq!(
            got[0].cause.detail.as_deref(),
            Some("secret/data/shop/catalog-v2")
        );
    }
}

#[test]
fn missing_key_with_error_on_missing_key() {
    let log = r#"2026-11-28T09:58:03.001Z [ERROR] agent: (runner) render failed: error="template: (dynamic):2:30: executing \"(dynamic)\" at <.Data.data.password>: map has no entry for key \"password\"""#;
    let got = analyse(log.lines());
    assert_eq!(got[0].cause.code, Code::SecretMissingKey);
    assert_eq!(got[0].cause.detail.as_deref(), Some("password"));
}

#[test]
fn renewal_failures() {
    let token = "2026-11-28T09:58:03.001Z [ERROR] agent.auth.handler: error renewing token: error=\"Error making API request.\\n\\nURL: PUT https://vault:8200/v1/auth/token/renew-self\\nCode: 403. Errors:\\n\\n* permission denied\"";
    // The renewal error mentions `permission denied` on a non-login URL; it is a renewal failure.
    assert_eq!(codes(token), vec![Code::RenewalTokenFailed]);
    let lease = "2026-11-28T09:58:03.001Z [WARN]  agent: (view) vault.read(database/creds/billing): failed to renew: Error making API request.";
    assert_eq!(codes(lease), vec![Code::RenewalLeaseFailed]);
    let done = "2026-11-28T09:58:03.001Z [WARN]  agent: (view) vault.read(database/creds/billing): renewer done (maybe the lease expired)";
    assert_eq!(codes(done), vec![Code::RenewalLeaseFailed]);
}

#[test]
fn errors_followed_by_success_are_history() {
    let log = format!(
        "{}\n2026-11-28T09:58:09.000Z [INFO]  agent.auth.handler: authenticating\n2026-11-28T09:58:09.100Z [INFO]  agent.auth.handler: authentication successful, sending token to sinks\n2026-11-28T09:58:09.200Z [INFO]  agent: (runner) rendered \"(dynamic)\" => \"/vault/secrets/db\"",
        new_escaped("https://v:8200", "auth/kubernetes", 503, "Vault is sealed")
    );
    assert!(codes(&log).is_empty());
}

#[test]
fn a_healthy_agent_log_has_no_signal() {
    let log = r#"==> Vault Agent started! Log data will stream in below:

==> Vault Agent configuration:

           Api Address 1: http://bufconn
                     Cgo: disabled
               Log Level: info
                 Version: Vault v1.15.2, built 2023-11-06T11:33:28Z
             Version Sha: cf1b5cafa047bc8e4a3f93444fcb4011593b92cb

2026-11-28T09:58:02.114Z [INFO]  agent.sink.file: creating file sink
2026-11-28T09:58:02.114Z [INFO]  agent.sink.file: file sink configured: path=/home/vault/.vault-token mode=-rw-r-----
2026-11-28T09:58:02.115Z [INFO]  agent.auth.handler: starting auth handler
2026-11-28T09:58:02.115Z [INFO]  agent.auth.handler: authenticating
2026-11-28T09:58:02.116Z [INFO]  agent.template.server: starting template server
2026-11-28T09:58:02.130Z [INFO]  agent.auth.handler: authentication successful, sending token to sinks
2026-11-28T09:58:02.130Z [INFO]  agent.auth.handler: starting renewal process
2026-11-28T09:58:02.131Z [INFO]  agent.sink.file: token written: path=/home/vault/.vault-token
2026-11-28T09:58:02.131Z [INFO]  agent.template.server: template server received new token
2026-11-28T09:58:02.131Z [INFO]  agent: (runner) stopping
2026-11-28T09:58:02.131Z [INFO]  agent: (runner) creating new runner (dry: false, once: false)
2026-11-28T09:58:02.132Z [INFO]  agent: (runner) creating watcher
2026-11-28T09:58:02.132Z [INFO]  agent: (runner) starting
2026-11-28T09:58:02.140Z [INFO]  agent.auth.handler: renewed auth token
2026-11-28T09:58:02.160Z [INFO]  agent: (runner) rendered "(dynamic)" => "/vault/secrets/db-creds"
2026-11-28T09:58:02.161Z [INFO]  agent.sink.server: sinks finished, exiting"#;
    assert!(codes(log).is_empty(), "{:?}", analyse(log.lines()));
}

// ---- The same cause in every version's words (issue: diagnosis in the wild).
// Each phrase, its versions and its source are kept in
// src/diagnose/vocabulary.rs; these are the real lines users pasted.

#[test]
fn audience_in_the_old_jwt_librarys_words_with_code_500() {
    // vault-plugin-auth-kubernetes#102 (Vault 1.6.0): `Code: 500. Errors:
    // * claim "aud" is invalid` from briankassouf/jose.
    assert_all_shapes("claim \"aud\" is invalid", 500, Code::AuthAudienceMismatch);
}

#[test]
fn issuer_mismatch_old_and_new() {
    // ricoberger/vault-secrets-operator#104, vault-csi-provider#111 (500,
    // jose); hashicorp/cap `invalid issuer (iss) claim` (403 since plugin v0.15.0).
    assert_all_shapes("claim \"iss\" is invalid", 500, Code::AuthIssuerMismatch);
    assert_all_shapes(
        "invalid issuer (iss) claim: token issuer does not match",
        403,
        Code::AuthIssuerMismatch,
    );
}

#[test]
fn an_expired_or_unusable_token() {
    // hashicorp/cap jwt.go and the older jose errors.
    assert_all_shapes(
        "invalid expiration time (exp) claim: token is expired",
        403,
        Code::AuthJwtInvalid,
    );
    assert_all_shapes("token is expired", 500, Code::AuthJwtInvalid);
    assert_all_shapes(
        "invalid algorithm (alg) header parameter: token signed with unexpected algorithm",
        403,
        Code::AuthJwtInvalid,
    );
}

#[test]
fn an_auth_backend_that_was_never_configured() {
    // plugin path_login.go: errors.New("could not load backend configuration"), code 500.
    assert_all_shapes(
        "could not load backend configuration",
        500,
        Code::AuthNotConfigured,
    );
}

#[test]
fn a_login_to_a_mount_that_does_not_exist() {
    // Vault 1.9 and older: 400 `missing client token` (vault-plugin-auth-kubernetes#109,
    // a wrong vault.hashicorp.com/namespace).
    assert_all_shapes("missing client token", 400, Code::AuthMountNotFound);
    // The router's answer when a token is sent: vault/router.go.
    assert_all_shapes(
        "no handler for route \"auth/k8s-typo/login\". route entry not found.",
        404,
        Code::AuthMountNotFound,
    );
    // hashicorp/vault-k8s#75: an auth-path annotation without `auth/`.
    let line = "2020-02-11T10:00:00.000Z [ERROR] auth.handler: error authenticating: error=\"Error making API request.\\n\\nURL: PUT https://vault.vault.svc:8200/v1/clusters/services/login\\nCode: 400. Errors:\\n\\n* missing client token\" backoff=1.6070817979999998";
    let got = analyse(line.lines());
    assert_eq!(got[0].cause.code, Code::AuthMountNotFound);
    assert_eq!(got[0].cause.detail.as_deref(), Some("clusters/services"));
    // The same mistake on Vault 1.10+ and OpenBao answers 403 permission
    // denied (vault#13162); the path outside auth/ still tells.
    let line = line
        .replace("Code: 400", "Code: 403")
        .replace("missing client token", "permission denied");
    assert_eq!(codes(&line), vec![Code::AuthMountNotFound]);
}

#[test]
fn vault_that_answers_but_cannot_serve() {
    // http/handler.go, 500: a standby without an active node (an OpenBao
    // user's `Code: 500. Errors: * local node not active but active
    // cluster node not found`).
    assert_all_shapes(
        "local node not active but active cluster node not found",
        500,
        Code::VaultUnavailable,
    );
    // sdk/logical/error.go: rate limit quota, 429.
    assert_all_shapes(
        "request path \"auth/kubernetes/login\": rate limit quota exceeded",
        429,
        Code::VaultUnavailable,
    );
    // Any other 5xx on a login, by its status alone.
    assert_all_shapes("internal error", 500, Code::VaultUnavailable);
    assert_all_shapes("Vault is sealed", 503, Code::VaultSealed);
}

#[test]
fn a_file_the_agent_cannot_write_is_not_a_vault_policy() {
    // hashicorp/vault#8379: consul-template's renderer (renderer.go) wraps
    // the OS error: rename of its temp file into the destination.
    let line = r#"2020-02-19T16:13:30.315+0300 [ERROR] template.server: template server error: error="error rendering "aws.ctmpl" => "/home/zhiburt/.abcd": failed writing file: rename /home/zhiburt/710636882 /home/zhiburt/.abcd: permission denied""#;
    let got = analyse(line.lines());
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].cause.code, Code::AgentFileWriteFailed);
    assert_eq!(got[0].cause.detail.as_deref(), Some("/home/zhiburt/.abcd"));
    // The injector's shape: a read-only volume, os.CreateTemp in the
    // destination dir (renderer.go), new agent prefix, escaped quotes.
    let line = r#"2026-11-28T09:58:03.001Z [ERROR] agent: runtime error encountered: error="template server: error rendering \"(dynamic)\" => \"/vault/secrets/db\": failed writing file: open /vault/secrets/1234567: read-only file system""#;
    let got = analyse(line.lines());
    assert_eq!(got[0].cause.code, Code::AgentFileWriteFailed);
    assert_eq!(got[0].cause.detail.as_deref(), Some("/vault/secrets/db"));
    // The token sink's write check at start (file_sink.go).
    let line = "2026-11-28T09:58:02.114Z [ERROR] agent: error creating file sink: error during write check: error opening temp file in dir /home/vault for writing: open /home/vault/.vault-token.tmp.1b2c3d4e: permission denied";
    assert_eq!(codes(line), vec![Code::AgentFileWriteFailed]);
    // The counterpart: a Vault 403 on a secret read stays a policy problem.
    let read = r#"2026-11-28T09:58:03.001Z [ERROR] agent.template.server: template server error: error="vault.read(kv/tenant): vault.read(kv/tenant): Error making API request.\n\nURL: GET https://vault/v1/kv/tenant\nCode: 403. Errors:\n\n* 1 error occurred:\n\t* permission denied\n\n""#;
    assert_eq!(codes(read), vec![Code::SecretPermissionDenied]);
}

#[test]
fn renewal_is_classified_by_vaults_answer() {
    use vaultscope::diagnose::text::Why;
    let why = |line: &str| {
        let got = analyse(line.lines());
        assert_eq!(got.len(), 1, "{line}: {got:?}");
        (got[0].cause.code, got[0].cause.why)
    };
    // 403 on renew-self / sys/leases/renew: the policy lacks renew.
    let token = "2026-11-28T09:58:03.001Z [ERROR] agent.auth.handler: error renewing token: error=\"Error making API request.\\n\\nURL: PUT https://vault:8200/v1/auth/token/renew-self\\nCode: 403. Errors:\\n\\n* permission denied\" backoff=1s";
    assert_eq!(why(token), (Code::RenewalTokenFailed, Some(Why::Denied)));
    let lease = "2026-11-28T09:58:03.001Z [WARN]  agent: vault.read(database/creds/billing): failed to renew: Error making API request.\\n\\nURL: PUT https://vault:8200/v1/sys/leases/renew\\nCode: 403. Errors:\\n\\n* permission denied";
    assert_eq!(why(lease), (Code::RenewalLeaseFailed, Some(Why::Denied)));
    // vault/expiration.go: the lease is gone.
    let gone = "2026-11-28T09:58:03.001Z [WARN]  agent: vault.read(database/creds/billing): failed to renew: Error making API request.\\n\\nURL: PUT https://vault:8200/v1/sys/leases/renew\\nCode: 400. Errors:\\n\\n* lease not found";
    assert_eq!(why(gone), (Code::RenewalLeaseFailed, Some(Why::LeaseGone)));
    // consul-template vault_common.go at max TTL (a public log: `[WARN]
    // vault.read(aws/creds/s3): renewer done (maybe the lease expired)`).
    let done = "2022-06-30T17:17:54.978+0900 [WARN] vault.read(aws/creds/s3): renewer done (maybe the lease expired)";
    assert_eq!(why(done), (Code::RenewalLeaseFailed, Some(Why::MaxTtl)));
    // A renewal that failed because Vault was sealed is about Vault.
    let sealed = "2026-11-28T09:58:03.001Z [WARN]  agent: vault.read(database/creds/billing): failed to renew: Error making API request.\\n\\nURL: PUT https://vault:8200/v1/sys/leases/renew\\nCode: 503. Errors:\\n\\n* Vault is sealed";
    assert_eq!(codes(sealed), vec![Code::VaultSealed]);
}

#[test]
fn every_phrase_in_the_vocabulary_is_recognised() {
    use vaultscope::diagnose::vocabulary;
    for w in vocabulary::BY_WORDS {
        for ph in w.phrases {
            // As an answer in a read error, in its own (lower) case.
            let line = format!(
                "2026-11-28T09:58:03.001Z [ERROR] agent: (view) vault.read(kv/app): {} (retry attempt 1 after \"250ms\")",
                ph.text.replace("\\\"", "\"")
            );
            let got = analyse(line.lines());
            assert_eq!(
                got.first().map(|s| s.cause.code),
                Some(w.code),
                "{:?} ({})",
                ph.text,
                ph.used_by
            );
        }
    }
}
