//! A Vault on 127.0.0.1 whose every answer a property chooses, so the
//! poller's parsing of health, mounts, roles, policies, KV metadata, lease
//! and token lookups and PKI certificates is reached the only way it can be:
//! through HTTP (those parsers are private to `sources::vault::poll`).

use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::arb::{i64s, rfc, text, ts, word};

/// A self-signed certificate for `web.shop.svc` (SAN `web.shop.svc`, `web`).
pub const CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBoDCCAUegAwIBAgIUWnLpBIWx+sU6yOfBOjG72lMnEk8wCgYIKoZIzj0EAwIw
FzEVMBMGA1UEAwwMd2ViLnNob3Auc3ZjMB4XDTI2MTEyOTE1NTczOVoXDTM2MTEy
NjE1NTczOVowFzEVMBMGA1UEAwwMd2ViLnNob3Auc3ZjMFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAE69feHuAwQq609xZ27Wq6ZFh08h/1m6WdPEDvwShbWne26Fd8
XAVDS8Yy3MaZruMIMyaqzYoyYv4Lizu2BvvkmaNxMG8wHQYDVR0OBBYEFErP1A+A
s7jdWUKApBs6O/zpkzOEMB8GA1UdIwQYMBaAFErP1A+As7jdWUKApBs6O/zpkzOE
MA8GA1UdEwEB/wQFMAMBAf8wHAYDVR0RBBUwE4IMd2ViLnNob3Auc3ZjggN3ZWIw
CgYIKoZIzj0EAwIDRwAwRAIgNJwwQb9Z/XWi6R65a3rjdx54BhIaFuDyEmest8oS
dd0CIHzWCj3/mtfgRKdMJIgsvbJtE7joHvJnJPPjREbaTUzK
-----END CERTIFICATE-----
";

/// The same key, with a common name holding OSC 0, a right-to-left
/// override and a token, and a DNS name holding a clear-screen sequence.
pub const HOSTILE_CERT: &str = "-----BEGIN CERTIFICATE-----
MIIByTCCAW6gAwIBAgIUJdfYRnOTSIQGOy13tXmFd1tn100wCgYIKoZIzj0EAwIw
PTE7MDkGA1UEAwwyd2ViG10wO3B3bmVkB+KAriBodnMuUXE3WmtBQUFBQUFBQUFB
QUFBQUFBQUFBQUFBQUEwHhcNMjYxMTI5MTU1NzQyWhcNMjYxMTMwMTU1NzQyWjA9
MTswOQYDVQQDDDJ3ZWIbXTA7cHduZWQH4oCuIGh2cy5RcTdaa0FBQUFBQUFBQUFB
QUFBQUFBQUFBQUFBQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABOvX3h7gMEKu
tPcWdu1qumRYdPIf9ZulnTxA78EoW1p3tuhXfFwFQ0vGMtzGma7jCDMmqs2KMmL+
C4s7tgb75JmjTDBKMCkGA1UdEQQiMCCCEGV2aWwbWzJKLmV4YW1wbGWCDHdlYi5z
aG9wLnN2YzAdBgNVHQ4EFgQUSs/UD4CzuN1ZQoCkGzo7/OmTM4QwCgYIKoZIzj0E
AwIDSQAwRgIhAK6XZJaG4d8gaVj5yABTinKcTsolVHCqpbB3q6mBzYkVAiEA+Fpf
l/HsWoryCVDaWSSjmyJev5prZOCDfbUOH21T6fg=
-----END CERTIFICATE-----
";

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

/// A PEM with some base64 characters of its body replaced and maybe cut
/// short: DER that is almost right.
pub fn mutated_pem() -> BoxedStrategy<String> {
    (
        select(vec![CERT, HOSTILE_CERT]),
        proptest::collection::vec((any::<prop::sample::Index>(), select(B64)), 0..6),
        proptest::option::of(any::<prop::sample::Index>()),
    )
        .prop_map(|(pem, edits, cut)| {
            let head = "-----BEGIN CERTIFICATE-----\n".len();
            let tail = pem.len() - "-----END CERTIFICATE-----\n".len();
            let mut bytes = pem.as_bytes().to_vec();
            for (at, b) in edits {
                let i = head + at.index(tail - head);
                if bytes[i] != b'\n' {
                    bytes[i] = b;
                }
            }
            if let Some(c) = cut {
                bytes.truncate(c.index(bytes.len() + 1));
            }
            String::from_utf8(bytes).expect("base64 stays ASCII")
        })
        .boxed()
}

/// What the fake answers one route with.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    /// Close the connection without answering.
    pub hang_up: bool,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field("body", &String::from_utf8_lossy(&self.body))
            .field("hang_up", &self.hang_up)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct Answers {
    pub health: Answer,
    pub mounts: Answer,
    pub role: Answer,
    pub policy: Answer,
    pub kv: Answer,
    pub lease_list: Answer,
    pub lease: Answer,
    pub cert_list: Answer,
    pub cert: Answer,
    pub accessors: Answer,
    pub token: Answer,
    pub capabilities: Answer,
}

impl Answers {
    fn route(&self, method: &str, path: &str) -> Option<&Answer> {
        let p = path.strip_prefix("/v1/")?;
        Some(match (method, p) {
            (_, "sys/health") => &self.health,
            (_, "sys/mounts") => &self.mounts,
            (_, "sys/capabilities-self") => &self.capabilities,
            (_, "sys/leases/lookup") => &self.lease,
            (_, "auth/token/accessors") => &self.accessors,
            (_, "auth/token/lookup-accessor") => &self.token,
            (_, p) if p.starts_with("sys/leases/lookup/") => &self.lease_list,
            (_, p) if p.starts_with("sys/policies/acl/") => &self.policy,
            (_, p) if p.starts_with("auth/") && p.contains("/role/") => &self.role,
            (_, p) if p.contains("/metadata/") => &self.kv,
            (_, p) if p.ends_with("/certs") => &self.cert_list,
            (_, p) if p.contains("/cert/") => &self.cert,
            _ => return None,
        })
    }
}

/// Any JSON: what a proxy, a newer Vault or an attacker might send.
pub fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    let keys = prop_oneof![
        select(vec![
            "data",
            "keys",
            "sealed",
            "initialized",
            "version",
            "type",
            "options",
            "ttl",
            "expire_time",
            "issue_time",
            "id",
            "meta",
            "certificate",
            "policy",
            "current_version",
            "token_policies",
            "bound_service_account_names",
            "errors",
        ])
        .prop_map(String::from),
        text(),
    ];
    leaf.prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(keys.clone(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
    .boxed()
}

/// A number field as Vault writes it, or as something else would.
fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => i64s().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        1 => text().prop_map(Value::from),
    ]
    .boxed()
}

fn when() -> BoxedStrategy<Value> {
    prop_oneof![4 => ts().prop_map(|t| Value::from(rfc(t))), 1 => text().prop_map(Value::from), 1 => Just(Value::Null)].boxed()
}

fn strings() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => proptest::collection::vec(word(), 0..3).prop_map(Value::from),
        1 => text().prop_map(Value::from),
        1 => any_json(),
    ]
    .boxed()
}

fn keys() -> BoxedStrategy<Value> {
    proptest::collection::vec(word(), 0..4)
        .prop_map(|k| json!({"data": {"keys": k}}))
        .boxed()
}

/// Status and body for one route: mostly an answer shaped like Vault's
/// (with hostile values), sometimes any JSON, bytes, or nothing.
fn answer(shaped: BoxedStrategy<Value>) -> BoxedStrategy<Answer> {
    let body = prop_oneof![
        6 => shaped.prop_map(|v| v.to_string().into_bytes()),
        1 => any_json().prop_map(|v| v.to_string().into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..64),
        1 => text().prop_map(String::into_bytes),
    ];
    let status = prop_oneof![
        8 => Just(200u16),
        1 => select(vec![204u16, 400, 403, 404, 429, 472, 500, 503]),
    ];
    (status, body, prop::bool::weighted(0.03))
        .prop_map(|(status, body, hang_up)| Answer {
            status,
            body,
            hang_up,
        })
        .boxed()
}

pub fn answers() -> BoxedStrategy<Answers> {
    let health = (any::<(bool, bool, bool)>(), text(), number()).prop_map(|((i, s, st), v, t)| {
        json!({"initialized": i || !s, "sealed": s && st, "standby": st, "version": v,
               "cluster_name": "c", "server_time_utc": t})
    });
    let mounts = (word(), text()).prop_map(|(extra, kind)| {
        json!({"data": {
            "secret/": {"type": "kv", "options": {"version": "2"}},
            "database/": {"type": "database"},
            "pki/": {"type": "pki"},
            format!("{extra}/"): {"type": kind, "options": null},
        }})
    });
    let role = (strings(), strings(), strings(), number(), number(), text()).prop_map(
        |(sas, nss, pols, ttl, max, aud)| {
            json!({"data": {
                "bound_service_account_names": sas,
                "bound_service_account_namespaces": nss,
                "token_policies": pols,
                "token_ttl": ttl,
                "token_max_ttl": max,
                "audience": aud,
            }})
        },
    );
    let policy = text().prop_map(|t| {
        json!({"data": {"policy": format!("path \"secret/data/app\" {{ capabilities = [\"read\"] }}\n{t}")}})
    });
    let kv = (number(), when(), when()).prop_map(
        |(v, u, c)| json!({"data": {"current_version": v, "updated_time": u, "created_time": c}}),
    );
    let lease = (text(), when(), when(), number(), any::<bool>(), when()).prop_map(
        |(id, issue, expire, ttl, renewable, renewed)| {
            json!({"data": {"id": id, "issue_time": issue, "expire_time": expire, "ttl": ttl,
                            "renewable": renewable, "last_renewal": renewed}})
        },
    );
    let cert = (
        prop_oneof![
            2 => select(vec![CERT, HOSTILE_CERT]).prop_map(String::from),
            2 => mutated_pem(),
            1 => text(),
        ],
        number(),
    )
        .prop_map(
            |(pem, revoked)| json!({"data": {"certificate": pem, "revocation_time": revoked}}),
        );
    let token = (
        (
            prop_oneof![Just("web".to_string()), word()],
            prop_oneof![Just("shop".to_string()), word()],
        ),
        text(),
        strings(),
        (when(), when(), number()),
    )
        .prop_map(|((sa, ns), role, pols, (issue, expire, ttl))| {
            json!({"data": {
                "meta": {"service_account_name": sa, "service_account_namespace": ns, "role": role},
                "display_name": "kubernetes-shop-web", "policies": pols,
                "issue_time": issue, "expire_time": expire, "ttl": ttl, "renewable": true,
            }})
        });
    let capabilities = strings().prop_map(|c| json!({"data": {"capabilities": c}}));
    (
        (
            answer(health.boxed()),
            answer(mounts.boxed()),
            answer(role.boxed()),
            answer(policy.boxed()),
        ),
        (
            answer(kv.boxed()),
            answer(keys()),
            answer(lease.boxed()),
            answer(keys()),
        ),
        (
            answer(cert.boxed()),
            answer(keys()),
            answer(token.boxed()),
            answer(capabilities.boxed()),
        ),
    )
        .prop_map(
            |(
                (health, mounts, role, policy),
                (kv, lease_list, lease, cert_list),
                (cert, accessors, token, capabilities),
            )| Answers {
                health,
                mounts,
                role,
                policy,
                kv,
                lease_list,
                lease,
                cert_list,
                cert,
                accessors,
                token,
                capabilities,
            },
        )
        .boxed()
}

/// Serve `answers` on a fresh port until the runtime stops; returns the address.
pub async fn serve(answers: Answers) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let answers = Arc::new(answers);
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let answers = answers.clone();
            tokio::spawn(async move {
                let _ = handle(sock, &answers).await;
            });
        }
    });
    addr
}

async fn handle(mut sock: tokio::net::TcpStream, answers: &Answers) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut first = head.lines().next().unwrap_or_default().split(' ');
    let (method, path) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
    let not_found = Answer {
        status: 404,
        body: br#"{"errors":[]}"#.to_vec(),
        hang_up: false,
    };
    let a = answers.route(method, path).unwrap_or(&not_found);
    if a.hang_up {
        return Ok(());
    }
    let mut resp = format!(
        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        a.status,
        a.body.len()
    )
    .into_bytes();
    resp.extend_from_slice(&a.body);
    sock.write_all(&resp).await?;
    sock.shutdown().await
}
