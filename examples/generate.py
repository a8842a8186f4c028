#!/usr/bin/env python3
"""Generate the example bundles under examples/.

Each bundle is what a user gets from kubectl alone (see examples/README.md).
Everything is derived from a fixed seed and a fixed capture time per bundle,
so re-running this script reproduces the committed files byte for byte:

    python3 examples/generate.py

Needs PyYAML. The YAML is written the way kubectl prints it: keys sorted,
block style, timestamps and other ambiguous strings double-quoted, multi-line
strings as literal blocks.

No secret values appear anywhere: VAULT_CONFIG holds the agent configuration
(without its templates, to keep it short), never a token or a credential.
"""

import base64
import json
import os
import random
import shutil
import uuid
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
VAULT_ADDR = "https://vault.vault.svc:8200"
HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

NODES = {
    "a": ("ip-10-20-1-37.eu-central-1.compute.internal", "10.20.1.37", "10.20.1."),
    "b": ("ip-10-20-2-118.eu-central-1.compute.internal", "10.20.2.118", "10.20.2."),
    "c": ("ip-10-20-3-84.eu-central-1.compute.internal", "10.20.3.84", "10.20.3."),
}

# Vault agent versions used in the examples and the banner each prints.
AGENT_BANNERS = {
    "1.6.3": [
        "==> Vault agent started! Log data will stream in below:",
        "",
        "==> Vault agent configuration:",
        "",
        "                     Cgo: disabled",
        "               Log Level: info",
        "                 Version: Vault v1.6.3",
        "             Version Sha: b540be4b7ec48d0dd7512c8d8df9399d6bf84d76",
        "",
    ],
    "1.15.2": [
        "==> Vault Agent started! Log data will stream in below:",
        "",
        "==> Vault Agent configuration:",
        "",
        "           Api Address 1: http://bufconn",
        "                     Cgo: disabled",
        "               Log Level: info",
        "                 Version: Vault v1.15.2, built 2023-11-06T11:33:28Z",
        "             Version Sha: cf1b5cafa047bc8e4a3f93444fcb4011593b92cb",
        "",
    ],
    "2.0.4": [
        "==> Vault Agent started! Log data will stream in below:",
        "",
        "==> Vault Agent configuration:",
        "",
        "           Api Address 1: http://bufconn",
        "                     Cgo: disabled",
        "               Log Level: info",
        "                 Version: Vault v2.0.4, built 2026-10-20T14:02:51Z",
        "             Version Sha: 6f0c1d9e2b7a48d35c91e0f4a2b8d7c6e5f4a3b2",
        "",
    ],
}

IMAGE_OF = {
    "1.6.3": "vault:1.6.3",
    "1.15.2": "hashicorp/vault:1.15.2",
    "2.0.4": "hashicorp/vault:2.0.4",
}


# --------------------------------------------------------------------------
# YAML output in kubectl's style
# --------------------------------------------------------------------------


class KubeDumper(yaml.SafeDumper):
    pass


def _repr_str(dumper, value):
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if value == "":
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    # A string that would read back as something else (bool, number, time,
    # null) is double-quoted, as kubectl (go-yaml) does.
    implicit = dumper.resolve(yaml.ScalarNode, value, (True, False))
    if implicit != "tag:yaml.org,2002:str":
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


KubeDumper.add_representer(str, _repr_str)


def dump_yaml(obj):
    return yaml.dump(obj, Dumper=KubeDumper, default_flow_style=False, sort_keys=True, width=80, allow_unicode=True)


def klist(items):
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


# --------------------------------------------------------------------------
# Time and identifiers
# --------------------------------------------------------------------------


def T(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def lts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def ms(n):
    return timedelta(milliseconds=n)


def sec(n):
    return timedelta(seconds=n)


class Ids:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.rv = 48213377 + self.r.randrange(1000000)
        self.digests = {}

    def uid(self):
        return str(uuid.UUID(int=self.r.getrandbits(128), version=4))

    def hex(self, n):
        return "".join(self.r.choice("0123456789abcdef") for _ in range(n))

    def hash(self, n=10):
        return "".join(self.r.choice(HASH_ALPHABET) for _ in range(n))

    def suffix(self):
        return self.hash(5)

    def alnum(self, n):
        return "".join(self.r.choice(ALNUM) for _ in range(n))

    def resource_version(self):
        self.rv += self.r.randrange(3, 900)
        return str(self.rv)

    def digest(self, image):
        if image not in self.digests:
            self.digests[image] = self.hex(64)
        return self.digests[image]

    def object_version(self):
        return base64.urlsafe_b64encode(bytes(self.r.getrandbits(8) for _ in range(32))).decode()


def full_image(image):
    """The image name the runtime reports: docker.io/library/... for short names."""
    name = image
    first = name.split("/")[0]
    if "/" not in name:
        name = "docker.io/library/" + name
    elif "." not in first and ":" not in first:
        name = "docker.io/" + name
    return name


def image_id(ids, image):
    repo = full_image(image).rsplit(":", 1)[0]
    return f"{repo}@sha256:{ids.digest(image)}"


# --------------------------------------------------------------------------
# Pod pieces
# --------------------------------------------------------------------------


def sa_volume(name):
    return {
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                {
                    "downwardAPI": {
                        "items": [
                            {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}
                        ]
                    }
                },
            ],
        },
    }


def sa_mount(name):
    return {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": name, "readOnly": True}


def field_env(name, path):
    return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}}


def app_container(name, image, *, ports=(), env=(), mounts=(), cpu="100m", mem="128Mi", args=None, command=None,
                  probe_port=None):
    c = {
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "name": name,
        "resources": {"limits": {"memory": mem}, "requests": {"cpu": cpu, "memory": mem}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": list(mounts),
    }
    if ports:
        c["ports"] = [{"containerPort": p, "name": n, "protocol": "TCP"} for n, p in ports]
    if env:
        c["env"] = list(env)
    if args:
        c["args"] = list(args)
    if command:
        c["command"] = list(command)
    if probe_port:
        c["readinessProbe"] = {
            "failureThreshold": 3,
            "httpGet": {"path": "/healthz", "port": probe_port, "scheme": "HTTP"},
            "periodSeconds": 10,
            "successThreshold": 1,
            "timeoutSeconds": 1,
        }
    return c


def agent_config(role, init, auth_path="auth/kubernetes"):
    cfg = {
        "auto_auth": {
            "method": {
                "type": "kubernetes",
                "mount_path": auth_path,
                "config": {"role": role, "token_path": "/var/run/secrets/kubernetes.io/serviceaccount/token"},
            },
            "sink": [{"type": "file", "config": {"path": "/home/vault/.vault-token"}}],
        },
        "exit_after_auth": init,
        "pid_file": "/home/vault/.pid",
        "vault": {"address": VAULT_ADDR},
        "template_config": {"exit_on_retry_failure": True},
    }
    return base64.b64encode(json.dumps(cfg, separators=(",", ":")).encode()).decode()


def agent_container(name, image, role, sa_vol, init):
    home = "home-init" if init else "home-sidecar"
    return {
        "args": ["echo ${VAULT_CONFIG?} | base64 -d > /home/vault/config.json && vault agent -config=/home/vault/config.json"],
        "command": ["/bin/sh", "-ec"],
        "env": [
            field_env("NAMESPACE", "metadata.namespace"),
            field_env("HOST_IP", "status.hostIP"),
            field_env("POD_IP", "status.podIP"),
            {"name": "VAULT_LOG_LEVEL", "value": "info"},
            {"name": "VAULT_LOG_FORMAT", "value": "standard"},
            {"name": "VAULT_CONFIG", "value": agent_config(role, init)},
        ],
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "name": name,
        "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "250m", "memory": "64Mi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsGroup": 1000,
            "runAsNonRoot": True,
            "runAsUser": 100,
        },
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": [
            {"mountPath": "/home/vault", "name": home},
            sa_mount(sa_vol),
            {"mountPath": "/vault/secrets", "name": "vault-secrets"},
        ],
    }


def injector_annotations(user, ns, app_containers, image):
    """The pod's annotations after the vault-k8s 1.7 webhook: the user's own,
    the defaults Init() writes for missing keys, and the status."""
    p = "vault.hashicorp.com/"
    defaults = {
        "agent-cache-enable": "false",
        "agent-cache-exit-on-err": "false",
        "agent-cache-listener-port": "8200",
        "agent-cache-use-auto-auth-token": "true",
        "agent-image": image,
        "agent-inject-containers": ",".join(app_containers),
        "agent-limits-cpu": "500m",
        "agent-limits-ephemeral": "",
        "agent-limits-mem": "128Mi",
        "agent-request-namespace": ns,
        "agent-requests-cpu": "250m",
        "agent-requests-ephemeral": "",
        "agent-requests-mem": "64Mi",
        "agent-revoke-grace": "5",
        "agent-revoke-on-shutdown": "false",
        "agent-run-as-group": "1000",
        "agent-run-as-same-user": "false",
        "agent-run-as-user": "100",
        "agent-set-security-context": "true",
        "auth-path": "auth/kubernetes",
        "auth-type": "kubernetes",
        "log-format": "standard",
        "log-level": "info",
        "proxy-address": "",
        "secret-volume-path": "/vault/secrets",
        "service": VAULT_ADDR,
        "template-config-exit-on-retry-failure": "true",
    }
    out = dict(user)
    for k, v in defaults.items():
        out.setdefault(p + k, v)
    out[p + "agent-inject-status"] = "injected"
    return out


def memory_volume(name):
    return {"emptyDir": {"medium": "Memory"}, "name": name}


def csi_volume(name, spc):
    return {
        "csi": {"driver": "secrets-store.csi.k8s.io", "readOnly": True, "volumeAttributes": {"secretProviderClass": spc}},
        "name": name,
    }


# ---- container statuses ----------------------------------------------------


def st_running(ids, name, image, started, *, ready=True, restarts=0, last=None):
    return {
        "containerID": "containerd://" + ids.hex(64),
        "image": full_image(image),
        "imageID": image_id(ids, image),
        "lastState": last or {},
        "name": name,
        "ready": ready,
        "restartCount": restarts,
        "started": True,
        "state": {"running": {"startedAt": ts(started)}},
    }


def terminated(ids, started, finished, code=0, reason="Completed"):
    return {
        "terminated": {
            "containerID": "containerd://" + ids.hex(64),
            "exitCode": code,
            "finishedAt": ts(finished),
            "reason": reason,
            "startedAt": ts(started),
        }
    }


def st_done(ids, name, image, started, finished, code=0, reason="Completed"):
    t = terminated(ids, started, finished, code, reason)
    return {
        "containerID": t["terminated"]["containerID"],
        "image": full_image(image),
        "imageID": image_id(ids, image),
        "lastState": {},
        "name": name,
        "ready": False,
        "restartCount": 0,
        "started": False,
        "state": {"terminated": {k: v for k, v in t["terminated"].items() if k != "containerID"}},
    }


def st_waiting(ids, name, image, reason, message=None, *, restarts=0, last=None, pulled=False):
    w = {"reason": reason}
    if message:
        w["message"] = message
    s = {
        "image": full_image(image) if pulled else image,
        "imageID": image_id(ids, image) if pulled else "",
        "lastState": last or {},
        "name": name,
        "ready": False,
        "restartCount": restarts,
        "started": False,
        "state": {"waiting": w},
    }
    if last:
        s["containerID"] = last["terminated"]["containerID"]
    return s


def cond(kind, status, t, reason=None, message=None):
    c = {"lastProbeTime": None, "lastTransitionTime": ts(t), "status": status, "type": kind}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def conditions(created, *, started=None, initialized=None, ready=None, not_init=None, not_ready=None,
               completed=None, ready_to_start=True):
    """Pod conditions in kubectl's order. `initialized`/`ready` are times;
    `not_init`/`not_ready` are lists of container names still pending."""
    sched = created + sec(0)
    out = []
    if completed:
        out.append(cond("PodReadyToStartContainers", "False", completed))
        out.append(cond("Initialized", "True", initialized, "PodCompleted"))
        out.append(cond("Ready", "False", completed, "PodCompleted"))
        out.append(cond("ContainersReady", "False", completed, "PodCompleted"))
        out.append(cond("PodScheduled", "True", sched))
        return out
    out.append(cond("PodReadyToStartContainers", "True" if ready_to_start else "False", started or created + sec(2)))
    if not_init:
        out.append(cond("Initialized", "False", created, "ContainersNotInitialized",
                        f"containers with incomplete status: [{' '.join(not_init)}]"))
    else:
        out.append(cond("Initialized", "True", initialized or created))
    if not_ready:
        msg = f"containers with unready status: [{' '.join(not_ready)}]"
        out.append(cond("Ready", "False", ready or created, "ContainersNotReady", msg))
        out.append(cond("ContainersReady", "False", ready or created, "ContainersNotReady", msg))
    else:
        out.append(cond("Ready", "True", ready))
        out.append(cond("ContainersReady", "True", ready))
    out.append(cond("PodScheduled", "True", sched))
    return out


# ---- the pod ---------------------------------------------------------------


class PodBuilder:
    """Collects a pod's spec; `finish()` adds status and returns the object."""

    def __init__(self, ids, ns, name, *, created, node, sa, labels, owner, annotations=None, restart="Always"):
        self.ids = ids
        self.ns = ns
        self.name = name
        self.uid = ids.uid()
        self.created = created
        self.node_key = node
        self.node = NODES[node][0]
        self.host_ip = NODES[node][1]
        self.pod_ip = NODES[node][2] + str(ids.r.randrange(20, 250))
        self.sa = sa
        self.labels = labels
        self.owner = owner
        self.annotations = dict(annotations or {})
        self.restart = restart
        self.sa_vol = "kube-api-access-" + ids.suffix()
        self.init_containers = []
        self.containers = []
        self.volumes = []
        self.extra_spec = {}

    def finish(self, *, phase, conditions, init_statuses=(), statuses=(), qos="Burstable", started=None, ip=True):
        meta = {
            "creationTimestamp": ts(self.created),
            "labels": self.labels,
            "name": self.name,
            "namespace": self.ns,
            "resourceVersion": self.ids.resource_version(),
            "uid": self.uid,
        }
        if self.owner:
            kind, name, uid, api = self.owner
            meta["ownerReferences"] = [
                {"apiVersion": api, "blockOwnerDeletion": True, "controller": True, "kind": kind, "name": name, "uid": uid}
            ]
            if kind in ("ReplicaSet", "Job", "DaemonSet"):
                meta["generateName"] = name + "-"
        if self.annotations:
            meta["annotations"] = self.annotations
        spec = {
            "containers": self.containers,
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": True,
            "nodeName": self.node,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "restartPolicy": self.restart,
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "serviceAccount": self.sa,
            "serviceAccountName": self.sa,
            "terminationGracePeriodSeconds": 30,
            "tolerations": [
                {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists",
                 "tolerationSeconds": 300},
                {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists",
                 "tolerationSeconds": 300},
            ],
            "volumes": self.volumes + [sa_volume(self.sa_vol)],
        }
        if self.init_containers:
            spec["initContainers"] = self.init_containers
        spec.update(self.extra_spec)
        status = {
            "conditions": conditions,
            "hostIP": self.host_ip,
            "hostIPs": [{"ip": self.host_ip}],
            "phase": phase,
            "qosClass": qos,
            "startTime": ts(started or self.created),
        }
        if ip:
            status["podIP"] = self.pod_ip
            status["podIPs"] = [{"ip": self.pod_ip}]
        if init_statuses:
            status["initContainerStatuses"] = list(init_statuses)
        if statuses:
            status["containerStatuses"] = sorted(statuses, key=lambda s: s["name"])
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def rs_owner(rs):
    return ("ReplicaSet", rs["metadata"]["name"], rs["metadata"]["uid"], "apps/v1")


# --------------------------------------------------------------------------
# Controllers, events, CSI objects
# --------------------------------------------------------------------------


def replicaset(ids, ns, deploy, hash_, *, created, replicas, revision, template_annotations, containers, sa,
               ready=None, failure=None, deploy_uid=None, volumes=()):
    name = f"{deploy}-{hash_}"
    labels = {"app": deploy, "pod-template-hash": hash_}
    tmpl_meta = {"creationTimestamp": None, "labels": labels}
    if template_annotations:
        tmpl_meta["annotations"] = template_annotations
    ready = replicas if ready is None else ready
    status = {"observedGeneration": 1, "replicas": ready if failure is None else 0}
    if ready and failure is None:
        status.update({"availableReplicas": ready, "fullyLabeledReplicas": ready, "readyReplicas": ready})
    if failure is not None:
        status["conditions"] = [
            {"lastTransitionTime": ts(failure[0]), "message": failure[1], "reason": "FailedCreate",
             "status": "True", "type": "ReplicaFailure"}
        ]
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": str(replicas),
                "deployment.kubernetes.io/max-replicas": str(replicas + max(1, (replicas + 3) // 4)),
                "deployment.kubernetes.io/revision": str(revision),
            },
            "creationTimestamp": ts(created),
            "generation": 1,
            "labels": labels,
            "name": name,
            "namespace": ns,
            "ownerReferences": [
                {"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True, "kind": "Deployment",
                 "name": deploy, "uid": deploy_uid or ids.uid()}
            ],
            "resourceVersion": ids.resource_version(),
            "uid": ids.uid(),
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": tmpl_meta,
                "spec": {
                    "containers": containers,
                    "dnsPolicy": "ClusterFirst",
                    "restartPolicy": "Always",
                    "schedulerName": "default-scheduler",
                    "securityContext": {},
                    "serviceAccount": sa,
                    "serviceAccountName": sa,
                    "terminationGracePeriodSeconds": 30,
                    **({"volumes": list(volumes)} if volumes else {}),
                },
            },
        },
        "status": status,
    }


def event(ids, ns, obj, reason, message, *, first, last, count=1, kind="Normal", component="kubelet", host=None,
          field_path=None):
    """`obj` is (kind, name, uid, apiVersion)."""
    okind, oname, ouid, oapi = obj
    involved = {"apiVersion": oapi, "kind": okind, "name": oname, "namespace": ns,
                "resourceVersion": ids.resource_version(), "uid": ouid}
    if field_path:
        involved["fieldPath"] = field_path
    source = {"component": component}
    if host:
        source["host"] = host
    return {
        "apiVersion": "v1",
        "count": count,
        "eventTime": None,
        "firstTimestamp": ts(first),
        "involvedObject": involved,
        "kind": "Event",
        "lastTimestamp": ts(last),
        "message": message,
        "metadata": {
            "creationTimestamp": ts(first),
            "name": f"{oname}.{ids.hex(16)}",
            "namespace": ns,
            "resourceVersion": ids.resource_version(),
            "uid": ids.uid(),
        },
        "reason": reason,
        "reportingComponent": component,
        "reportingInstance": host or "",
        "source": source,
        "type": kind,
    }


def pod_ref(pod):
    m = pod["metadata"]
    return ("Pod", m["name"], m["uid"], "v1")


def spc(ids, ns, name, *, role, objects, created, secret_objects=None):
    text = "".join(
        f'- objectName: "{o}"\n  secretPath: "{p}"\n  secretKey: "{k}"\n' for o, p, k in objects
    )
    spec = {
        "parameters": {
            "objects": text,
            "roleName": role,
            "vaultAddress": VAULT_ADDR,
            "vaultCACertPath": "/vault/tls/ca.crt",
        },
        "provider": "vault",
    }
    if secret_objects:
        spec["secretObjects"] = secret_objects
    return {
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClass",
        "metadata": {
            "creationTimestamp": ts(created),
            "generation": 1,
            "name": name,
            "namespace": ns,
            "resourceVersion": ids.resource_version(),
            "uid": ids.uid(),
        },
        "spec": spec,
    }


def spcps(ids, pod, spc_name, *, volume, objects, mounted=True, created=None):
    m = pod["metadata"]
    node = pod["spec"]["nodeName"]
    status = {
        "mounted": mounted,
        "podName": m["name"],
        "secretProviderClassName": spc_name,
        "targetPath": f"/var/lib/kubelet/pods/{m['uid']}/volumes/kubernetes.io~csi/{volume}/mount",
    }
    if objects:
        status["objects"] = [{"id": o, "version": ids.object_version()} for o in objects]
    return {
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClassPodStatus",
        "metadata": {
            "creationTimestamp": ts(created or T(m["creationTimestamp"]) + sec(3)),
            "generation": 1,
            "labels": {"internal.secrets-store.csi.k8s.io/node-name": node},
            "name": f"{m['name']}-{m['namespace']}-{spc_name}",
            "namespace": m["namespace"],
            "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": m["name"], "uid": m["uid"]}],
            "resourceVersion": ids.resource_version(),
            "uid": ids.uid(),
        },
        "status": status,
    }


def injector_webhook(ids, created, policy, generation=1):
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(
        base64.b64encode(bytes(ids.r.getrandbits(8) for _ in range(48))).decode() for _ in range(9)
    ) + "\n-----END CERTIFICATE-----\n"
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {
            "annotations": {"meta.helm.sh/release-name": "vault", "meta.helm.sh/release-namespace": "vault"},
            "creationTimestamp": ts(created),
            "generation": generation,
            "labels": {
                "app.kubernetes.io/instance": "vault",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/name": "vault-agent-injector",
            },
            "name": "vault-agent-injector-cfg",
            "resourceVersion": ids.resource_version(),
            "uid": ids.uid(),
        },
        "webhooks": [
            {
                "admissionReviewVersions": ["v1", "v1beta1"],
                "clientConfig": {
                    "caBundle": base64.b64encode(pem.encode()).decode(),
                    "service": {"name": "vault-agent-injector-svc", "namespace": "vault", "path": "/mutate",
                                "port": 443},
                },
                "failurePolicy": policy,
                "matchPolicy": "Equivalent",
                "name": "vault.hashicorp.com",
                "namespaceSelector": {},
                "objectSelector": {
                    "matchExpressions": [
                        {"key": "app.kubernetes.io/name", "operator": "NotIn", "values": ["vault-agent-injector"]}
                    ]
                },
                "reinvocationPolicy": "Never",
                "rules": [
                    {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"],
                     "scope": "*"}
                ],
                "sideEffects": "None",
                "timeoutSeconds": 30,
            }
        ],
    }


# --------------------------------------------------------------------------
# vault-agent logs
# --------------------------------------------------------------------------


class Log:
    """A vault-agent log: hclog standard format, `2026-...Z [INFO]  name: msg`."""

    def __init__(self, version):
        self.version = version
        self.lines = list(AGENT_BANNERS[version])
        self.old = version.startswith("1.6")

    def raw(self, text):
        self.lines.append(text)

    def log(self, t, level, msg):
        pad = " " * (7 - len(level) - 2)
        self.lines.append(f"{lts(t)} [{level}]{pad} {msg}")

    def c(self, name):
        """Component name: `auth.handler` before the agent. prefix, `agent.auth.handler` after."""
        return name if self.old else "agent." + name

    def runner(self, t, msg, level="INFO"):
        """consul-template's runner: own logger line in 1.15, hclog `agent:` in 2.x."""
        if self.version.startswith("2."):
            self.log(t, level, f"agent: ({msg}")
        else:
            self.lines.append(f"{lts(t)} [{level}] ({msg}")

    def stdlog(self, t, text):
        """consul-template's own Go logger, as old agents print it."""
        self.lines.append(t.strftime("%Y/%m/%d %H:%M:%S.") + f"{t.microsecond:06d} {text}")

    def start(self, t):
        if self.old:
            self.log(t, "INFO", "sink.file: creating file sink")
            self.log(t, "INFO", "sink.file: file sink configured: path=/home/vault/.vault-token mode=-rw-r-----")
            self.log(t, "INFO", "auth.handler: starting auth handler")
            self.log(t, "INFO", "auth.handler: authenticating")
            self.log(t + ms(1), "INFO", "template.server: starting template server")
            self.stdlog(t + ms(1) + timedelta(microseconds=412), "[INFO] (runner) creating new runner (dry: false, once: false)")
            self.log(t + ms(1), "INFO", "sink.server: starting sink server")
            self.stdlog(t + ms(2) + timedelta(microseconds=87), "[INFO] (runner) creating watcher")
            return
        self.log(t, "INFO", self.c("sink.file") + ": creating file sink")
        self.log(t, "INFO", self.c("sink.file") + ": file sink configured: path=/home/vault/.vault-token mode=-rw-r-----")
        if not self.old and not self.version.startswith("1.15"):
            self.log(t + ms(1), "INFO", "agent.exec.server: starting exec server")
            self.log(t + ms(1), "INFO", "agent.exec.server: no env templates or exec config, exiting")
        self.log(t + ms(1), "INFO", self.c("template.server") + ": starting template server")
        self.log(t + ms(1), "INFO", self.c("auth.handler") + ": starting auth handler")
        self.log(t + ms(1), "INFO", self.c("auth.handler") + ": authenticating")
        self.log(t + ms(1), "INFO", self.c("sink.server") + ": starting sink server")
        self.runner(t + ms(2), "runner) creating new runner (dry: false, once: false)")

    def auth_ok(self, t, renew_first=True):
        self.log(t, "INFO", self.c("auth.handler") + ": authentication successful, sending token to sinks")
        self.log(t, "INFO", self.c("auth.handler") + ": starting renewal process")
        self.log(t + ms(1), "INFO", self.c("sink.file") + ": token written: path=/home/vault/.vault-token")
        self.log(t + ms(1), "INFO", self.c("template.server") + ": template server received new token")
        self.runner(t + ms(1), "runner) stopping")
        self.runner(t + ms(1), "runner) creating new runner (dry: false, once: false)")
        self.runner(t + ms(2), "runner) creating watcher")
        self.runner(t + ms(2), "runner) starting")
        if renew_first:
            self.log(t + ms(6), "INFO", self.c("auth.handler") + ": renewed auth token")

    def rendered(self, t, path):
        self.runner(t, f'runner) rendered "(dynamic)" => "{path}"')

    def init_exit(self, t):
        self.runner(t, "runner) stopping")
        self.log(t, "INFO", self.c("template.server") + ": template server stopped")
        self.runner(t, "runner) received finish")
        self.log(t + ms(1), "INFO", self.c("auth.handler") + ": shutdown triggered, stopping lifetime watcher")
        self.log(t + ms(1), "INFO", self.c("auth.handler") + ": auth handler stopped")
        self.log(t + ms(1), "INFO", self.c("sink.server") + ": sink server stopped")
        self.log(t + ms(1), "INFO", ("" if self.old else "agent: ") + "sinks finished, exiting")

    def renewed(self, t):
        self.log(t, "INFO", self.c("auth.handler") + ": renewed auth token")

    def text(self):
        return "\n".join(self.lines) + "\n"


def healthy_init_log(version, start, files):
    lg = Log(version)
    lg.start(start)
    t = start + ms(38)
    lg.auth_ok(t)
    for i, f in enumerate(files):
        lg.rendered(t + ms(47 + i * 3), f)
    lg.init_exit(t + ms(52 + len(files) * 3))
    return lg.text()


def healthy_sidecar_log(version, start, files, renewals):
    lg = Log(version)
    lg.start(start)
    t = start + ms(41)
    lg.auth_ok(t)
    for i, f in enumerate(files):
        lg.rendered(t + ms(44 + i * 3), f)
    for r in renewals:
        lg.renewed(r)
    return lg.text()


def backoffs(rng, until):
    """The agent's auth backoff: 1s doubling with jitter, capped at 5m."""
    out, base, total = [], 1.0, 0.0
    while total < until:
        d = base if not out else base * (0.75 + rng.random() * 0.25)
        out.append(d)
        total += d
        base = min(300.0, base * 2)
    return out


def _secs(x):
    return f"{x:.2f}".rstrip("0").rstrip(".")


def fmt_backoff(s):
    """A Go time.Duration string, rounded to 10ms as the agent logs it."""
    s = round(s, 2)
    if s >= 60:
        m, r = divmod(s, 60)
        return f"{int(m)}m{_secs(r)}s"
    return f"{_secs(s)}s"


# --------------------------------------------------------------------------
# Writing a bundle
# --------------------------------------------------------------------------


class Bundle:
    def __init__(self, name, captured):
        self.name = name
        self.dir = os.path.join(HERE, name)
        self.captured = captured
        self.pods, self.replicasets, self.jobs, self.events = [], [], [], []
        self.spcs, self.spcpss, self.webhooks = [], [], []
        self.logs = {}
        self.vault = None

    def log(self, pod, container, text, previous=False):
        m = pod["metadata"]
        fname = container + (".previous" if previous else "") + ".log"
        self.logs[(m["namespace"], m["name"], fname)] = text

    def write(self):
        if os.path.isdir(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(self.dir)

        def put(fname, text):
            with open(os.path.join(self.dir, fname), "w", encoding="utf-8") as f:
                f.write(text)

        key = lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"])
        put("pods.yaml", dump_yaml(klist(sorted(self.pods, key=key))))
        if self.replicasets:
            put("replicasets.yaml", dump_yaml(klist(sorted(self.replicasets, key=key))))
        if self.jobs:
            put("jobs.yaml", dump_yaml(klist(sorted(self.jobs, key=key))))
        if self.events:
            evs = sorted(self.events, key=key)
            put("events.yaml", dump_yaml(klist(evs)))
        if self.spcs:
            put("secretproviderclasses.yaml", dump_yaml(klist(sorted(self.spcs, key=key))))
        if self.spcpss:
            put("secretproviderclasspodstatuses.yaml", dump_yaml(klist(sorted(self.spcpss, key=key))))
        if self.webhooks:
            put("mutatingwebhookconfigurations.yaml", dump_yaml(klist(self.webhooks)))
        for (ns, pod, fname), text in sorted(self.logs.items()):
            d = os.path.join(self.dir, "logs", ns, pod)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, fname), "w", encoding="utf-8") as f:
                f.write(text)
        if self.vault is not None:
            put("vault.json", json.dumps(self.vault, indent=2) + "\n")
        put("bundle.json", json.dumps({"captured_at": ts(self.captured)}, indent=2) + "\n")


# --------------------------------------------------------------------------
# Shared workload recipes
# --------------------------------------------------------------------------

BILLING_TEMPLATE = (
    '{{- with secret "database/creds/billing" -}}\n'
    "DB_USERNAME={{ .Data.username }}\n"
    "DB_PASSWORD={{ .Data.password }}\n"
    "{{- end }}\n"
)


def vault_health(cluster="vault-cluster-1a2b3c4d"):
    return {
        "initialized": True,
        "sealed": False,
        "standby": False,
        "performance_standby": False,
        "version": "1.15.2",
        "cluster_name": cluster,
    }


def injected_deployment_pod(b, ids, rs, *, ns, app, image, sa, role, user_ann, node, created, agent_version,
                            files, ports=(), env=(), init_ok_at=None, mode="healthy", app_mem="256Mi",
                            sidecar=True):
    """A Deployment pod that went through the injector."""
    hash_ = rs["metadata"]["labels"]["pod-template-hash"]
    name = f"{rs['metadata']['name']}-{ids.suffix()}"
    image_agent = IMAGE_OF[agent_version]
    ann = injector_annotations(user_ann, ns, [app], image_agent)
    pb = PodBuilder(ids, ns, name, created=created, node=node, sa=sa,
                    labels={"app": app, "pod-template-hash": hash_}, owner=rs_owner(rs), annotations=ann)
    pb.init_containers = [agent_container("vault-agent-init", image_agent, role, pb.sa_vol, True)]
    pb.containers = [
        app_container(app, image, ports=ports, env=env, mem=app_mem,
                      mounts=[sa_mount(pb.sa_vol), {"mountPath": "/vault/secrets", "name": "vault-secrets"}],
                      probe_port="http" if ports else None)
    ]
    if sidecar:
        pb.containers.append(agent_container("vault-agent", image_agent, role, pb.sa_vol, False))
    pb.volumes = [memory_volume("home-init")] + ([memory_volume("home-sidecar")] if sidecar else []) + [
        memory_volume("vault-secrets")]
    return pb


# --------------------------------------------------------------------------
# Bundle 1: healthy-mixed
# --------------------------------------------------------------------------


def healthy_mixed():
    now = T("2026-11-28T10:00:00Z")
    b = Bundle("healthy-mixed", now)
    ids = Ids(1)
    lease_ids = []

    # -- payments/billing-api: Deployment, 2 replicas, dynamic DB creds ----------
    billing_ann = {
        "vault.hashicorp.com/agent-image": "hashicorp/vault:1.15.2",
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/agent-inject-secret-db-creds": "database/creds/billing",
        "vault.hashicorp.com/agent-inject-template-db-creds": BILLING_TEMPLATE,
        "vault.hashicorp.com/role": "billing-api",
    }
    billing_image = "ghcr.io/acme-shop/billing-api:2.14.1"
    billing_created = T("2026-11-28T01:12:03Z")
    rs_b = replicaset(ids, "payments", "billing-api", ids.hash(), created=billing_created, replicas=2, revision=14,
                      template_annotations=billing_ann, sa="billing-api",
                      containers=[app_container("billing-api", billing_image, ports=[("http", 8080)],
                                                mem="256Mi", probe_port="http")])
    b.replicasets.append(rs_b)
    for i, node in enumerate(["a", "b"]):
        created = billing_created + sec(2 + i * 7)
        pb = injected_deployment_pod(b, ids, rs_b, ns="payments", app="billing-api", image=billing_image,
                                     sa="billing-api", role="billing-api", user_ann=billing_ann, node=node,
                                     created=created, agent_version="1.15.2", files=["/vault/secrets/db-creds"],
                                     ports=[("http", 8080)])
        init_start = created + sec(2)
        init_end = init_start + sec(1)
        app_start = init_end + sec(1)
        ready = app_start + sec(6)
        pod = pb.finish(
            phase="Running",
            conditions=conditions(created, initialized=init_end, ready=ready),
            init_statuses=[st_done(ids, "vault-agent-init", "hashicorp/vault:1.15.2", init_start, init_end)],
            statuses=[st_running(ids, "billing-api", billing_image, app_start),
                      st_running(ids, "vault-agent", "hashicorp/vault:1.15.2", app_start)],
        )
        b.pods.append(pod)
        b.log(pod, "vault-agent-init", healthy_init_log("1.15.2", init_start + ms(102), ["/vault/secrets/db-creds"]))
        side_start = app_start + ms(215)
        renewals = [side_start + timedelta(minutes=40 * k, seconds=7 * k + i) for k in range(1, 13)]
        b.log(pod, "vault-agent", healthy_sidecar_log("1.15.2", side_start, ["/vault/secrets/db-creds"],
                                                      [r for r in renewals if r < now]))
        # The sidecar's lease: 6h TTL, renewed at about two thirds (09:12).
        issue = side_start + ms(300)
        last_renewal = issue + timedelta(hours=8, minutes=0, seconds=21 + i * 4)
        expire = last_renewal + timedelta(hours=6)
        lease_ids.append({
            "id": "database/creds/billing/" + ids.alnum(24),
            "issue_time": ts(issue),
            "expire_time": ts(expire),
            "ttl": int((expire - now).total_seconds()),
            "renewable": True,
            "last_renewal": ts(last_renewal),
            "max_ttl_seconds": 86400,
        })

    # -- payments/ledger-db: StatefulSet with a KV v2 secret ---------------------
    ledger_ann = {
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/agent-inject-secret-ledger": "secret/data/payments/ledger",
        "vault.hashicorp.com/agent-inject-template-ledger": (
            '{{- with secret "secret/data/payments/ledger" -}}\n'
            "POSTGRES_USER={{ .Data.data.username }}\n"
            "POSTGRES_PASSWORD={{ .Data.data.password }}\n"
            "{{- end }}\n"
        ),
        "vault.hashicorp.com/role": "ledger-db",
    }
    ss_uid = ids.uid()
    created = T("2026-11-28T08:05:31Z")
    ann = injector_annotations(ledger_ann, "payments", ["postgres"], IMAGE_OF["2.0.4"])
    pb = PodBuilder(ids, "payments", "ledger-db-0", created=created, node="c", sa="ledger-db",
                    labels={"app": "ledger-db", "apps.kubernetes.io/pod-index": "0",
                            "controller-revision-hash": "ledger-db-" + ids.hash(10),
                            "statefulset.kubernetes.io/pod-name": "ledger-db-0"},
                    owner=("StatefulSet", "ledger-db", ss_uid, "apps/v1"), annotations=ann)
    pg_image = "docker.io/library/postgres:16.4"
    pb.init_containers = [agent_container("vault-agent-init", IMAGE_OF["2.0.4"], "ledger-db", pb.sa_vol, True)]
    pb.containers = [
        app_container("postgres", pg_image, ports=[("postgres", 5432)], mem="1Gi", cpu="500m",
                      env=[{"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"}],
                      mounts=[{"mountPath": "/var/lib/postgresql/data", "name": "data"}, sa_mount(pb.sa_vol),
                              {"mountPath": "/vault/secrets", "name": "vault-secrets"}]),
        agent_container("vault-agent", IMAGE_OF["2.0.4"], "ledger-db", pb.sa_vol, False),
    ]
    pb.volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": "data-ledger-db-0"}},
                  memory_volume("home-init"), memory_volume("home-sidecar"), memory_volume("vault-secrets")]
    pb.extra_spec = {"hostname": "ledger-db-0", "subdomain": "ledger-db"}
    init_start, init_end = created + sec(3), created + sec(4)
    app_start = init_end + sec(1)
    pod = pb.finish(
        phase="Running",
        conditions=conditions(created, initialized=init_end, ready=app_start + sec(9)),
        init_statuses=[st_done(ids, "vault-agent-init", IMAGE_OF["2.0.4"], init_start, init_end)],
        statuses=[st_running(ids, "postgres", pg_image, app_start),
                  st_running(ids, "vault-agent", IMAGE_OF["2.0.4"], app_start)],
    )
    b.pods.append(pod)
    b.log(pod, "vault-agent-init", healthy_init_log("2.0.4", init_start + ms(84), ["/vault/secrets/ledger"]))
    s = app_start + ms(190)
    b.log(pod, "vault-agent", healthy_sidecar_log("2.0.4", s, ["/vault/secrets/ledger"],
                                                  [s + timedelta(minutes=40), s + timedelta(minutes=80, seconds=3)]))

    # -- shop/catalog: Deployment using the Secrets Store CSI driver -------------
    catalog_image = "ghcr.io/acme-shop/catalog:5.2.0"
    catalog_created = T("2026-11-27T15:20:11Z")
    cat_containers = [app_container("catalog", catalog_image, ports=[("http", 8080)], probe_port="http",
                                    mounts=[{"mountPath": "/mnt/secrets-store", "name": "secrets-store-inline",
                                             "readOnly": True}])]
    rs_c = replicaset(ids, "shop", "catalog", ids.hash(), created=catalog_created, replicas=2, revision=9,
                      template_annotations=None, sa="catalog", containers=cat_containers,
                      volumes=[csi_volume("secrets-store-inline", "catalog-vault")])
    b.replicasets.append(rs_c)
    b.spcs.append(spc(ids, "shop", "catalog-vault", role="catalog",
                      objects=[("db-password", "secret/data/shop/catalog", "password")],
                      created=T("2026-10-02T12:44:09Z")))
    for i, (node, created) in enumerate([("b", catalog_created + sec(1)), ("c", T("2026-11-28T09:30:12Z"))]):
        name = f"{rs_c['metadata']['name']}-{ids.suffix()}"
        pb = PodBuilder(ids, "shop", name, created=created, node=node, sa="catalog",
                        labels={"app": "catalog", "pod-template-hash": rs_c["metadata"]["labels"]["pod-template-hash"]},
                        owner=rs_owner(rs_c))
        pb.containers = [app_container("catalog", catalog_image, ports=[("http", 8080)], probe_port="http",
                                       mounts=[{"mountPath": "/mnt/secrets-store", "name": "secrets-store-inline",
                                                "readOnly": True}, sa_mount(pb.sa_vol)])]
        pb.volumes = [csi_volume("secrets-store-inline", "catalog-vault")]
        start = created + sec(4)
        pod = pb.finish(phase="Running", conditions=conditions(created, started=start, ready=start + sec(7)),
                        statuses=[st_running(ids, "catalog", catalog_image, start)])
        b.pods.append(pod)
        b.spcpss.append(spcps(ids, pod, "catalog-vault", volume="secrets-store-inline", objects=["db-password"]))
        if i == 1:
            d = ("Deployment", "catalog", rs_c["metadata"]["ownerReferences"][0]["uid"], "apps/v1")
            rsr = ("ReplicaSet", rs_c["metadata"]["name"], rs_c["metadata"]["uid"], "apps/v1")
            b.events += [
                event(ids, "shop", d, "ScalingReplicaSet",
                      f"Scaled up replica set {rs_c['metadata']['name']} from 1 to 2", first=created, last=created,
                      component="deployment-controller"),
                event(ids, "shop", rsr, "SuccessfulCreate", f"Created pod: {name}", first=created, last=created,
                      component="replicaset-controller"),
                event(ids, "shop", pod_ref(pod), "Scheduled",
                      f"Successfully assigned shop/{name} to {pb.node}", first=created, last=created,
                      component="default-scheduler"),
                event(ids, "shop", pod_ref(pod), "Pulled",
                      f'Container image "{catalog_image}" already present on machine', first=start - sec(1),
                      last=start - sec(1), host=pb.node, field_path="spec.containers{catalog}"),
                event(ids, "shop", pod_ref(pod), "Created", "Created container: catalog", first=start - sec(1),
                      last=start - sec(1), host=pb.node, field_path="spec.containers{catalog}"),
                event(ids, "shop", pod_ref(pod), "Started", "Started container catalog", first=start, last=start,
                      host=pb.node, field_path="spec.containers{catalog}"),
            ]

    # -- shop/web: Deployment with a PKI certificate ------------------------------
    web_ann = {
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/agent-inject-command-web-tls": "/bin/sh -c 'kill -HUP $(pidof nginx) || true'",
        "vault.hashicorp.com/agent-inject-secret-web-tls": "pki/issue/web",
        "vault.hashicorp.com/agent-inject-template-web-tls": (
            '{{- with pkiCert "pki/issue/web" "common_name=web.shop.svc" "ttl=72h" -}}\n'
            "{{ .Cert }}{{ .CA }}{{ .Key }}\n"
            "{{- end }}\n"
        ),
        "vault.hashicorp.com/role": "web",
    }
    web_image = "docker.io/library/nginx:1.27.3"
    web_created = T("2026-11-27T09:58:36Z")
    rs_w = replicaset(ids, "shop", "web", ids.hash(), created=web_created, replicas=1, revision=23,
                      template_annotations=web_ann, sa="web",
                      containers=[app_container("web", web_image, ports=[("https", 8443)])])
    b.replicasets.append(rs_w)
    pb = injected_deployment_pod(b, ids, rs_w, ns="shop", app="web", image=web_image, sa="web", role="web",
                                 user_ann=web_ann, node="a", created=web_created + sec(1), agent_version="2.0.4",
                                 files=["/vault/secrets/web-tls"], ports=[("https", 8443)])
    pb.containers[0].pop("readinessProbe", None)
    created = web_created + sec(1)
    init_start, init_end = created + sec(2), created + sec(3)
    app_start = init_end + sec(1)
    pod = pb.finish(
        phase="Running",
        conditions=conditions(created, initialized=init_end, ready=app_start + sec(1)),
        init_statuses=[st_done(ids, "vault-agent-init", IMAGE_OF["2.0.4"], init_start, init_end)],
        statuses=[st_running(ids, "web", web_image, app_start),
                  st_running(ids, "vault-agent", IMAGE_OF["2.0.4"], app_start)],
    )
    b.pods.append(pod)
    b.log(pod, "vault-agent-init", healthy_init_log("2.0.4", init_start + ms(91), ["/vault/secrets/web-tls"]))
    s = app_start + ms(202)
    b.log(pod, "vault-agent", healthy_sidecar_log(
        "2.0.4", s, ["/vault/secrets/web-tls"],
        [s + timedelta(minutes=40 * k, seconds=2 * k) for k in range(1, 37) if s + timedelta(minutes=40 * k) < now]))
    cert_issued = init_start + ms(91) + ms(80)
    cert = {
        "serial": ":".join(ids.hex(2) for _ in range(20)),
        "mount": "pki",
        "common_name": "web.shop.svc",
        "alt_names": ["web.shop.svc"],
        "not_before": ts(cert_issued - sec(30)),
        "not_after": ts(cert_issued + timedelta(hours=72)),
    }

    # -- reporting/nightly-report: CronJob, pre-populate only ---------------------
    cron_uid = ids.uid()
    sched = T("2026-11-28T02:00:00Z")
    job_name = f"nightly-report-{int(sched.timestamp()) // 60}"
    job_uid = ids.uid()
    report_ann = {
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/agent-inject-secret-warehouse": "secret/data/reporting/warehouse",
        "vault.hashicorp.com/agent-inject-template-warehouse": (
            '{{- with secret "secret/data/reporting/warehouse" -}}\n'
            "WAREHOUSE_DSN={{ .Data.data.dsn }}\n"
            "{{- end }}\n"
        ),
        "vault.hashicorp.com/agent-pre-populate-only": "true",
        "vault.hashicorp.com/role": "nightly-report",
    }
    report_image = "ghcr.io/acme-shop/nightly-report:1.9.0"
    job_labels = {"batch.kubernetes.io/controller-uid": job_uid, "batch.kubernetes.io/job-name": job_name,
                  "controller-uid": job_uid, "job-name": job_name}
    created = sched + ms(412)
    created = created.replace(microsecond=0)
    b.jobs.append({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "annotations": {"batch.kubernetes.io/cronjob-scheduled-timestamp": ts(sched)},
            "creationTimestamp": ts(sched),
            "generation": 1,
            "labels": {**job_labels, "app": "nightly-report"},
            "name": job_name,
            "namespace": "reporting",
            "ownerReferences": [{"apiVersion": "batch/v1", "blockOwnerDeletion": True, "controller": True,
                                 "kind": "CronJob", "name": "nightly-report", "uid": cron_uid}],
            "resourceVersion": ids.resource_version(),
            "uid": job_uid,
        },
        "spec": {
            "backoffLimit": 2,
            "completionMode": "NonIndexed",
            "completions": 1,
            "manualSelector": False,
            "parallelism": 1,
            "podReplacementPolicy": "TerminatingOrFailed",
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": job_uid}},
            "suspend": False,
            "template": {
                "metadata": {"annotations": report_ann, "creationTimestamp": None,
                             "labels": {**job_labels, "app": "nightly-report"}},
                "spec": {
                    "containers": [app_container("report", report_image, args=["--date=yesterday"], mem="512Mi")],
                    "dnsPolicy": "ClusterFirst",
                    "restartPolicy": "Never",
                    "schedulerName": "default-scheduler",
                    "securityContext": {},
                    "serviceAccount": "nightly-report",
                    "serviceAccountName": "nightly-report",
                    "terminationGracePeriodSeconds": 30,
                },
            },
        },
        "status": {
            "completionTime": ts(sched + timedelta(minutes=3, seconds=53)),
            "conditions": [
                {"lastProbeTime": ts(sched + timedelta(minutes=3, seconds=53)),
                 "lastTransitionTime": ts(sched + timedelta(minutes=3, seconds=53)),
                 "message": "Reached expected number of succeeded pods", "reason": "CompletionsReached",
                 "status": "True", "type": "SuccessCriteriaMet"},
                {"lastProbeTime": ts(sched + timedelta(minutes=3, seconds=53)),
                 "lastTransitionTime": ts(sched + timedelta(minutes=3, seconds=53)),
                 "message": "Reached expected number of succeeded pods", "reason": "CompletionsReached",
                 "status": "True", "type": "Complete"},
            ],
            "ready": 0,
            "startTime": ts(sched),
            "succeeded": 1,
            "terminating": 0,
            "uncountedTerminatedPods": {},
        },
    })
    ann = injector_annotations(report_ann, "reporting", ["report"], IMAGE_OF["2.0.4"])
    pb = PodBuilder(ids, "reporting", f"{job_name}-{ids.suffix()}", created=created, node="b", sa="nightly-report",
                    labels={**job_labels, "app": "nightly-report"},
                    owner=("Job", job_name, job_uid, "batch/v1"), annotations=ann, restart="Never")
    pb.init_containers = [agent_container("vault-agent-init", IMAGE_OF["2.0.4"], "nightly-report", pb.sa_vol, True)]
    pb.containers = [app_container("report", report_image, args=["--date=yesterday"], mem="512Mi",
                                   mounts=[sa_mount(pb.sa_vol), {"mountPath": "/vault/secrets", "name": "vault-secrets"}])]
    pb.volumes = [memory_volume("home-init"), memory_volume("vault-secrets")]
    init_start, init_end = created + sec(2), created + sec(3)
    app_start, app_end = init_end + sec(1), sched + timedelta(minutes=3, seconds=51)
    pod = pb.finish(
        phase="Succeeded",
        conditions=conditions(created, initialized=init_end, completed=app_end + sec(1)),
        init_statuses=[st_done(ids, "vault-agent-init", IMAGE_OF["2.0.4"], init_start, init_end)],
        statuses=[st_done(ids, "report", report_image, app_start, app_end)],
    )
    b.pods.append(pod)
    b.log(pod, "vault-agent-init", healthy_init_log("2.0.4", init_start + ms(77), ["/vault/secrets/warehouse"]))

    # -- shop/redis: no Vault at all ---------------------------------------------
    redis_image = "docker.io/library/redis:7.2.5"
    redis_created = T("2026-11-23T11:04:52Z")
    rs_r = replicaset(ids, "shop", "redis", ids.hash(), created=redis_created, replicas=1, revision=2,
                      template_annotations=None, sa="default",
                      containers=[app_container("redis", redis_image, ports=[("redis", 6379)], mem="512Mi")])
    b.replicasets.append(rs_r)
    pb = PodBuilder(ids, "shop", f"{rs_r['metadata']['name']}-{ids.suffix()}", created=redis_created + sec(1),
                    node="c", sa="default",
                    labels={"app": "redis", "pod-template-hash": rs_r["metadata"]["labels"]["pod-template-hash"]},
                    owner=rs_owner(rs_r))
    pb.containers = [app_container("redis", redis_image, ports=[("redis", 6379)], mem="512Mi",
                                   mounts=[sa_mount(pb.sa_vol)])]
    start = redis_created + sec(4)
    b.pods.append(pb.finish(phase="Running", conditions=conditions(redis_created + sec(1), started=start, ready=start),
                            statuses=[st_running(ids, "redis", redis_image, start)]))

    b.pods += vault_infra_pods(ids, T("2026-11-03T09:14:40Z"))
    b.webhooks.append(injector_webhook(ids, T("2026-06-11T08:30:02Z"), "Ignore"))
    b.vault = {
        "address": VAULT_ADDR,
        "health": vault_health(),
        "leases": lease_ids,
        "certificates": [cert],
        "kv": [
            {"mount": "secret", "path": "payments/ledger", "current_version": 3,
             "created_time": "2025-03-14T10:22:05Z", "updated_time": "2026-11-02T16:40:18Z"},
            {"mount": "secret", "path": "reporting/warehouse", "current_version": 2,
             "created_time": "2026-01-19T08:03:44Z", "updated_time": "2026-09-30T13:12:09Z"},
            {"mount": "secret", "path": "shop/catalog", "current_version": 7,
             "created_time": "2025-08-05T14:51:30Z", "updated_time": "2026-11-20T07:58:12Z"},
        ],
    }
    b.write()


def vault_infra_pods(ids, created):
    """The Vault server and the injector, as `kubectl get pods -A` lists them."""
    out = []
    sts_uid = ids.uid()
    pb = PodBuilder(ids, "vault", "vault-0", created=created, node="c", sa="vault",
                    labels={"app.kubernetes.io/instance": "vault", "app.kubernetes.io/name": "vault",
                            "apps.kubernetes.io/pod-index": "0", "component": "server",
                            "controller-revision-hash": "vault-" + ids.hash(10), "helm.sh/chart": "vault-0.29.1",
                            "statefulset.kubernetes.io/pod-name": "vault-0"},
                    owner=("StatefulSet", "vault", sts_uid, "apps/v1"))
    pb.containers = [app_container("vault", "hashicorp/vault:1.15.2", ports=[("http", 8200), ("https-internal", 8201)],
                                   command=["/bin/sh", "-ec"],
                                   args=["/usr/local/bin/docker-entrypoint.sh vault server -config=/tmp/storageconfig.hcl"],
                                   mem="512Mi", cpu="250m",
                                   mounts=[{"mountPath": "/vault/data", "name": "data"},
                                           {"mountPath": "/vault/config", "name": "config"}, sa_mount(pb.sa_vol)])]
    pb.volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": "data-vault-0"}},
                  {"configMap": {"defaultMode": 420, "name": "vault-config"}, "name": "config"}]
    pb.extra_spec = {"hostname": "vault-0", "subdomain": "vault-internal"}
    start = created + sec(5)
    out.append(pb.finish(phase="Running", conditions=conditions(created, started=start, ready=start + sec(31)),
                         statuses=[st_running(ids, "vault", "hashicorp/vault:1.15.2", start)]))
    h = ids.hash()
    rs_uid = ids.uid()
    pb = PodBuilder(ids, "vault", f"vault-agent-injector-{h}-{ids.suffix()}", created=created, node="a",
                    sa="vault-agent-injector",
                    labels={"app.kubernetes.io/instance": "vault", "app.kubernetes.io/name": "vault-agent-injector",
                            "component": "webhook", "pod-template-hash": h},
                    owner=("ReplicaSet", f"vault-agent-injector-{h}", rs_uid, "apps/v1"))
    pb.containers = [app_container("sidecar-injector", "hashicorp/vault-k8s:1.7.6", args=["agent-inject", "2>&1"],
                                   mem="256Mi", cpu="50m",
                                   env=[{"name": "AGENT_INJECT_LISTEN", "value": ":8080"},
                                        {"name": "AGENT_INJECT_LOG_LEVEL", "value": "info"},
                                        {"name": "AGENT_INJECT_VAULT_ADDR", "value": VAULT_ADDR},
                                        {"name": "AGENT_INJECT_VAULT_AUTH_PATH", "value": "auth/kubernetes"},
                                        {"name": "AGENT_INJECT_VAULT_IMAGE", "value": "hashicorp/vault:2.0.4"},
                                        {"name": "AGENT_INJECT_TLS_AUTO", "value": "vault-agent-injector-cfg"},
                                        {"name": "AGENT_INJECT_TLS_AUTO_HOSTS",
                                         "value": "vault-agent-injector-svc,vault-agent-injector-svc.vault,vault-agent-injector-svc.vault.svc"}],
                                   mounts=[sa_mount(pb.sa_vol)])]
    start = created + sec(3)
    out.append(pb.finish(phase="Running", conditions=conditions(created, started=start, ready=start + sec(5)),
                         statuses=[st_running(ids, "sidecar-injector", "hashicorp/vault-k8s:1.7.6", start)]))
    return out


# --------------------------------------------------------------------------
# Bundle 2: broken-auth
# --------------------------------------------------------------------------


def auth_error_escaped(url_host, msg, code=403):
    return (f'error="Error making API request.\\n\\nURL: PUT {url_host}/v1/auth/kubernetes/login\\n'
            f'Code: {code}. Errors:\\n\\n* {msg}"')


def broken_auth():
    now = T("2026-11-28T14:20:00Z")
    b = Bundle("broken-auth", now)
    ids = Ids(2)
    rng = random.Random(22)

    # -- payments/billing-api: healthy -------------------------------------------
    billing_ann = {
        "vault.hashicorp.com/agent-image": "hashicorp/vault:1.15.2",
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/agent-inject-secret-db-creds": "database/creds/billing",
        "vault.hashicorp.com/agent-inject-template-db-creds": BILLING_TEMPLATE,
        "vault.hashicorp.com/role": "billing-api",
    }
    billing_image = "ghcr.io/acme-shop/billing-api:2.14.1"
    billing_created = T("2026-11-28T01:12:03Z")
    rs_b = replicaset(ids, "payments", "billing-api", ids.hash(), created=billing_created, replicas=2, revision=14,
                      template_annotations=billing_ann, sa="billing-api",
                      containers=[app_container("billing-api", billing_image, ports=[("http", 8080)],
                                                mem="256Mi", probe_port="http")])
    b.replicasets.append(rs_b)
    leases = []
    for i, node in enumerate(["a", "b"]):
        created = billing_created + sec(2 + i * 7)
        pb = injected_deployment_pod(b, ids, rs_b, ns="payments", app="billing-api", image=billing_image,
                                     sa="billing-api", role="billing-api", user_ann=billing_ann, node=node,
                                     created=created, agent_version="1.15.2", files=["/vault/secrets/db-creds"],
                                     ports=[("http", 8080)])
        init_start, init_end = created + sec(2), created + sec(3)
        app_start = init_end + sec(1)
        pod = pb.finish(
            phase="Running",
            conditions=conditions(created, initialized=init_end, ready=app_start + sec(6)),
            init_statuses=[st_done(ids, "vault-agent-init", "hashicorp/vault:1.15.2", init_start, init_end)],
            statuses=[st_running(ids, "billing-api", billing_image, app_start),
                      st_running(ids, "vault-agent", "hashicorp/vault:1.15.2", app_start)],
        )
        b.pods.append(pod)
        b.log(pod, "vault-agent-init", healthy_init_log("1.15.2", init_start + ms(97), ["/vault/secrets/db-creds"]))
        side_start = app_start + ms(221)
        renewals = [side_start + timedelta(minutes=40 * k, seconds=5 * k + i) for k in range(1, 25)]
        b.log(pod, "vault-agent", healthy_sidecar_log("1.15.2", side_start, ["/vault/secrets/db-creds"],
                                                      [r for r in renewals if r < now]))
        issue = side_start + ms(300)
        last_renewal = issue + timedelta(hours=12, seconds=17 + i * 3)
        expire = last_renewal + timedelta(hours=6)
        leases.append({
            "id": "database/creds/billing/" + ids.alnum(24),
            "issue_time": ts(issue),
            "expire_time": ts(expire),
            "ttl": int((expire - now).total_seconds()),
            "renewable": True,
            "last_renewal": ts(last_renewal),
            "max_ttl_seconds": 86400,
        })

    # -- payments/ledger: new revision's SA is not bound to the role --------------
    ledger_image = "ghcr.io/acme-shop/ledger:3.8.0"
    ledger_ann_old = {
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/agent-inject-secret-ledger": "secret/data/payments/ledger",
        "vault.hashicorp.com/role": "ledger",
    }
    deploy_uid = ids.uid()
    old_created = T("2026-11-20T10:31:44Z")
    rs_old = replicaset(ids, "payments", "ledger", ids.hash(), created=old_created, replicas=1, revision=6,
                        template_annotations=ledger_ann_old, sa="ledger", deploy_uid=deploy_uid,
                        containers=[app_container("ledger", "ghcr.io/acme-shop/ledger:3.7.2", ports=[("http", 8080)],
                                                  probe_port="http")])
    new_created = T("2026-11-28T14:13:46Z")
    rs_new = replicaset(ids, "payments", "ledger", ids.hash(), created=new_created, replicas=1, revision=7,
                        template_annotations=ledger_ann_old, sa="ledger-svc", deploy_uid=deploy_uid, ready=0,
                        containers=[app_container("ledger", ledger_image, ports=[("http", 8080)], probe_port="http")])
    rs_new["status"] = {"fullyLabeledReplicas": 1, "observedGeneration": 1, "replicas": 1}
    b.replicasets += [rs_old, rs_new]
    # the old pod, still serving
    pb = injected_deployment_pod(b, ids, rs_old, ns="payments", app="ledger", image="ghcr.io/acme-shop/ledger:3.7.2",
                                 sa="ledger", role="ledger", user_ann=ledger_ann_old, node="c",
                                 created=old_created + sec(1), agent_version="2.0.4",
                                 files=["/vault/secrets/ledger"], ports=[("http", 8080)])
    created = old_created + sec(1)
    init_start, init_end = created + sec(2), created + sec(3)
    pod = pb.finish(
        phase="Running",
        conditions=conditions(created, initialized=init_end, ready=init_end + sec(8)),
        init_statuses=[st_done(ids, "vault-agent-init", IMAGE_OF["2.0.4"], init_start, init_end)],
        statuses=[st_running(ids, "ledger", "ghcr.io/acme-shop/ledger:3.7.2", init_end + sec(1)),
                  st_running(ids, "vault-agent", IMAGE_OF["2.0.4"], init_end + sec(1))],
    )
    b.pods.append(pod)
    # the new pod, stuck in Init:0/1
    created = new_created + sec(0)
    pb = injected_deployment_pod(b, ids, rs_new, ns="payments", app="ledger", image=ledger_image, sa="ledger-svc",
                                 role="ledger", user_ann=ledger_ann_old, node="a", created=created,
                                 agent_version="2.0.4", files=["/vault/secrets/ledger"], ports=[("http", 8080)])
    init_start = created + sec(2)
    pod = pb.finish(
        phase="Pending",
        conditions=conditions(created, started=init_start, not_init=["vault-agent-init"],
                              not_ready=["ledger", "vault-agent"]),
        init_statuses=[st_running(ids, "vault-agent-init", IMAGE_OF["2.0.4"], init_start, ready=False)],
        statuses=[st_waiting(ids, "ledger", ledger_image, "PodInitializing"),
                  st_waiting(ids, "vault-agent", IMAGE_OF["2.0.4"], "PodInitializing")],
    )
    ledger_pod = pod
    b.pods.append(pod)
    lg = Log("2.0.4")
    t = init_start + ms(88)
    lg.start(t)
    t += ms(31)
    for bo in backoffs(rng, (now - t).total_seconds()):
        lg.log(t, "ERROR", "agent.auth.handler: error authenticating: "
               + auth_error_escaped(VAULT_ADDR, "service account name not authorized") + f" backoff={fmt_backoff(bo)}")
        t += sec(bo)
        if t >= now:
            break
        lg.log(t, "INFO", "agent.auth.handler: authenticating")
        t += ms(rng.randrange(9, 40))
    b.log(pod, "vault-agent-init", lg.text())
    rsr = ("ReplicaSet", rs_new["metadata"]["name"], rs_new["metadata"]["uid"], "apps/v1")
    b.events += [
        event(ids, "payments", ("Deployment", "ledger", deploy_uid, "apps/v1"), "ScalingReplicaSet",
              f"Scaled up replica set {rs_new['metadata']['name']} from 0 to 1", first=new_created, last=new_created,
              component="deployment-controller"),
        event(ids, "payments", rsr, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}",
              first=new_created, last=new_created, component="replicaset-controller"),
        event(ids, "payments", pod_ref(pod), "Scheduled",
              f"Successfully assigned payments/{pod['metadata']['name']} to {pb.node}", first=created, last=created,
              component="default-scheduler"),
        event(ids, "payments", pod_ref(pod), "Pulled",
              f'Container image "{IMAGE_OF["2.0.4"]}" already present on machine', first=init_start - sec(1),
              last=init_start - sec(1), host=pb.node, field_path="spec.initContainers{vault-agent-init}"),
        event(ids, "payments", pod_ref(pod), "Created", "Created container: vault-agent-init",
              first=init_start - sec(1), last=init_start - sec(1), host=pb.node,
              field_path="spec.initContainers{vault-agent-init}"),
        event(ids, "payments", pod_ref(pod), "Started", "Started container vault-agent-init", first=init_start,
              last=init_start, host=pb.node, field_path="spec.initContainers{vault-agent-init}"),
    ]

    # -- shop/orders: old agent (1.6), role that does not exist --------------------
    orders_ann = {
        "vault.hashicorp.com/agent-image": "vault:1.6.3",
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/agent-inject-secret-orders-db": "secret/data/shop/orders",
        "vault.hashicorp.com/role": "orders-app",
    }
    orders_image = "ghcr.io/acme-shop/orders:1.4.2"
    orders_created = T("2026-11-28T14:01:50Z")
    rs_o = replicaset(ids, "shop", "orders", ids.hash(), created=orders_created, replicas=1, revision=1,
                      template_annotations=orders_ann, sa="orders", ready=0,
                      containers=[app_container("orders", orders_image, ports=[("http", 8080)], probe_port="http")])
    rs_o["status"] = {"fullyLabeledReplicas": 1, "observedGeneration": 1, "replicas": 1}
    b.replicasets.append(rs_o)
    created = orders_created + sec(0)
    pb = injected_deployment_pod(b, ids, rs_o, ns="shop", app="orders", image=orders_image, sa="orders",
                                 role="orders-app", user_ann=orders_ann, node="b", created=created,
                                 agent_version="1.6.3", files=["/vault/secrets/orders-db"], ports=[("http", 8080)])
    init_start = created + sec(2)
    pod = pb.finish(
        phase="Pending",
        conditions=conditions(created, started=init_start, not_init=["vault-agent-init"],
                              not_ready=["orders", "vault-agent"]),
        init_statuses=[st_running(ids, "vault-agent-init", "vault:1.6.3", init_start, ready=False)],
        statuses=[st_waiting(ids, "orders", orders_image, "PodInitializing"),
                  st_waiting(ids, "vault-agent", "vault:1.6.3", "PodInitializing")],
    )
    b.pods.append(pod)
    lg = Log("1.6.3")
    t = init_start + ms(131)
    lg.start(t)
    t += ms(22)
    for bo in backoffs(rng, (now - t).total_seconds()):
        lg.log(t, "ERROR", "auth.handler: error authenticating:")
        lg.raw("  error=")
        for line in ["Error making API request.", "",
                     f"URL: PUT {VAULT_ADDR}/v1/auth/kubernetes/login", "Code: 400. Errors:", "",
                     '* invalid role name "orders-app"']:
            lg.raw("  | " + line)
        lg.raw("   backoff=" + f"{bo:.9f}".rstrip("0").rstrip("."))
        t += sec(bo)
        if t >= now:
            break
        lg.log(t, "INFO", "auth.handler: authenticating")
        t += ms(rng.randrange(9, 40))
    b.log(pod, "vault-agent-init", lg.text())

    # -- payments/invoices: sidecar crash-loops on a denied read --------------------
    inv_ann = {
        "vault.hashicorp.com/agent-image": "hashicorp/vault:1.15.2",
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/agent-inject-secret-invoices": "secret/data/payments/invoices",
        "vault.hashicorp.com/agent-inject-template-invoices": (
            '{{- with secret "secret/data/payments/invoices" -}}\n'
            "SMTP_USER={{ .Data.data.smtp_user }}\n"
            "SMTP_PASSWORD={{ .Data.data.smtp_password }}\n"
            "{{- end }}\n"
        ),
        "vault.hashicorp.com/role": "invoices",
    }
    inv_image = "ghcr.io/acme-shop/invoices:4.0.7"
    inv_created = T("2026-11-28T11:30:05Z")
    rs_i = replicaset(ids, "payments", "invoices", ids.hash(), created=inv_created, replicas=1, revision=12,
                      template_annotations=inv_ann, sa="invoices", ready=0,
                      containers=[app_container("invoices", inv_image, ports=[("http", 8080)], probe_port="http")])
    rs_i["status"] = {"fullyLabeledReplicas": 1, "observedGeneration": 1, "replicas": 1}
    b.replicasets.append(rs_i)
    created = inv_created + sec(1)
    pb = injected_deployment_pod(b, ids, rs_i, ns="payments", app="invoices", image=inv_image, sa="invoices",
                                 role="invoices", user_ann=inv_ann, node="c", created=created,
                                 agent_version="1.15.2", files=["/vault/secrets/invoices"], ports=[("http", 8080)])
    init_start, init_end = created + sec(2), created + sec(3)
    last_start, last_end = T("2026-11-28T14:11:19Z"), T("2026-11-28T14:16:22Z")
    prev_start, prev_end = T("2026-11-28T14:01:16Z"), T("2026-11-28T14:06:19Z")
    last = terminated(ids, last_start, last_end, 1, "Error")
    pod = pb.finish(
        phase="Running",
        conditions=conditions(created, initialized=init_end, ready=T("2026-11-28T13:02:51Z"),
                              not_ready=["vault-agent"]),
        init_statuses=[st_done(ids, "vault-agent-init", "hashicorp/vault:1.15.2", init_start, init_end)],
        statuses=[st_running(ids, "invoices", inv_image, init_end + sec(1)),
                  st_waiting(ids, "vault-agent", "hashicorp/vault:1.15.2", "CrashLoopBackOff",
                             f"back-off 5m0s restarting failed container=vault-agent pod={pb.name}_payments({pb.uid})",
                             restarts=7, last=last, pulled=True)],
    )
    b.pods.append(pod)
    b.log(pod, "vault-agent-init", healthy_init_log("1.15.2", init_start + ms(93), ["/vault/secrets/invoices"]))

    def crashed_run(start, end):
        lg = Log("1.15.2")
        s = start + ms(187)
        lg.start(s)
        lg.auth_ok(s + ms(36))
        path = "secret/data/payments/invoices"
        err = [
            f"vault.read({path}): vault.read({path}): Error making API request.",
            "",
            f"URL: GET {VAULT_ADDR}/v1/{path}",
            "Code: 403. Errors:",
            "",
            "* 1 error occurred:",
            "\t* permission denied",
            "",
        ]
        e = end - ms(rng.randrange(300, 900))
        lg.log(e, "ERROR", "agent.template.server: template server error:")
        lg.raw("  error=")
        for line in err:
            lg.raw("  | " + line)
        lg.raw("  ")
        lg.lines.append(f"{lts(e)} [INFO] (runner) stopping")
        lg.log(e, "INFO", "agent.template.server: template server stopped")
        lg.log(e, "INFO", "agent.auth.handler: shutdown triggered, stopping lifetime watcher")
        lg.log(e, "INFO", "agent.auth.handler: auth handler stopped")
        lg.log(e + ms(1), "ERROR", "agent: runtime error encountered:")
        lg.raw("  error=")
        lg.raw("  | template server: " + err[0])
        for line in err[1:]:
            lg.raw("  | " + line)
        lg.raw("  ")
        lg.raw("Error encountered during run, refer to logs for more details.")
        return lg.text()

    b.log(pod, "vault-agent", crashed_run(prev_start, prev_end), previous=True)
    b.log(pod, "vault-agent", crashed_run(last_start, last_end))
    b.events.append(event(ids, "payments", pod_ref(pod), "BackOff", "Back-off restarting failed container vault-agent "
                          f"in pod {pb.name}_payments({pb.uid})", first=T("2026-11-28T13:04:40Z"),
                          last=T("2026-11-28T14:19:31Z"), count=61, kind="Warning", host=pb.node,
                          field_path="spec.containers{vault-agent}"))

    # -- shop/legacy-web: annotated, never injected (webhook failed open) ---------
    legacy_ann = {
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/agent-inject-secret-config": "secret/data/shop/legacy-web",
        "vault.hashicorp.com/role": "legacy-web",
    }
    legacy_image = "ghcr.io/acme-shop/legacy-web:0.31.0"
    legacy_created = T("2026-11-25T16:02:09Z")
    rs_l = replicaset(ids, "shop", "legacy-web", ids.hash(), created=legacy_created, replicas=1, revision=3,
                      template_annotations=legacy_ann, sa="legacy-web",
                      containers=[app_container("legacy-web", legacy_image, ports=[("http", 8080)])])
    b.replicasets.append(rs_l)
    created = legacy_created + sec(2)
    pb = PodBuilder(ids, "shop", f"{rs_l['metadata']['name']}-{ids.suffix()}", created=created, node="a",
                    sa="legacy-web",
                    labels={"app": "legacy-web", "pod-template-hash": rs_l["metadata"]["labels"]["pod-template-hash"]},
                    owner=rs_owner(rs_l), annotations=legacy_ann)
    pb.containers = [app_container("legacy-web", legacy_image, ports=[("http", 8080)], mounts=[sa_mount(pb.sa_vol)])]
    start = created + sec(3)
    b.pods.append(pb.finish(phase="Running", conditions=conditions(created, started=start, ready=start + sec(1)),
                            statuses=[st_running(ids, "legacy-web", legacy_image, start)]))

    # -- shop/checkout: the webhook call times out, no pod is created ---------------
    checkout_ann = {
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/agent-inject-secret-stripe": "secret/data/shop/checkout",
        "vault.hashicorp.com/role": "checkout",
    }
    co_created = T("2026-11-28T14:16:05Z")
    msg = ('Error creating: Internal error occurred: failed calling webhook "vault.hashicorp.com": failed to call '
           'webhook: Post "https://vault-agent-injector-svc.vault.svc:443/mutate?timeout=30s": context deadline '
           'exceeded')
    co_uid = ids.uid()
    rs_co = replicaset(ids, "shop", "checkout", ids.hash(), created=co_created, replicas=2, revision=1,
                       template_annotations=checkout_ann, sa="checkout", deploy_uid=co_uid,
                       failure=(co_created + sec(30), msg),
                       containers=[app_container("checkout", "ghcr.io/acme-shop/checkout:2.0.0",
                                                 ports=[("http", 8080)], probe_port="http")])
    b.replicasets.append(rs_co)
    rsr = ("ReplicaSet", rs_co["metadata"]["name"], rs_co["metadata"]["uid"], "apps/v1")
    b.events += [
        event(ids, "shop", ("Deployment", "checkout", co_uid, "apps/v1"), "ScalingReplicaSet",
              f"Scaled up replica set {rs_co['metadata']['name']} from 0 to 2", first=co_created, last=co_created,
              component="deployment-controller"),
        event(ids, "shop", rsr, "FailedCreate", msg, first=co_created + sec(30), last=T("2026-11-28T14:19:41Z"),
              count=6, kind="Warning", component="replicaset-controller"),
    ]

    b.pods += vault_infra_pods(ids, T("2026-11-03T09:14:40Z"))
    b.webhooks.append(injector_webhook(ids, T("2026-06-11T08:30:02Z"), "Fail", generation=2))
    b.vault = {
        "address": VAULT_ADDR,
        "health": vault_health(),
        "leases": leases,
        "certificates": [],
        "kv": [
            {"mount": "secret", "path": "payments/invoices", "current_version": 5,
             "created_time": "2025-11-03T09:40:12Z", "updated_time": "2026-10-29T15:05:33Z"},
            {"mount": "secret", "path": "payments/ledger", "current_version": 3,
             "created_time": "2025-03-14T10:22:05Z", "updated_time": "2026-11-02T16:40:18Z"},
            {"mount": "secret", "path": "shop/orders", "current_version": 1,
             "created_time": "2026-11-28T13:55:02Z", "updated_time": "2026-11-28T13:55:02Z"},
        ],
    }
    assert ledger_pod
    b.write()


# --------------------------------------------------------------------------
# Bundle 3: broken-csi
# --------------------------------------------------------------------------


def mount_error(ns, pod, detail, vol="secrets-store-inline"):
    return (f'MountVolume.SetUp failed for volume "{vol}" : rpc error: code = Unknown desc = failed to mount '
            f"secrets store objects for pod {ns}/{pod}, err: rpc error: code = Unknown desc = {detail}")


def broken_csi():
    now = T("2026-11-28T16:45:00Z")
    b = Bundle("broken-csi", now)
    ids = Ids(3)

    def csi_workload(app, image, *, created, node, revision, spc_name, ready, pod_created=None, env=(),
                     mount_ok=True, app_state=None):
        rs = replicaset(ids, "shop", app, ids.hash(), created=created, replicas=1, revision=revision,
                        template_annotations=None, sa=app, ready=1 if ready else 0,
                        volumes=[csi_volume("secrets-store-inline", spc_name)],
                        containers=[app_container(app, image, ports=[("http", 8080)], probe_port="http", env=env,
                                                  mounts=[{"mountPath": "/mnt/secrets-store",
                                                           "name": "secrets-store-inline", "readOnly": True}])])
        if not ready:
            rs["status"] = {"fullyLabeledReplicas": 1, "observedGeneration": 1, "replicas": 1}
        b.replicasets.append(rs)
        pc = pod_created or created + sec(1)
        pb = PodBuilder(ids, "shop", f"{rs['metadata']['name']}-{ids.suffix()}", created=pc, node=node, sa=app,
                        labels={"app": app, "pod-template-hash": rs["metadata"]["labels"]["pod-template-hash"]},
                        owner=rs_owner(rs))
        pb.containers = [app_container(app, image, ports=[("http", 8080)], probe_port="http", env=env,
                                       mounts=[{"mountPath": "/mnt/secrets-store", "name": "secrets-store-inline",
                                                "readOnly": True}, sa_mount(pb.sa_vol)])]
        pb.volumes = [csi_volume("secrets-store-inline", spc_name)]
        start = pc + sec(4)
        if ready:
            pod = pb.finish(phase="Running", conditions=conditions(pc, started=start, ready=start + sec(6)),
                            statuses=[st_running(ids, app, image, start)])
        elif mount_ok:
            pod = pb.finish(phase="Pending", conditions=conditions(pc, started=start, not_ready=[app]),
                            statuses=[app_state(pb)])
        else:
            pod = pb.finish(phase="Pending", ip=False,
                            conditions=conditions(pc, ready_to_start=False, not_ready=[app]),
                            statuses=[st_waiting(ids, app, image, "ContainerCreating")])
        b.pods.append(pod)
        b.events.append(event(ids, "shop", pod_ref(pod), "Scheduled",
                              f"Successfully assigned shop/{pod['metadata']['name']} to {pb.node}", first=pc,
                              last=pc, component="default-scheduler")) if pc > now - timedelta(hours=1) else None
        return pod, pb

    def failed_mount(pod, pb, detail, first, last, count):
        b.events.append(event(ids, "shop", pod_ref(pod), "FailedMount", detail, first=first, last=last, count=count,
                              kind="Warning", host=pb.node))

    # -- catalog: healthy ---------------------------------------------------------
    b.spcs.append(spc(ids, "shop", "catalog-vault", role="catalog",
                      objects=[("db-password", "secret/data/shop/catalog", "password")],
                      created=T("2026-10-02T12:44:09Z")))
    pod, pb = csi_workload("catalog", "ghcr.io/acme-shop/catalog:5.2.0", created=T("2026-11-27T15:20:11Z"),
                           node="b", revision=9, spc_name="catalog-vault", ready=True)
    b.spcpss.append(spcps(ids, pod, "catalog-vault", volume="secrets-store-inline", objects=["db-password"]))

    # -- cart: Vault cannot review the pod's token (TokenReview denied) -----------
    b.spcs.append(spc(ids, "shop", "cart-vault", role="cart",
                      objects=[("redis-password", "secret/data/shop/cart", "redis_password")],
                      created=T("2026-11-28T16:20:40Z")))
    pod, pb = csi_workload("cart", "ghcr.io/acme-shop/cart:1.0.0", created=T("2026-11-28T16:21:06Z"), node="a",
                           revision=1, spc_name="cart-vault", ready=False, mount_ok=False)
    failed_mount(pod, pb, mount_error("shop", pod["metadata"]["name"],
                                      "error making mount request: failed to login: Error making API request.\n\n"
                                      f"URL: POST {VAULT_ADDR}/v1/auth/kubernetes/login\n"
                                      "Code: 403. Errors:\n\n* permission denied"),
                 T("2026-11-28T16:21:09Z"), T("2026-11-28T16:43:15Z"), 13)

    # -- search: its SecretProviderClass does not exist -------------------------------
    pod, pb = csi_workload("search", "ghcr.io/acme-shop/search:7.1.3", created=T("2026-11-28T16:30:43Z"), node="c",
                           revision=17, spc_name="search-vault", ready=False, mount_ok=False)
    failed_mount(pod, pb, f'MountVolume.SetUp failed for volume "secrets-store-inline" : rpc error: code = Unknown '
                          f'desc = failed to get secretproviderclass shop/search-vault, error: '
                          f'secretproviderclasses.secrets-store.csi.x-k8s.io "search-vault" not found',
                 T("2026-11-28T16:30:45Z"), T("2026-11-28T16:42:51Z"), 8)

    # -- reviews: the key is missing at the secret path -------------------------------
    b.spcs.append(spc(ids, "shop", "reviews-vault", role="reviews",
                      objects=[("db-password", "secret/data/shop/reviews", "password")],
                      created=T("2026-07-14T09:02:37Z")))
    pod, pb = csi_workload("reviews", "ghcr.io/acme-shop/reviews:2.3.1", created=T("2026-11-28T16:05:12Z"), node="b",
                           revision=31, spc_name="reviews-vault", ready=False, mount_ok=False)
    failed_mount(pod, pb, mount_error("shop", pod["metadata"]["name"],
                                      'error making mount request: {secret/data/shop/reviews}: '
                                      '{key "password" does not exist at the secret path}'),
                 T("2026-11-28T16:05:15Z"), T("2026-11-28T16:43:41Z"), 18)

    # -- images: mounted, but the synced Kubernetes Secret cannot be created ----------
    b.spcs.append(spc(ids, "shop", "images-vault", role="images",
                      objects=[("cdn-key", "secret/data/shop/images", "cdn_api_key")],
                      created=T("2026-11-28T16:37:30Z"),
                      secret_objects=[{"data": [{"key": "api-key", "objectName": "cdn-key"}],
                                       "secretName": "images-cdn", "type": "Opaque"}]))
    images_image = "ghcr.io/acme-shop/images:0.9.4"
    pod, pb = csi_workload(
        "images", images_image, created=T("2026-11-28T16:38:01Z"), node="c", revision=4, spc_name="images-vault",
        ready=False,
        env=[{"name": "CDN_API_KEY", "valueFrom": {"secretKeyRef": {"key": "api-key", "name": "images-cdn"}}}],
        app_state=lambda pb: st_waiting(ids, "images", images_image, "CreateContainerConfigError",
                                        'secret "images-cdn" not found'))
    b.spcpss.append(spcps(ids, pod, "images-vault", volume="secrets-store-inline", objects=["cdn-key"]))
    b.events += [
        event(ids, "shop", pod_ref(pod), "FailedToCreateSecret", "timed out waiting for the condition",
              first=T("2026-11-28T16:38:09Z"), last=T("2026-11-28T16:44:12Z"), count=6, kind="Warning",
              component="csi-secrets-store-controller"),
        event(ids, "shop", pod_ref(pod), "Failed", 'Error: secret "images-cdn" not found',
              first=T("2026-11-28T16:38:06Z"), last=T("2026-11-28T16:44:38Z"), count=31, kind="Warning",
              host=pb.node, field_path="spec.containers{images}"),
    ]
    images_pod = pod

    # -- recommendations: SecretProviderClassPodStatus says mounted: false ------------
    b.spcs.append(spc(ids, "shop", "recommendations-vault", role="recommendations",
                      objects=[("model-token", "secret/data/shop/recommendations", "model_token")],
                      created=T("2026-09-08T11:19:55Z")))
    pod, pb = csi_workload("recommendations", "ghcr.io/acme-shop/recommendations:3.0.2",
                           created=T("2026-11-28T15:50:30Z"), node="a", revision=8,
                           spc_name="recommendations-vault", ready=False, mount_ok=False)
    b.spcpss.append(spcps(ids, pod, "recommendations-vault", volume="secrets-store-inline", objects=[],
                          mounted=False))
    failed_mount(pod, pb, "Unable to attach or mount volumes: unmounted volumes=[secrets-store-inline], unattached "
                          "volumes=[], failed to process volumes=[]: timed out waiting for the condition",
                 T("2026-11-28T15:52:33Z"), T("2026-11-28T16:43:58Z"), 24)

    # -- the CSI driver and provider on the images pod's node, with the driver's log --
    ds_pods = csi_infra_pods(ids, T("2026-10-02T12:31:18Z"))
    b.pods += ds_pods
    driver = next(p for p in ds_pods if p["spec"]["nodeName"] == images_pod["spec"]["nodeName"]
                  and p["metadata"]["name"].startswith("csi-secrets-store"))
    ip = images_pod["metadata"]["name"]
    sp = f"{ip}-shop-images-vault"
    lines = []
    t = T("2026-11-28T16:38:04Z")
    lines.append(f'I1128 16:38:04.118305       1 nodeserver.go:359] "node publish volume complete" '
                 f'targetPath="/var/lib/kubelet/pods/{images_pod["metadata"]["uid"]}/volumes/kubernetes.io~csi/'
                 f'secrets-store-inline/mount" pod="shop/{ip}" time="141.62ms"')
    for k in range(6):
        stamp = (t + sec(5 + k * 61)).strftime("%H:%M:%S")
        lines.append(f'E1128 {stamp}.{417220 + k * 13:06d}       1 secretproviderclasspodstatus_controller.go:'
                     f'389] "failed to create Kubernetes secret" err="secrets is forbidden: User '
                     f'\\"system:serviceaccount:kube-system:secrets-store-csi-driver\\" cannot create resource '
                     f'\\"secrets\\" in API group \\"\\" in the namespace \\"shop\\"" spc="shop/images-vault" '
                     f'pod="shop/{ip}" secret="shop/images-cdn" spcps="shop/{sp}"')
        lines.append(f"W1128 {stamp}.{417301 + k * 13:06d}       1 secretproviderclasspodstatus_controller.go:"
                     f"392] The secret operation failed with forbidden error. If you installed the CSI driver "
                     f"using helm, ensure syncSecret.enabled=true is set.")
    b.log(driver, "secrets-store", "\n".join(lines) + "\n")

    b.vault = {
        "address": VAULT_ADDR,
        "health": vault_health(),
        "leases": [],
        "certificates": [],
        "kv": [
            {"mount": "secret", "path": "shop/cart", "current_version": 2,
             "created_time": "2026-11-28T16:12:50Z", "updated_time": "2026-11-28T16:14:02Z"},
            {"mount": "secret", "path": "shop/catalog", "current_version": 7,
             "created_time": "2025-08-05T14:51:30Z", "updated_time": "2026-11-20T07:58:12Z"},
            {"mount": "secret", "path": "shop/images", "current_version": 1,
             "created_time": "2026-11-28T16:36:58Z", "updated_time": "2026-11-28T16:36:58Z"},
            {"mount": "secret", "path": "shop/recommendations", "current_version": 3,
             "created_time": "2026-09-08T11:15:21Z", "updated_time": "2026-11-11T10:27:45Z"},
            {"mount": "secret", "path": "shop/reviews", "current_version": 4,
             "created_time": "2026-07-14T08:58:03Z", "updated_time": "2026-11-28T15:58:40Z"},
        ],
    }
    b.write()


def csi_infra_pods(ids, created):
    """The Secrets Store CSI driver and vault-csi-provider DaemonSet pods, one per node."""
    out = []
    drv_uid, prov_uid = ids.uid(), ids.uid()
    drv_rev, prov_rev = ids.hash(10), ids.hash(10)
    for key in ["a", "b", "c"]:
        node = NODES[key][0]
        pb = PodBuilder(ids, "kube-system", f"csi-secrets-store-csi-driver-{ids.suffix()}", created=created, node=key,
                        sa="secrets-store-csi-driver",
                        labels={"app": "secrets-store-csi-driver", "app.kubernetes.io/instance": "csi",
                                "app.kubernetes.io/name": "secrets-store-csi-driver",
                                "controller-revision-hash": drv_rev, "pod-template-generation": "1"},
                        owner=("DaemonSet", "csi-secrets-store-csi-driver", drv_uid, "apps/v1"))
        reg = "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.13.0"
        drv = "registry.k8s.io/csi-secrets-store/driver:v1.5.4"
        probe = "registry.k8s.io/sig-storage/livenessprobe:v2.15.0"
        pb.containers = [
            app_container("node-driver-registrar", reg, mem="100Mi", cpu="10m",
                          args=["--v=5", "--csi-address=/csi/csi.sock",
                                "--kubelet-registration-path=/var/lib/kubelet/plugins/csi-secrets-store/csi.sock"],
                          mounts=[{"mountPath": "/csi", "name": "plugin-dir"},
                                  {"mountPath": "/registration", "name": "registration-dir"}, sa_mount(pb.sa_vol)]),
            app_container("secrets-store", drv, mem="128Mi", cpu="50m",
                          args=["--endpoint=$(CSI_ENDPOINT)", "--nodeid=$(KUBE_NODE_NAME)",
                                "--provider-volume=/var/run/secrets-store-csi-providers",
                                "--enable-secret-rotation=true", "--rotation-poll-interval=2m",
                                "--metrics-addr=:8095", "--provider-health-check-interval=2m",
                                "--max-call-recv-msg-size=4194304"],
                          env=[{"name": "CSI_ENDPOINT", "value": "unix:///csi/csi.sock"},
                               field_env("KUBE_NODE_NAME", "spec.nodeName")],
                          mounts=[{"mountPath": "/csi", "name": "plugin-dir"},
                                  {"mountPath": "/var/lib/kubelet/pods", "mountPropagation": "Bidirectional",
                                   "name": "mountpoint-dir"},
                                  {"mountPath": "/var/run/secrets-store-csi-providers", "name": "providers-dir"},
                                  sa_mount(pb.sa_vol)]),
            app_container("liveness-probe", probe, mem="100Mi", cpu="10m",
                          args=["--csi-address=/csi/csi.sock", "--probe-timeout=3s", "--http-endpoint=0.0.0.0:9808",
                                "-v=2"],
                          mounts=[{"mountPath": "/csi", "name": "plugin-dir"}, sa_mount(pb.sa_vol)]),
        ]
        pb.volumes = [
            {"hostPath": {"path": "/var/lib/kubelet/pods", "type": "DirectoryOrCreate"}, "name": "mountpoint-dir"},
            {"hostPath": {"path": "/var/lib/kubelet/plugins_registry/", "type": "Directory"},
             "name": "registration-dir"},
            {"hostPath": {"path": "/var/lib/kubelet/plugins/csi-secrets-store/", "type": "DirectoryOrCreate"},
             "name": "plugin-dir"},
            {"hostPath": {"path": "/var/run/secrets-store-csi-providers", "type": "DirectoryOrCreate"},
             "name": "providers-dir"},
        ]
        pb.extra_spec = {"hostNetwork": False, "priorityClassName": "system-node-critical", "priority": 2000001000}
        start = created + sec(6)
        out.append(pb.finish(phase="Running", conditions=conditions(created, started=start, ready=start + sec(12)),
                             statuses=[st_running(ids, "liveness-probe", probe, start),
                                       st_running(ids, "node-driver-registrar", reg, start),
                                       st_running(ids, "secrets-store", drv, start)]))
        pb = PodBuilder(ids, "kube-system", f"vault-csi-provider-{ids.suffix()}", created=created, node=key,
                        sa="vault-csi-provider",
                        labels={"app.kubernetes.io/instance": "vault", "app.kubernetes.io/name": "vault-csi-provider",
                                "controller-revision-hash": prov_rev, "pod-template-generation": "1"},
                        owner=("DaemonSet", "vault-csi-provider", prov_uid, "apps/v1"))
        img = "hashicorp/vault-csi-provider:1.5.0"
        pb.containers = [app_container("vault-csi-provider", img, mem="128Mi", cpu="50m",
                                       args=["--endpoint=/provider/vault.sock", "--log-level=info",
                                             "--hmac-secret-name=vault-csi-provider-hmac-key"],
                                       mounts=[{"mountPath": "/provider", "name": "providervol"},
                                               {"mountPath": "/vault/tls", "name": "vault-ca", "readOnly": True},
                                               sa_mount(pb.sa_vol)])]
        pb.volumes = [{"hostPath": {"path": "/var/run/secrets-store-csi-providers", "type": ""}, "name": "providervol"},
                      {"configMap": {"defaultMode": 420, "name": "vault-ca"}, "name": "vault-ca"}]
        out.append(pb.finish(phase="Running", conditions=conditions(created, started=start, ready=start + sec(5)),
                             statuses=[st_running(ids, "vault-csi-provider", img, start)]))
    return out


if __name__ == "__main__":
    healthy_mixed()
    broken_auth()
    broken_csi()
    print("wrote", ", ".join(["healthy-mixed", "broken-auth", "broken-csi"]))
