//! What the demo's agents log, in Vault Agent's own words.

use chrono::Duration;

use crate::model::Observation;
use crate::model::injector::Injector;
use crate::model::logs::LogKey;
use crate::model::pod::AGENT_SIDECAR;

use super::{OPENBAO_VERSION, Scenario, VAULT_ADDR, VAULT_VERSION, ts};

impl Scenario {
    pub(super) fn log(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        previous: bool,
        lines: Vec<String>,
    ) -> Observation {
        Observation::LogLines {
            key: LogKey {
                namespace: ns.into(),
                pod: pod.into(),
                container: container.into(),
                previous,
            },
            lines,
        }
    }

    pub(super) fn banner(&self, at: i64) -> Vec<String> {
        self.banner_of(Injector::Vault, at)
    }

    /// The agent's start banner. OpenBao's agent says "OpenBao Agent"
    /// where Vault's says "Vault Agent" (openbao command/agent.go); its
    /// loggers are the same.
    fn banner_of(&self, injector: Injector, at: i64) -> Vec<String> {
        let (agent, version) = match injector {
            Injector::Vault => (
                "Vault Agent",
                format!("Vault v{VAULT_VERSION}, built 2024-09-24T19:48:40Z"),
            ),
            Injector::OpenBao => (
                "OpenBao Agent",
                format!("OpenBao v{OPENBAO_VERSION}, built 2025-03-05T14:02:11Z"),
            ),
        };
        vec![
            format!("==> {agent} started! Log data will stream in below:"),
            String::new(),
            format!("==> {agent} configuration:"),
            String::new(),
            "           Api Address 1: http://bufconn".into(),
            "                     Cgo: disabled".into(),
            "               Log Level: info".into(),
            format!("                 Version: {version}"),
            String::new(),
            format!(
                "{} [INFO]  agent.sink.file: creating file sink",
                ts(self.t(at))
            ),
            format!(
                "{} [INFO]  agent.auth.handler: starting auth handler",
                ts(self.t(at))
            ),
            format!(
                "{} [INFO]  agent.auth.handler: authenticating",
                ts(self.t(at))
            ),
        ]
    }

    pub(super) fn healthy_start(&self, at: i64, files: &[&str], init: bool) -> Vec<String> {
        self.healthy_start_of(Injector::Vault, at, files, init)
    }

    /// A clean start of the agent of `injector`: its token sink is
    /// `/home/vault/.vault-token` or `/home/openbao/.openbao-token`
    /// (`TokenFile` in each injector's agent-inject/agent/config.go).
    pub(super) fn healthy_start_of(
        &self,
        injector: Injector,
        at: i64,
        files: &[&str],
        init: bool,
    ) -> Vec<String> {
        let mut l = self.banner_of(injector, at);
        let token_file = match injector {
            Injector::Vault => "/home/vault/.vault-token",
            Injector::OpenBao => "/home/openbao/.openbao-token",
        };
        let t = |d: i64| ts(self.t(at) + Duration::milliseconds(d));
        l.push(format!(
            "{} [INFO]  agent.auth.handler: authentication successful, sending token to sinks",
            t(41)
        ));
        l.push(format!(
            "{} [INFO]  agent.auth.handler: starting renewal process",
            t(41)
        ));
        l.push(format!(
            "{} [INFO]  agent.sink.file: token written: path={token_file}",
            t(42)
        ));
        l.push(format!(
            "{} [INFO]  agent.template.server: template server received new token",
            t(42)
        ));
        l.push(format!(
            "{} [INFO]  agent: (runner) creating watcher",
            t(43)
        ));
        for f in files {
            l.push(format!(
                "{} [INFO]  agent: (runner) rendered \"(dynamic)\" => \"/vault/secrets/{f}\"",
                t(67)
            ));
        }
        if init {
            l.push(format!(
                "{} [INFO]  agent.sink.server: sinks finished, exiting",
                t(70)
            ));
        } else {
            l.push(format!(
                "{} [INFO]  agent.auth.handler: renewed auth token",
                t(85)
            ));
        }
        l
    }

    pub(super) fn sa_error(&self, at: i64, backoff: &str) -> String {
        format!(
            "{} [ERROR] agent.auth.handler: error authenticating: error=\"Error making API request.\\n\\nURL: PUT {VAULT_ADDR}/v1/auth/kubernetes/login\\nCode: 403. Errors:\\n\\n* service account name not authorized\" backoff={backoff}",
            ts(self.t(at))
        )
    }

    pub(super) fn missing_secret(&self, at: i64, attempt: i64) -> String {
        format!(
            "{} [ERROR] agent: (view) vault.read(secret/data/shop/storefront): no secret exists at secret/data/shop/storefront (retry attempt {attempt} after \"20s\")",
            ts(self.t(at))
        )
    }

    pub(super) fn invoices_crash(&self, at: i64) -> Observation {
        let t = |d: i64| ts(self.t(at) + Duration::milliseconds(d));
        let mut l = self.banner(at);
        l.push(format!(
            "{} [INFO]  agent.auth.handler: authentication successful, sending token to sinks",
            t(40)
        ));
        l.push(format!(
            "{} [INFO]  agent.sink.file: token written: path=/home/vault/.vault-token",
            t(41)
        ));
        l.push(format!(
            "{} [INFO]  agent: (runner) creating watcher",
            t(42)
        ));
        let err = format!(
            "(dynamic): vault.read(secret/data/payments/invoices): vault.read(secret/data/payments/invoices): Error making API request.\\n\\nURL: GET {VAULT_ADDR}/v1/secret/data/payments/invoices\\nCode: 403. Errors:\\n\\n* 1 error occurred:\\n\\t* permission denied\\n\\n"
        );
        l.push(format!(
            "{} [ERROR] agent.template.server: template server error: error=\"{err}\"",
            t(60)
        ));
        l.push(format!(
            "{} [ERROR] agent: runtime error encountered: error=\"template server: {err}\"",
            t(60)
        ));
        l.push(format!("{} [INFO]  agent: (runner) stopping", t(61)));
        self.log(
            "payments",
            "invoices-58f9c7d6b-v5n8d",
            AGENT_SIDECAR,
            true,
            l,
        )
    }

    /// The agent re-renders `file` a moment after second `s` (logged at
    /// `s` + 212 ms, emitted at `s + 1`).
    pub(super) fn render_after(&mut self, ns: &str, pod: &str, s: i64, file: &str) {
        let o = self.rendered(ns, pod, s, file);
        self.later(s + 1, o);
    }

    pub(super) fn rendered(&self, ns: &str, pod: &str, s: i64, file: &str) -> Observation {
        self.log(
            ns,
            pod,
            AGENT_SIDECAR,
            false,
            vec![format!(
                "{} [INFO]  agent: (runner) rendered \"(dynamic)\" => \"/vault/secrets/{file}\"",
                ts(self.t(s))
            )],
        )
    }
}
