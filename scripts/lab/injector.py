"""The admission chain a pod goes through in a cluster, applied by the lab itself.

The lab's kube-apiserver runs without the ServiceAccount admission plugin and no Vault Agent
Injector webhook can be built here, so the lab applies both mutations to a pod before it
creates it, the way a cluster would:

1. the ServiceAccount admission plugin: `serviceAccountName` defaults to `default`, and a
   projected `kube-api-access-<suffix>` volume (token, kube-root-ca.crt, namespace) is mounted
   at /var/run/secrets/kubernetes.io/serviceaccount in every container
   (kubernetes plugin/pkg/admission/serviceaccount/admission.go);
2. hashicorp/vault-k8s 1.7's mutation, ported from agent-inject/agent/*.go:
   - annotations.go `Init`: every default the webhook writes into the pod's annotations, with
     the injector's default flags (subcommand/injector/flags.go) except `-vault-address`,
     which is the lab's OpenBao;
   - agent.go `Patch`: the token volumes (home-init, home-sidecar), the shared
     `vault-secrets` emptyDir (container_volume.go), its mount in the app containers named by
     agent-inject-containers, the `vault-agent-init` init container (appended, or first with
     agent-init-first; container_init_sidecar.go), the `vault-agent` sidecar unless
     agent-pre-populate-only (container_sidecar.go), and `agent-inject-status: injected`;
   - container_env.go: NAMESPACE/HOST_IP/POD_IP, VAULT_LOG_LEVEL/FORMAT and VAULT_CONFIG, the
     base64 of the JSON agent config config.go `newConfig` generates (auto_auth kubernetes with
     role and mount_path, one template per agent-inject-secret-*/-template-*, exit_after_auth
     for the init container, template_config, ...).

Only the agent-config features the lab's workloads use are ported (no agent-configmap, TLS
secrets, agent cache persistence, telemetry, AWS IRSA or JSON patches); a pod asking for one
of those is refused, so the lab never pretends to inject what it does not.
"""
import base64
import copy
import hashlib
import json

PREFIX = "vault.hashicorp.com/"
SA_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
SECRET_VOLUME_PATH = "/vault/secrets"  # container_volume.go secretVolumePath
TOKEN_FILE = "/home/vault/.vault-token"  # config.go TokenFile
PID_FILE = "/home/vault/.pid"  # config.go PidFile
CONTAINER_ARG = (  # container_sidecar.go DefaultContainerArg with SidecarType "agent"
    "echo ${VAULT_CONFIG?} | base64 -d > /home/vault/config.json && vault agent -config=/home/vault/config.json"
)
DEFAULT_MAP_TEMPLATE = (
    '{{ with secret "%s" }}{{ range $k, $v := .Data }}{{ $k }}: {{ $v }}\n{{ end }}{{ end }}'
)
DEFAULT_JSON_TEMPLATE = '{{ with secret "%s" }}{{ .Data | toJSON }}\n{{ end }}'

# Annotations the lab does not port: refusing them keeps the lab honest.
UNSUPPORTED = [
    "agent-configmap",
    "agent-extra-secret",
    "tls-secret",
    "agent-copy-volume-mounts",
    "agent-json-patch",
    "agent-init-json-patch",
    "agent-inject-template-file",
    "agent-enable-quit",
    "agent-telemetry",
    "agent-cache-enable",
]


class NotPorted(Exception):
    pass


def parse_bool(raw):
    """go-secure-stdlib parseutil.ParseBool / strconv.ParseBool."""
    v = str(raw).strip().lower()
    if v in ("1", "t", "true"):
        return True
    if v in ("0", "f", "false"):
        return False
    raise ValueError(f"invalid boolean {raw!r}")


def _suffix(seed, n=5):
    """A name suffix as Kubernetes' rand.String uses (no vowels, no confusable digits)."""
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:n])


# ------------------------------------------------------------------ ServiceAccount admission


def admit_service_account(pod):
    spec = pod["spec"]
    spec.setdefault("serviceAccountName", "default")
    if spec.get("automountServiceAccountToken") is False:
        return pod
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        for m in c.get("volumeMounts", []):
            if m.get("mountPath") == SA_MOUNT:
                return pod  # already mounted by the author
    name = "kube-api-access-" + _suffix(pod["metadata"]["name"] + "/sa")
    spec.setdefault("volumes", []).append(
        {
            "name": name,
            "projected": {
                "defaultMode": 420,
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                    {
                        "downwardAPI": {
                            "items": [
                                {"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}
                            ]
                        }
                    },
                ],
            },
        }
    )
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        c.setdefault("volumeMounts", []).append({"name": name, "mountPath": SA_MOUNT, "readOnly": True})
    return pod


# ------------------------------------------------------------------ vault-k8s: Init


def injector_flags(vault_address):
    """subcommand/injector/flags.go defaults (vault-k8s 1.7), with the lab's Vault address."""
    return {
        "address": vault_address,
        "auth_type": "kubernetes",
        "auth_path": "auth/kubernetes",
        "image": "hashicorp/vault:2.0.4",
        "limits_cpu": "500m",
        "limits_mem": "128Mi",
        "limits_ephemeral": "",
        "requests_cpu": "250m",
        "requests_mem": "64Mi",
        "requests_ephemeral": "",
        "revoke_on_shutdown": False,
        "user_id": "100",
        "group_id": "1000",
        "same_id": False,
        "set_security_context": True,
        "default_template": "map",
        "exit_on_retry_failure": True,
        "static_secret_render_interval": "",
        "max_connections_per_host": 0,
    }


def init_annotations(pod, namespace, flags):
    """annotations.go `Init`: write every default the pod does not set."""
    a = pod["metadata"].setdefault("annotations", {})

    def default(key, value):
        a.setdefault(PREFIX + key, value)

    default("service", flags["address"])
    default("auth-type", flags["auth_type"])
    default("auth-path", flags["auth_path"])
    default("namespace", "")
    default("proxy-address", "")
    default("agent-image", flags["image"])
    default("agent-request-namespace", namespace)
    default("agent-limits-cpu", flags["limits_cpu"])
    default("agent-limits-mem", flags["limits_mem"])
    default("agent-limits-ephemeral", flags["limits_ephemeral"])
    default("agent-requests-cpu", flags["requests_cpu"])
    default("agent-requests-mem", flags["requests_mem"])
    default("agent-requests-ephemeral", flags["requests_ephemeral"])
    default("secret-volume-path", SECRET_VOLUME_PATH)
    default("agent-revoke-on-shutdown", str(flags["revoke_on_shutdown"]).lower())
    default("agent-revoke-grace", "5")
    default("log-level", "info")
    default("log-format", "standard")
    default("agent-service-account-token-volume-name", "")
    sc_set = PREFIX + "agent-set-security-context" in a
    user_set = PREFIX + "agent-run-as-user" in a
    same_set = PREFIX + "agent-run-as-same-user" in a
    group_set = PREFIX + "agent-run-as-group" in a
    default("agent-set-security-context", str(flags["set_security_context"]).lower())
    default("agent-run-as-user", flags["user_id"])
    default("agent-run-as-same-user", str(flags["same_id"]).lower())
    default("agent-run-as-group", flags["group_id"])
    if not flags["set_security_context"] and not sc_set and (user_set or same_set or group_set):
        a[PREFIX + "agent-set-security-context"] = "true"
    default("agent-cache-enable", "false")
    default("agent-cache-listener-port", "8200")
    default("agent-cache-use-auto-auth-token", "true")
    default("agent-cache-exit-on-err", "false")
    default("agent-inject-containers", ",".join(c["name"] for c in pod["spec"]["containers"]))
    default("agent-inject-default-template", flags["default_template"])
    default("template-config-exit-on-retry-failure", str(flags["exit_on_retry_failure"]).lower())
    default("template-static-secret-render-interval", flags["static_secret_render_interval"])
    default("template-max-connections-per-host", str(flags["max_connections_per_host"]))
    default("agent-disable-idle-connections", "")
    default("agent-disable-keep-alives", "")


# ------------------------------------------------------------------ vault-k8s: Agent


def _ann(a, key, default=None):
    return a.get(PREFIX + key, default)


def secrets(a):
    """annotations.go `secrets`: one per agent-inject-secret-/-template- name. Go iterates a
    map (random order); the lab sorts by name so a pod's config is stable."""
    raw_names = set()
    for key, value in a.items():
        if not value.strip():
            continue
        for prefix in ("agent-inject-secret-", "agent-inject-template-"):
            if key.startswith(PREFIX + prefix):
                raw_names.add(key[len(PREFIX + prefix):])
                break
    out = []
    for raw in sorted(raw_names):
        preserve = parse_bool(_ann(a, "preserve-secret-case-" + raw, _ann(a, "preserve-secret-case", "false")))
        name = raw if preserve else raw.lower()
        out.append(
            {
                "name": name,
                "path": _ann(a, "agent-inject-secret-" + raw, ""),
                "template": _ann(a, "agent-inject-template-" + raw, ""),
                "mount_path": _ann(a, "secret-volume-path-" + raw, _ann(a, "secret-volume-path")),
                "command": _ann(a, "agent-inject-command-" + raw, ""),
                "file": _ann(a, "agent-inject-file-" + raw, ""),
                "perms": _ann(a, "agent-inject-perms-" + raw, ""),
                "err_missing_key": parse_bool(_ann(a, "error-on-missing-key-" + raw, "false") or "false"),
                "left": _ann(a, "agent-template-left-delim-" + raw, ""),
                "right": _ann(a, "agent-template-right-delim-" + raw, ""),
            }
        )
    return out


def service_account_volume(pod):
    """agent.go `serviceaccount`: the named projected volume, else the default token mount."""
    a = pod["metadata"]["annotations"]
    name = _ann(a, "agent-service-account-token-volume-name", "")
    if name:
        for vol in pod["spec"].get("volumes", []):
            if vol["name"] != name:
                continue
            path = next(
                (s["serviceAccountToken"]["path"] for s in vol.get("projected", {}).get("sources", []) if "serviceAccountToken" in s),
                None,
            )
            if not path:
                raise NotPorted(f"failed to find tokenPath for projected volume {name!r}")
            mount = next(
                (m["mountPath"] for c in pod["spec"]["containers"] for m in c.get("volumeMounts", []) if m["name"] == name),
                SA_MOUNT,
            )
            return {"name": name, "mount_path": mount, "token_path": path}
        raise NotPorted(f"failed to find service account volume {name!r}")
    for c in pod["spec"]["containers"]:
        for m in c.get("volumeMounts", []):
            if "serviceaccount" in m["mountPath"]:
                return {"name": m["name"], "mount_path": m["mountPath"], "token_path": "token"}
    raise NotPorted("failed to find service account volume mount")


def _go_json(value):
    """encoding/json.Marshal: compact, UTF-8, with <, > and & escaped as Go does."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return (
        text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )


def agent_config(pod, init):
    """config.go `newConfig`, field order and omitempty as the Go structs have them."""
    a = pod["metadata"]["annotations"]
    sa = service_account_volume(pod)
    auth_config = {}
    if sa["mount_path"] and sa["token_path"]:
        auth_config["token_path"] = sa["mount_path"].rstrip("/") + "/" + sa["token_path"]
    for key, value in a.items():
        if key.startswith(PREFIX + "auth-config-"):
            auth_config[key[len(PREFIX + "auth-config-"):].replace("-", "_")] = value
    if _ann(a, "role"):
        auth_config["role"] = _ann(a, "role")
    method = {"type": _ann(a, "auth-type")}
    if _ann(a, "auth-path"):
        method["mount_path"] = _ann(a, "auth-path")
    if _ann(a, "auth-min-backoff"):
        method["min_backoff"] = _ann(a, "auth-min-backoff")
    if _ann(a, "auth-max-backoff"):
        method["max_backoff"] = _ann(a, "auth-max-backoff")
    if _ann(a, "namespace"):
        method["namespace"] = _ann(a, "namespace")
    if auth_config:
        method["config"] = dict(sorted(auth_config.items()))  # a Go map marshals sorted
    if parse_bool(_ann(a, "agent-auto-auth-exit-on-err", "false")):
        method["exit_on_err"] = True
    sinks = [{"type": "file", "config": {"path": TOKEN_FILE}}]
    if parse_bool(_ann(a, "agent-inject-token", "false")):
        sinks.append({"type": "file", "config": {"path": _ann(a, "secret-volume-path").rstrip("/") + "/token"}})
    vault = {"address": _ann(a, "service")}
    for key, field in (("ca-cert", "ca_cert"), ("ca-key", "ca_path")):
        if _ann(a, key):
            vault[field] = _ann(a, key)
    if parse_bool(_ann(a, "tls-skip-verify", "false")):
        vault["tls_skip_verify"] = True
    for key, field in (("client-cert", "client_cert"), ("client-key", "client_key"), ("tls-server-name", "tls_server_name")):
        if _ann(a, key):
            vault[field] = _ann(a, key)
    default_template = (_ann(a, "agent-inject-default-template") or "map").lower()
    templates = []
    for s in secrets(a):
        contents = s["template"]
        if not contents:
            contents = (DEFAULT_JSON_TEMPLATE if default_template == "json" else DEFAULT_MAP_TEMPLATE) % s["path"]
        dest = f"{s['mount_path']}/{s['name']}"
        if s["file"]:
            dest = s["mount_path"].rstrip("/") + "/" + s["file"].lstrip("/")
        t = {"destination": dest, "contents": contents, "left_delimiter": s["left"] or "{{", "right_delimiter": s["right"] or "}}"}
        if s["command"]:
            t["command"] = s["command"]
        if s["perms"]:
            t["perms"] = s["perms"]
        if s["err_missing_key"]:
            t["error_on_missing_key"] = True
        templates.append(t)
    template_config = {"exit_on_retry_failure": parse_bool(_ann(a, "template-config-exit-on-retry-failure", "true"))}
    if _ann(a, "template-static-secret-render-interval"):
        template_config["static_secret_render_interval"] = _ann(a, "template-static-secret-render-interval")
    max_conn = int(_ann(a, "template-max-connections-per-host", "0") or "0")
    if max_conn:
        template_config["max_connections_per_host"] = max_conn
    if _ann(a, "template-lease-renewal-threshold"):
        template_config["lease_renewal_threshold"] = float(_ann(a, "template-lease-renewal-threshold"))
    config = {
        "auto_auth": {"method": method, "sink": sinks},
        "exit_after_auth": init,
        "pid_file": PID_FILE,
        "vault": vault,
    }
    if templates:
        config["template"] = templates
    config["template_config"] = template_config
    for key, field in (("agent-disable-idle-connections", "disable_idle_connections"), ("agent-disable-keep-alives", "disable_keep_alives")):
        if _ann(a, key):
            config[field] = _ann(a, key).split(",")
    return _go_json(config)


def _env(pod, init):
    a = pod["metadata"]["annotations"]

    def field(name, path):
        return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}}

    envs = [field("NAMESPACE", "metadata.namespace"), field("HOST_IP", "status.hostIP"), field("POD_IP", "status.podIP")]
    for key, name in (
        ("go-max-procs", "GOMAXPROCS"),
        ("client-timeout", "VAULT_CLIENT_TIMEOUT"),
        ("client-max-retries", "VAULT_MAX_RETRIES"),
        ("log-level", "VAULT_LOG_LEVEL"),
        ("log-format", "VAULT_LOG_FORMAT"),
        ("proxy-address", "HTTPS_PROXY"),
    ):
        if _ann(a, key):
            envs.append({"name": name, "value": _ann(a, key)})
    config = agent_config(pod, init)
    envs.append({"name": "VAULT_CONFIG", "value": base64.b64encode(config.encode()).decode()})
    return envs


def _resources(a):
    out = {}
    for section, kind in (("limits", "limits"), ("requests", "requests")):
        r = {}
        for key, res in (("cpu", "cpu"), ("mem", "memory"), ("ephemeral", "ephemeral-storage")):
            v = _ann(a, f"agent-{kind}-{key}", "")
            if v:
                r[res] = v
        out[section] = r
    return out


def _security_context(a):
    user, group = int(_ann(a, "agent-run-as-user")), int(_ann(a, "agent-run-as-group"))
    return {
        "runAsUser": user,
        "runAsGroup": group,
        "runAsNonRoot": not (user == 0 or group == 0),
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "allowPrivilegeEscalation": False,
    }


def _secret_mounts(a):
    return [{"name": "vault-secrets", "mountPath": _ann(a, "secret-volume-path")}]


def should_inject(pod):
    """agent.go `ShouldInject`."""
    a = pod["metadata"].get("annotations", {})
    if PREFIX + "agent-inject" not in a or not parse_bool(a[PREFIX + "agent-inject"]):
        return False
    return a.get(PREFIX + "agent-inject-status") != "injected"


def inject(pod, namespace, vault_address):
    """The webhook's mutation of one pod (agent.go `Patch`); returns a new pod."""
    pod = copy.deepcopy(pod)
    if not should_inject(pod):
        return pod
    a = pod["metadata"].setdefault("annotations", {})
    for key in a:
        for u in UNSUPPORTED:
            if key.startswith(PREFIX + u) and not (u == "agent-cache-enable" and a[key] == "false"):
                raise NotPorted(f"the lab's injector does not port {key}")
    init_annotations(pod, namespace, injector_flags(vault_address))
    if not _ann(a, "role"):
        raise NotPorted("no Vault role found")  # agent.go Validate
    sa = service_account_volume(pod)
    pre_populate = parse_bool(_ann(a, "agent-pre-populate", "true"))
    pre_populate_only = parse_bool(_ann(a, "agent-pre-populate-only", "false"))
    init_first = parse_bool(_ann(a, "agent-init-first", "false"))
    set_sc = parse_bool(_ann(a, "agent-set-security-context"))
    spec = pod["spec"]
    volumes = spec.setdefault("volumes", [])
    # ContainerTokenVolume, then ContainerVolumes
    if pre_populate:
        volumes.append({"name": "home-init", "emptyDir": {"medium": "Memory"}})
    if not pre_populate_only:
        volumes.append({"name": "home-sidecar", "emptyDir": {"medium": "Memory"}})
    volumes.append({"name": "vault-secrets", "emptyDir": {"medium": "Memory"}})
    wanted = _ann(a, "agent-inject-containers").split(",")
    for c in spec["containers"]:
        if c["name"] in wanted:
            c.setdefault("volumeMounts", []).extend(_secret_mounts(a))

    def agent_container(name, init):
        if init:
            mounts = [{"name": "home-init", "mountPath": "/home/vault"}]
            mounts.append({"name": sa["name"], "mountPath": sa["mount_path"], "readOnly": True})
        else:
            mounts = [{"name": sa["name"], "mountPath": sa["mount_path"], "readOnly": True}]
            mounts.append({"name": "home-sidecar", "mountPath": "/home/vault"})
        mounts += _secret_mounts(a)
        c = {
            "name": name,
            "image": _ann(a, "agent-image"),
            "env": _env(pod, init),
            "resources": _resources(a),
            "volumeMounts": mounts,
            "command": ["/bin/sh", "-ec"],
            "args": [CONTAINER_ARG],
        }
        if not init:
            c["lifecycle"] = {}
        if set_sc:
            c["securityContext"] = _security_context(a)
        return c

    if pre_populate:
        init_c = agent_container("vault-agent-init", True)
        others = spec.get("initContainers", [])
        for c in others:
            c.setdefault("volumeMounts", []).extend(_secret_mounts(a))
        spec["initContainers"] = [init_c] + others if init_first else others + [init_c]
    if not pre_populate_only:
        spec["containers"].append(agent_container("vault-agent", False))
    a[PREFIX + "agent-inject-status"] = "injected"
    return pod


def decode_config(container):
    """The agent config a vault-agent container runs: its VAULT_CONFIG, decoded."""
    for e in container.get("env", []):
        if e["name"] == "VAULT_CONFIG":
            return json.loads(base64.b64decode(e["value"]))
    return None
