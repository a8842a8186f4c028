//! Offline bundles: a folder a user can make with kubectl alone, or with
//! `vaultscope capture`. This room owns the format: its layout
//! ([`format`]), reading it ([`load`]) and writing it ([`write`]).
//!
//! ```text
//! pods.yaml                              kubectl get pods -A -o yaml (required; -o json too)
//! events.yaml, replicasets.yaml, jobs.yaml,
//! secretproviderclasses.yaml, secretproviderclasspodstatuses.yaml,
//! mutatingwebhookconfigurations.yaml      optional, same List form
//! logs/<namespace>/<pod>/<container>[.previous].log   kubectl logs output
//! vault.json                             Vault health, leases, certificates, KV metadata,
//!                                        mounts, roles, policies (sources::vault::VaultSnapshot)
//! bundle.json                            {"captured_at": RFC 3339, "context", "scope"}
//! ```

pub mod format;
mod read;
pub mod write;

pub use read::{Bundle, BundleError, load};
