//! vaultrs 0.8's typed endpoints, sent the way every request is sent here.
//!
//! The requests (path, method, body) and the answers' types come from
//! vaultrs; the sending does not. vaultrs's own calls (`kv2::read_metadata`,
//! `token::lookup_accessor`, `pki::cert::list` / `read`) execute through
//! rustify 0.7's reqwest client, whose `send` reads the whole answer
//! (`Response::bytes`) with no cap, and vaultrs's `Client` trait fixes that
//! client type. So each endpoint goes through [`super::http::Http::call`]
//! instead: the per-cycle budget, the concurrency limit, the throttle on
//! 429/5xx, the path check, the 10 s timeout and the 4 MiB answer cap all
//! apply, and the answer's `data` is decoded into vaultrs's type.

use rustify::endpoint::Endpoint;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::http::ApiError;

pub use vaultrs::api::kv2::requests::ReadSecretMetadataRequest;
pub use vaultrs::api::kv2::responses::ReadSecretMetadataResponse;
pub use vaultrs::api::pki::requests::{ListCertificatesRequest, ReadCertificateRequest};
pub use vaultrs::api::pki::responses::{ListCertificatesResponse, ReadCertificateResponse};
pub use vaultrs::api::token::requests::{ListAccessorRequest, LookupTokenAccessorRequest};
pub use vaultrs::api::token::responses::{ListAccessorResponse, LookupTokenResponse};

/// An endpoint's request as [`super::http::Http::call`] takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: &'static str,
    /// Relative to `/v1/` (vaultrs writes some with a leading `/`).
    pub path: String,
    pub body: Option<Value>,
}

pub fn request<E: Endpoint>(ep: &E) -> Request {
    let method: http::Method = ep.method().into();
    let method = match method.as_str() {
        "LIST" => "LIST",
        "POST" => "POST",
        "PUT" => "PUT",
        _ => "GET",
    };
    Request {
        method,
        path: ep.path().trim_start_matches('/').to_string(),
        // A body vaultrs cannot serialize, or that is not JSON, is sent as none.
        body: ep
            .body()
            .ok()
            .flatten()
            .and_then(|b| serde_json::from_slice(&b).ok()),
    }
}

/// An answer's `data` as the endpoint's response type.
pub fn decode<T: DeserializeOwned>(answer: &Value) -> Result<T, ApiError> {
    let data = answer.get("data").cloned().unwrap_or(Value::Null);
    serde_json::from_value(data).map_err(|e| ApiError::Decode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vaultrs_endpoints_become_requests() {
        let r = request(&ReadSecretMetadataRequest {
            mount: "secret".into(),
            path: "payments/db".into(),
        });
        assert_eq!(
            (r.method, r.path.as_str(), r.body),
            ("GET", "secret/metadata/payments/db", None)
        );
        let r = request(&LookupTokenAccessorRequest {
            accessor: "acc1".into(),
        });
        assert_eq!(
            (r.method, r.path.as_str(), r.body),
            (
                "POST",
                "auth/token/lookup-accessor",
                Some(json!({"accessor": "acc1"}))
            )
        );
        let r = request(&ListCertificatesRequest {
            mount: "pki".into(),
        });
        assert_eq!((r.method, r.path.as_str()), ("LIST", "pki/certs"));
        let r = request(&ReadCertificateRequest {
            mount: "pki".into(),
            serial: "0a-1b".into(),
        });
        assert_eq!((r.method, r.path.as_str()), ("GET", "pki/cert/0a-1b"));
        let r = request(&ListAccessorRequest {});
        assert_eq!(
            (r.method, r.path.as_str()),
            ("LIST", "auth/token/accessors")
        );
    }

    #[test]
    fn answers_decode_into_vaultrs_types() {
        let list: ListCertificatesResponse =
            decode(&json!({"data": {"keys": ["0a", "1b"]}, "lease_id": ""})).unwrap();
        assert_eq!(list.keys, ["0a", "1b"]);
        let e = decode::<ListCertificatesResponse>(&json!({"errors": []})).unwrap_err();
        assert!(matches!(e, ApiError::Decode(_)), "{e}");
    }
}
