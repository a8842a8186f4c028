//! A client from the kubeconfig, chosen like kubectl does: `--kubeconfig`,
//! else `KUBECONFIG` (a list of files), else `~/.kube/config`; `--context`,
//! else the current context; `-n`, else `-A` (all namespaces), else the
//! context's namespace (`default` when it names none).

use std::path::PathBuf;
use std::time::Duration;

use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::model::cluster::CaCert;

/// How to connect, from the command line.
#[derive(Debug, Clone, Default)]
pub struct KubeOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
    pub all_namespaces: bool,
}

/// A client and what it watches.
#[derive(Clone)]
pub struct Connection {
    pub client: Client,
    /// The kubeconfig context's name (for the header and messages).
    pub context: String,
    /// The namespace watched; `None` for all namespaces.
    pub namespace: Option<String>,
    pub server: String,
    /// The CA certificates the kubeconfig trusts for the server (empty when
    /// it names none).
    pub ca: Vec<CaCert>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("context", &self.context)
            .field("namespace", &self.namespace)
            .field("server", &self.server)
            .finish()
    }
}

impl Connection {
    /// "namespace payments" or "all namespaces".
    pub fn scope(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("namespace {ns}"),
            None => "all namespaces".into(),
        }
    }
}

/// Why there is no connection; the message names the context and suggests
/// the demo.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "cannot read the kubeconfig ({where_}): {detail}; without a cluster, try `vaultscope demo`, or `--from DIR` with an offline bundle"
    )]
    Kubeconfig { where_: String, detail: String },
    #[error("{}", no_such_context(context, where_, known))]
    NoSuchContext {
        context: String,
        where_: String,
        known: Vec<String>,
    },
    #[error(
        "cannot reach the Kubernetes API server of context \"{context}\" ({server}): {detail}; without a cluster, try `vaultscope demo`, or `--from DIR` with an offline bundle"
    )]
    Unreachable {
        context: String,
        server: String,
        detail: String,
    },
}

fn no_such_context(context: &str, where_: &str, known: &[String]) -> String {
    let known = if known.is_empty() {
        "it has no contexts".to_string()
    } else {
        format!("its contexts: {}", known.join(", "))
    };
    format!("--context: no context \"{context}\" in the kubeconfig ({where_}); {known}")
}

/// How long the first request may take before the cluster counts as unreachable.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Build the client and check that the API server answers (`GET /version`).
pub async fn connect(opts: &KubeOptions) -> Result<Connection, ConnectError> {
    let where_ = match &opts.kubeconfig {
        Some(p) => p.display().to_string(),
        None => match std::env::var("KUBECONFIG") {
            Ok(v) if !v.is_empty() => format!("KUBECONFIG={v}"),
            _ => "~/.kube/config".into(),
        },
    };
    let kerr = |detail: String| ConnectError::Kubeconfig {
        where_: where_.clone(),
        detail,
    };
    let kubeconfig = match &opts.kubeconfig {
        Some(p) => Kubeconfig::read_from(p),
        None => Kubeconfig::read(),
    }
    .map_err(|e| kerr(e.to_string()))?;
    let context = opts
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .ok_or_else(|| kerr("no current-context, and no --context given".into()))?;
    // A context that is not there is the user's typo, not an unreadable
    // kubeconfig: say so, with the ones there are.
    if !kubeconfig.contexts.iter().any(|c| c.name == context) {
        return Err(ConnectError::NoSuchContext {
            context,
            where_,
            known: kubeconfig.contexts.iter().map(|c| c.name.clone()).collect(),
        });
    }
    let kopts = KubeConfigOptions {
        context: Some(context.clone()),
        ..Default::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &kopts)
        .await
        .map_err(|e| kerr(e.to_string()))?;
    config.connect_timeout = Some(PROBE_TIMEOUT);
    // Shown in messages: a kubeconfig's server may carry a password or token.
    let server = crate::safe::display_address(&config.cluster_url.to_string());
    let ca = config
        .root_cert
        .iter()
        .flatten()
        .filter_map(|der| crate::sources::ca::from_der(der))
        .collect();
    let namespace = match (&opts.namespace, opts.all_namespaces) {
        (Some(ns), _) => Some(ns.clone()),
        (None, true) => None,
        (None, false) => Some(config.default_namespace.clone()),
    };
    let unreachable = |detail: String| ConnectError::Unreachable {
        context: context.clone(),
        server: server.clone(),
        detail,
    };
    let client = Client::try_from(config).map_err(|e| unreachable(e.to_string()))?;
    match tokio::time::timeout(PROBE_TIMEOUT, client.apiserver_version()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(unreachable(super::watch::short_error(&e))),
        Err(_) => return Err(unreachable(format!("no answer within {PROBE_TIMEOUT:?}"))),
    }
    Ok(Connection {
        client,
        context,
        namespace,
        server,
        ca,
    })
}
