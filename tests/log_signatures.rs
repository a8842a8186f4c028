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
    assert_eq!(got[0].occurrences, 2);
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
