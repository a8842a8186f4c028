//! The watched cluster's identity, for the kubernetes auth backend check:
//! the API server URL and CA from the kubeconfig, the CA pods trust
//! (`kube-root-ca.crt`, which kube-controller-manager publishes in every
//! namespace) and the in-cluster address (Service `default/kubernetes`).
//! Two GETs, once; a read that is refused or missing leaves its part
//! unknown (the check then has less to compare), never an error.

use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::api::storage::v1::CSIDriver;
use kube::Api;

use super::connect::Connection;
use crate::model::cluster::ClusterIdentity;
use crate::model::csi::CsiDriverConfig;
use crate::model::pod::CSI_DRIVER;
use crate::sources::ca;

/// The ConfigMap kube-controller-manager's root-ca-cert-publisher writes.
pub const ROOT_CA_CONFIGMAP: &str = "kube-root-ca.crt";
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// What the cluster's side of the check needs, read now.
pub async fn identity(conn: &Connection) -> ClusterIdentity {
    // Every namespace has the ConfigMap: read it where vaultscope may read.
    let ns = conn.namespace.as_deref().unwrap_or("default");
    let maps: Api<ConfigMap> = Api::namespaced(conn.client.clone(), ns);
    let services: Api<Service> = Api::namespaced(conn.client.clone(), "default");
    let (map, service) = tokio::join!(
        tokio::time::timeout(READ_TIMEOUT, maps.get_opt(ROOT_CA_CONFIGMAP)),
        tokio::time::timeout(READ_TIMEOUT, services.get_opt("kubernetes")),
    );
    let root_ca = match map {
        Ok(Ok(Some(m))) => m
            .data
            .as_ref()
            .and_then(|d| d.get("ca.crt"))
            .map(|pem| ca::from_pem(pem))
            .filter(|certs| !certs.is_empty()),
        _ => None,
    };
    let service_ips = match service {
        Ok(Ok(Some(s))) => s.spec.map(|spec| {
            let mut ips = spec.cluster_ips.unwrap_or_default();
            ips.extend(spec.cluster_ip);
            ips.retain(|ip| !ip.is_empty() && ip != "None");
            ips.sort();
            ips.dedup();
            ips
        }),
        _ => None,
    };
    ClusterIdentity {
        server: conn.server.clone(),
        kubeconfig_ca: conn.ca.clone(),
        root_ca,
        service_ips,
    }
}

/// The Secrets Store CSI driver's CSIDriver object, for whether kubelet
/// republishes its mounts (how the driver rotates them). One optional GET:
/// refused (no `get csidrivers`) or missing leaves it unknown.
pub async fn csi_driver(conn: &Connection) -> Option<CsiDriverConfig> {
    let api: Api<CSIDriver> = Api::all(conn.client.clone());
    match tokio::time::timeout(READ_TIMEOUT, api.get_opt(CSI_DRIVER)).await {
        Ok(Ok(Some(d))) => Some(CsiDriverConfig::from_csidriver(d.spec.requires_republish)),
        _ => None,
    }
}
