//! The two agent injectors vaultscope knows, and how each spells its
//! annotations: HashiCorp's vault-k8s and OpenBao's fork of it, openbao-k8s.
//!
//! The fork keeps vault-k8s's logic and renames what users see. Read from
//! the sources (vault-k8s 1.7.6 as in shared/reference/injection-facts.md;
//! openbao-k8s `agent-inject/agent/` at commits 6c69aa0 / 09c30f6 / 0cba1dd
//! for the `openbao.openbao.org/` releases and 31ec390 / 4ea50f0 after the
//! prefix change):
//!
//! | | vault-k8s | openbao-k8s |
//! |---|---|---|
//! | annotation prefix (`annotations.go`) | `vault.hashicorp.com/` | `openbao.openbao.org/` (2024 to mid-2025), then `openbao.org/` (PRs #14, #21) |
//! | containers (`container_init_sidecar.go`, `container_sidecar.go`) | `vault-agent-init`, `vault-agent` | `openbao-agent-init`, `openbao-agent` |
//! | default agent image (`agent.go`) | `hashicorp/vault:2.0.4` | `openbao/openbao:1.16.1` (`DefaultBaoImage`, @09c30f6) |
//! | auth type / path (`agent.go`) | `kubernetes` / `auth/kubernetes` | the same |
//! | secrets volume (`container_volume.go`) | `vault-secrets` at `/vault/secrets` | `openbao-secrets` at `/openbao/secrets` (@6c69aa0); `/vault/secrets` again since PR #18 (@31ec390) |
//! | token sink (`config.go`) | `/home/vault/.vault-token` | `/home/openbao/.openbao-token` |
//! | agent env (`container_env.go`) | `VAULT_CONFIG`, `VAULT_LOG_LEVEL`, `VAULT_ADDR`... | `OPENBAO_CONFIG`... (@6c69aa0), `BAO_CONFIG`, `BAO_LOG_LEVEL`, `BAO_ADDR`... (@31ec390 `container_env_test.go`) |
//! | status annotation | `<prefix>agent-inject-status: injected` | the same |
//! | refusal without a role (`agent.go` `Validate`) | `no Vault role found` | `no Openbao role found` |
//! | webhook (`deploy/injector-mutating-webhook.yaml`) | `vault.hashicorp.com` in `vault-agent-injector-cfg` | `openbao.openbao.org` (@8516f00), `openbao.org` (@4ea50f0), in `openbao-agent-injector-cfg` |
//! | image flag (`subcommand/injector/flags.go`) | `-vault-image` | `-bao-image` (@43ad3bf) |
//!
//! openbao-k8s after PR #21 also rewrites `vault.hashicorp.com/` annotations
//! to `openbao.org/` (flag `-rewrite-vault-annotations`, default true), so a
//! pod it injected may carry both prefixes: its containers tell which
//! injector mutated it.

use std::fmt;

use serde::Serialize;

/// Which injector's webhook mutates (or would mutate) a pod. The JSON
/// output prints the names (`vault`, `openbao`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Injector {
    #[default]
    Vault,
    OpenBao,
}

impl Injector {
    pub const ALL: [Injector; 2] = [Injector::Vault, Injector::OpenBao];

    pub const fn as_str(self) -> &'static str {
        match self {
            Injector::Vault => "vault",
            Injector::OpenBao => "openbao",
        }
    }

    /// The product, as messages name it ("Vault role", "OpenBao role").
    pub const fn product(self) -> &'static str {
        match self {
            Injector::Vault => "Vault",
            Injector::OpenBao => "OpenBao",
        }
    }

    /// The injector's project (its repository's name).
    pub const fn project(self) -> &'static str {
        match self {
            Injector::Vault => "vault-k8s",
            Injector::OpenBao => "openbao-k8s",
        }
    }

    /// The injector as people call it.
    pub const fn label(self) -> &'static str {
        match self {
            Injector::Vault => "Vault Agent Injector",
            Injector::OpenBao => "OpenBao Agent Injector",
        }
    }

    /// The init container the webhook adds (`ContainerInitSidecar`).
    pub const fn init_container(self) -> &'static str {
        match self {
            Injector::Vault => "vault-agent-init",
            Injector::OpenBao => "openbao-agent-init",
        }
    }

    /// The sidecar the webhook adds (`ContainerSidecar`).
    pub const fn sidecar(self) -> &'static str {
        match self {
            Injector::Vault => "vault-agent",
            Injector::OpenBao => "openbao-agent",
        }
    }

    /// The prefix the injector's current release reads and writes.
    pub const fn dialect(self) -> Dialect {
        match self {
            Injector::Vault => Dialect::Vault,
            Injector::OpenBao => Dialect::OpenBao,
        }
    }

    /// The webhook names of its MutatingWebhookConfiguration, newest first.
    pub const fn webhook_names(self) -> &'static [&'static str] {
        match self {
            Injector::Vault => &["vault.hashicorp.com"],
            Injector::OpenBao => &["openbao.org", "openbao.openbao.org"],
        }
    }

    /// The injector's Deployment and namespace as its Helm chart installs them.
    pub const fn deployment(self) -> (&'static str, &'static str) {
        match self {
            Injector::Vault => ("vault", "vault-agent-injector"),
            Injector::OpenBao => ("openbao", "openbao-agent-injector"),
        }
    }

    /// The Helm chart that installs it (both have `injector.enabled`:
    /// hashicorp/vault-helm, openbao/openbao-helm `charts/openbao/values.yaml`).
    pub const fn helm_chart(self) -> &'static str {
        match self {
            Injector::Vault => "vault-helm",
            Injector::OpenBao => "openbao-helm",
        }
    }

    /// The other injector whose annotations this one's webhook also acts
    /// on: openbao-k8s since PR #21 rewrites `vault.hashicorp.com/` keys to
    /// `openbao.org/` (flag `-rewrite-vault-annotations`, default true).
    pub const fn also_serves(self) -> Option<Injector> {
        match self {
            Injector::Vault => None,
            Injector::OpenBao => Some(Injector::Vault),
        }
    }

    /// The injector's flag for the agent image.
    pub const fn image_flag(self) -> &'static str {
        match self {
            Injector::Vault => "-vault-image",
            Injector::OpenBao => "-bao-image",
        }
    }

    /// The injector that adds a container of this name, and whether it is
    /// the init container.
    pub fn of_container(name: &str) -> Option<(Injector, bool)> {
        Injector::ALL.into_iter().find_map(|i| {
            if name == i.init_container() {
                Some((i, true))
            } else if name == i.sidecar() {
                Some((i, false))
            } else {
                None
            }
        })
    }

    /// The injector a webhook of this name belongs to (names such as
    /// `x.vault.hashicorp.com` count too: the name must be a domain).
    pub fn of_webhook(name: &str) -> Option<Injector> {
        Injector::ALL.into_iter().find(|i| {
            i.webhook_names()
                .iter()
                .any(|w| name == *w || name.ends_with(&format!(".{w}")))
        })
    }

    /// The injector a webhook of this name belongs to, in a
    /// MutatingWebhookConfiguration of this name and `app.kubernetes.io/name`
    /// label, calling this Service. openbao-helm installs openbao-k8s under
    /// vault-k8s's webhook name `vault.hashicorp.com`
    /// (`charts/openbao/templates/injector-mutating-webhook.yaml` @d52f690),
    /// in `<release>-agent-injector-cfg` labelled `openbao-agent-injector`,
    /// calling `<release>-agent-injector-svc`: there the configuration tells.
    pub fn of_webhook_in(
        name: &str,
        configuration: &str,
        app_label: Option<&str>,
        service: Option<&str>,
    ) -> Option<Injector> {
        let by_name = Injector::of_webhook(name)?;
        let openbao = |s: &str| s.to_ascii_lowercase().contains("openbao");
        let installed_as_openbao = openbao(configuration)
            || app_label.is_some_and(openbao)
            || service.is_some_and(openbao);
        Some(if by_name == Injector::Vault && installed_as_openbao {
            Injector::OpenBao
        } else {
            by_name
        })
    }

    /// The injector a webhook failure message names
    /// (`failed calling webhook "openbao.org": ...`).
    pub fn named_in(message: &str) -> Option<Injector> {
        let lower = message.to_ascii_lowercase();
        Injector::ALL
            .into_iter()
            .find(|i| i.webhook_names().iter().any(|w| lower.contains(w)))
    }
}

impl fmt::Display for Injector {
    // `pad`, so that widths in format strings apply.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One spelling of the injector annotations, with the defaults of the
/// releases that read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Dialect {
    /// vault-k8s: `vault.hashicorp.com/`.
    #[default]
    Vault,
    /// openbao-k8s since mid-2025 (PRs #14, #21): `openbao.org/`.
    OpenBao,
    /// openbao-k8s releases of 2024 to mid-2025: `openbao.openbao.org/`.
    OpenBaoLegacy,
}

impl Dialect {
    /// Every dialect; of two on one pod with nothing else to tell them
    /// apart, the earlier is read.
    pub const ALL: [Dialect; 3] = [Dialect::Vault, Dialect::OpenBao, Dialect::OpenBaoLegacy];

    pub const fn prefix(self) -> &'static str {
        match self {
            Dialect::Vault => "vault.hashicorp.com/",
            Dialect::OpenBao => "openbao.org/",
            Dialect::OpenBaoLegacy => "openbao.openbao.org/",
        }
    }

    pub const fn injector(self) -> Injector {
        match self {
            Dialect::Vault => Injector::Vault,
            Dialect::OpenBao | Dialect::OpenBaoLegacy => Injector::OpenBao,
        }
    }

    /// `agent-image` when the annotation is missing (`DefaultVaultImage`,
    /// `DefaultBaoImage` in `agent.go`). The webhook writes the image it
    /// used into an injected pod, so this matters for pod templates.
    pub const fn default_agent_image(self) -> &'static str {
        match self {
            Dialect::Vault => "hashicorp/vault:2.0.4",
            Dialect::OpenBao | Dialect::OpenBaoLegacy => "openbao/openbao:1.16.1",
        }
    }

    /// `secret-volume-path` when the annotation is missing
    /// (`secretVolumePath` in `container_volume.go`): openbao-k8s moved it
    /// to `/openbao/secrets` and back to `/vault/secrets` (PR #18).
    pub const fn default_secret_volume_path(self) -> &'static str {
        match self {
            Dialect::Vault | Dialect::OpenBao => "/vault/secrets",
            Dialect::OpenBaoLegacy => "/openbao/secrets",
        }
    }

    /// Keys of vault-k8s that this dialect's releases do not read:
    /// `template-lease-renewal-threshold` is not in openbao-k8s's
    /// annotations.go, and the template delimiters came with PR #95 (2026),
    /// after the `openbao.openbao.org/` releases.
    pub(crate) fn lacks(self, key: &str) -> bool {
        match self {
            Dialect::Vault => false,
            Dialect::OpenBao => key == "template-lease-renewal-threshold",
            Dialect::OpenBaoLegacy => matches!(
                key,
                "template-lease-renewal-threshold"
                    | "agent-template-left-delim-"
                    | "agent-template-right-delim-"
            ),
        }
    }

    /// The dialect of the webhook a message names: each prefix era has its
    /// webhook name (`openbao.openbao.org` before the change, `openbao.org`
    /// after). The longer name is looked for first, as it contains the other.
    pub fn named_in(message: &str) -> Option<Dialect> {
        let lower = message.to_ascii_lowercase();
        [Dialect::OpenBaoLegacy, Dialect::Vault, Dialect::OpenBao]
            .into_iter()
            .find(|d| lower.contains(d.prefix().trim_end_matches('/')))
    }

    /// The dialect whose prefix a key carries.
    pub fn of_key(key: &str) -> Option<Dialect> {
        Dialect::ALL
            .into_iter()
            .find(|d| key.starts_with(d.prefix()))
    }
}

/// Whether an annotation key belongs to either injector: the only
/// annotations the model keeps.
pub fn is_injector_key(key: &str) -> bool {
    Dialect::of_key(key).is_some()
}

/// Whether a container is an agent init container of either injector.
pub fn is_agent_init(name: &str) -> bool {
    Injector::of_container(name).is_some_and(|(_, init)| init)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_as_scripts_read_them() {
        for i in Injector::ALL {
            assert_eq!(serde_json::to_value(i).unwrap(), i.as_str());
        }
        assert_eq!(format!("[{:<8}]", Injector::Vault), "[vault   ]");
    }

    #[test]
    fn containers_name_their_injector() {
        // openbao-k8s container_init_sidecar.go / container_sidecar.go @8516f00.
        assert_eq!(
            Injector::of_container("openbao-agent-init"),
            Some((Injector::OpenBao, true))
        );
        assert_eq!(
            Injector::of_container("openbao-agent"),
            Some((Injector::OpenBao, false))
        );
        assert_eq!(
            Injector::of_container("vault-agent-init"),
            Some((Injector::Vault, true))
        );
        assert_eq!(Injector::of_container("app"), None);
        assert!(is_agent_init("openbao-agent-init"));
        assert!(!is_agent_init("openbao-agent"));
    }

    #[test]
    fn prefixes_do_not_overlap() {
        for d in Dialect::ALL {
            assert_eq!(Dialect::of_key(&format!("{}role", d.prefix())), Some(d));
        }
        assert_eq!(Dialect::of_key("example.org/role"), None);
        assert_eq!(Dialect::of_key("x.openbao.org/role"), None);
    }

    #[test]
    fn webhooks_name_their_injector() {
        // openbao-k8s deploy/injector-mutating-webhook.yaml @8516f00 and @4ea50f0.
        assert_eq!(
            Injector::of_webhook("openbao.openbao.org"),
            Some(Injector::OpenBao)
        );
        assert_eq!(Injector::of_webhook("openbao.org"), Some(Injector::OpenBao));
        assert_eq!(
            Injector::of_webhook("vault.hashicorp.com"),
            Some(Injector::Vault)
        );
        assert_eq!(
            Injector::of_webhook("team.vault.hashicorp.com"),
            Some(Injector::Vault)
        );
        assert_eq!(Injector::of_webhook("notvault.hashicorp.com"), None);
        // openbao-helm's chart keeps vault-k8s's webhook name.
        assert_eq!(
            Injector::of_webhook_in(
                "vault.hashicorp.com",
                "openbao-agent-injector-cfg",
                Some("openbao-agent-injector"),
                Some("openbao-agent-injector-svc")
            ),
            Some(Injector::OpenBao)
        );
        assert_eq!(
            Injector::of_webhook_in(
                "vault.hashicorp.com",
                "secrets-agent-injector-cfg",
                Some("openbao-agent-injector"),
                Some("secrets-agent-injector-svc")
            ),
            Some(Injector::OpenBao)
        );
        assert_eq!(
            Injector::of_webhook_in(
                "vault.hashicorp.com",
                "vault-agent-injector-cfg",
                Some("vault-agent-injector"),
                Some("vault-agent-injector-svc")
            ),
            Some(Injector::Vault)
        );
        assert_eq!(
            Injector::of_webhook_in("other.example.com", "openbao-cfg", None, None),
            None
        );
        assert_eq!(
            Injector::named_in(
                "Internal error occurred: failed calling webhook \"openbao.openbao.org\": context deadline exceeded"
            ),
            Some(Injector::OpenBao)
        );
    }
}
