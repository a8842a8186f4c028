//! Vault paths as the API sees them, whichever way a workload wrote them.
//! Both the poller's interest and the diagnosis compare paths, so they must
//! agree on one spelling.

/// Strip `/v1/` and a query string: the path as Vault's API sees it.
pub fn normalize_path(p: &str) -> String {
    let p = p.split('?').next().unwrap_or(p);
    let p = p.trim().trim_start_matches('/');
    let p = p.strip_prefix("v1/").unwrap_or(p);
    p.trim_end_matches('/').to_string()
}

/// `kubernetes`, `/auth/kubernetes/`, `auth/kubernetes` → `auth/kubernetes`.
pub fn auth_path(raw: &str) -> String {
    let p = raw.trim().trim_matches('/');
    if p.starts_with("auth/") {
        p.to_string()
    } else {
        format!("auth/{p}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_paths_are_normalized() {
        assert_eq!(
            normalize_path("/v1/secret/data/app?version=2"),
            "secret/data/app"
        );
        assert_eq!(normalize_path("database/creds/web/"), "database/creds/web");
    }

    #[test]
    fn auth_paths_are_normalized() {
        assert_eq!(auth_path("kubernetes"), "auth/kubernetes");
        assert_eq!(auth_path("/auth/k8s-east/"), "auth/k8s-east");
        assert_eq!(auth_path("auth/kubernetes"), "auth/kubernetes");
    }
}
