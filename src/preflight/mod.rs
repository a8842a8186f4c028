//! `vaultscope preflight`: catch a broken injection before it is deployed.
//! Manifests in (files, directories, stdin), findings with file and line
//! out, in three rings that each run when their source is there:
//!
//! 1. the manifests alone ([`checks::manifests`]);
//! 2. with Vault: roles, bindings, policies, secrets ([`checks::vault`],
//!    read by [`vault`]);
//! 3. with the cluster: service accounts, classes, the CSI driver and the
//!    injector's webhook ([`checks::cluster`], read by [`cluster`]).
//!
//! Reading (input, Vault, cluster) is I/O; parsing and checking are pure.
//! `session` decides which rings run.

pub mod checks;
pub mod cluster;
pub mod finding;
pub mod input;
pub mod manifest;
pub mod output;
pub mod vault;
pub mod yaml;

pub use finding::{Code, Finding, Report, Ring, RingRun};

/// `vaultscope preflight --help`, after the flags.
pub const HELP: &str = "Rings (each runs when its source is given; the output says which ran):\n  \
manifests  always: annotations (typos, values), annotations on the controller instead of the\n  \
           pod template, agent-inject without role, secrets/templates that do not pair,\n  \
           KV v2 paths, SecretProviderClass parameters, classes and service accounts\n  \
           missing from the input, namespaces the injector skips\n  \
vault      with --vault-addr / VAULT_ADDR (and VAULT_TOKEN): roles exist and bind the service\n  \
           account and namespace, policies grant every path, secrets and engine roles exist,\n  \
           the kubernetes auth mount's config (host, CA, reviewer JWT) fits the cluster\n  \
           (read-only: no secret data, no leases)\n  \
cluster    with --kubeconfig, --context or KUBECONFIG: service accounts, classes, the CSI driver,\n  \
           the injector webhook, its ready endpoints and its selectors\n\n\
Examples:\n  \
vaultscope preflight -f deploy/\n  \
helm template ./chart | vaultscope preflight -f - --vault-addr https://vault:8200\n  \
kustomize build overlays/prod | vaultscope preflight -f - -o sarif > preflight.sarif\n\n\
Exit status: 0 nothing at error severity, 1 at least one error finding, 2 bad usage or input.";
pub use manifest::Manifests;

use checks::cluster::ClusterFacts;
use checks::vault::VaultFacts;
use input::Input;

/// Parse every input into the objects preflight reads. A syntax error is
/// bad input: it names the file, the line and the column.
pub fn load(inputs: &[Input], default_namespace: &str) -> Result<Manifests, String> {
    let mut m = Manifests::default();
    for (i, input) in inputs.iter().enumerate() {
        m.files.push(input.name.clone());
        let docs = yaml::parse(&input.text, yaml::Limits::default()).map_err(|e| {
            format!(
                "{}: {}",
                crate::safe::escape_controls(&input.name),
                crate::safe::escape_controls(&e.to_string())
            )
        })?;
        manifest::read(&mut m, i, &docs, default_namespace);
    }
    Ok(m)
}

/// Every ring's findings. `vault` and `cluster` are what those sources
/// read, when they ran (their ring runs then); `not_run` says why a ring
/// did not.
pub fn report(
    m: &Manifests,
    vault: Result<&VaultFacts, &str>,
    cluster: Result<&ClusterFacts, &str>,
) -> Report {
    let mut findings = checks::manifests::run(
        m,
        checks::manifests::Scope {
            cluster: cluster.is_ok(),
        },
    );
    let cluster_class = |ns: &str, name: &str| cluster.ok().and_then(|c| c.class(ns, name));
    let logins = checks::logins(m, &cluster_class);
    if let Ok(c) = cluster {
        findings.extend(checks::cluster::run(m, c));
    }
    if let Ok(v) = vault {
        let identity = cluster.ok().and_then(|c| c.identity.as_ref());
        findings.extend(checks::vault::run(m, &logins, v, identity));
    }
    let mut files = m.files.clone();
    // Findings about the cluster or Vault as a whole are placed nowhere in
    // particular: they name no input.
    files.dedup();
    let mut r = Report {
        rings: vec![
            RingRun {
                ring: Ring::Manifests,
                ran: true,
                detail: read_summary(m.objects(), m.documents, m.files.len()),
            },
            ring(Ring::Vault, vault.map(VaultFacts::describe)),
            ring(Ring::Cluster, cluster.map(ClusterFacts::describe)),
        ],
        files,
        documents: m.documents,
        objects: m.objects(),
        findings,
    };
    r.sort();
    r
}

/// "7 objects in 5 documents of 2 inputs".
pub fn read_summary(objects: usize, documents: usize, inputs: usize) -> String {
    let n = |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
    format!(
        "{} in {} of {}",
        n(objects, "object", "objects"),
        n(documents, "document", "documents"),
        n(inputs, "input", "inputs")
    )
}

fn ring(ring: Ring, run: Result<String, &str>) -> RingRun {
    match run {
        Ok(detail) => RingRun {
            ring,
            ran: true,
            detail,
        },
        Err(why) => RingRun {
            ring,
            ran: false,
            detail: why.to_string(),
        },
    }
}
