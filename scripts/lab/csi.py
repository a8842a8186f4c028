#!/usr/bin/env python3
"""The CSI mount of one pod, done by the lab since no CSI driver runs here.

What the Secrets Store CSI driver and Vault's CSI provider do at NodePublishVolume, with the
real parts real: a TokenRequest for the pod's service account (15 minutes, bound to the pod,
the API server's audience: vault-csi-provider's default when the class names no audience), a
real kubernetes login at the class's role, a real read of each object's path. Then the lab
writes what the driver would: the SecretProviderClassPodStatus `<pod>-<ns>-<class>` (owned by
the pod, labelled with the node), with each object's version as vault-csi-provider computes it
(base64url of an HMAC-SHA256 of the content; the lab's HMAC key is random per lab). The secret
values are never written anywhere nor printed.

usage: csi.py NAMESPACE POD CLASS     (environment as workloads.py)
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labkube import ApiError, Kube  # noqa: E402


def vault(addr, method, path, body=None, token=None):
    req = urllib.request.Request(
        f"{addr}/v1/{path}", method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"X-Vault-Token": token} if token else {},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def objects(spc):
    """The `objects` parameter: a YAML list of flat maps (the lab's classes keep to that)."""
    out, cur = [], None
    for line in spc["spec"]["parameters"]["objects"].splitlines():
        s = line.strip()
        if not s:
            continue
        if s.startswith("- "):
            cur = {}
            out.append(cur)
            s = s[2:]
        key, _, value = s.partition(":")
        cur[key.strip()] = value.strip().strip('"')
    return out


def main(ns, pod_name, class_name):
    kube = Kube()
    pod = kube.get(f"/api/v1/namespaces/{ns}/pods/{pod_name}")
    spc = kube.get(f"/apis/secrets-store.csi.x-k8s.io/v1/namespaces/{ns}/secretproviderclasses/{class_name}")
    params = spc["spec"]["parameters"]
    addr = params["vaultAddress"]
    jwt, _ = kube.token_request(ns, pod["spec"]["serviceAccountName"], None, 900, pod)
    mount = params.get("vaultKubernetesMountPath") or params.get("vaultAuthMountPath") or "kubernetes"
    login = vault(addr, "POST", f"auth/{mount}/login", {"role": params["roleName"], "jwt": jwt})
    token = login["auth"]["client_token"]
    key_file = os.path.join(os.environ["LAB_DIR"], "vault", "csi-hmac.key")
    if not os.path.exists(key_file):
        with open(key_file, "wb") as f:
            f.write(os.urandom(32))
    with open(key_file, "rb") as f:
        key = f.read()
    versions = []
    for o in objects(spc):
        data = vault(addr, "GET", o["secretPath"], token=token)["data"]
        content = (data.get("data") or data)[o["secretKey"]]
        mac = hmac.new(key, str(content).encode(), hashlib.sha256).digest()
        versions.append({"id": o["objectName"], "version": base64.urlsafe_b64encode(mac).decode()})
    name = f"{pod_name}-{ns}-{class_name}"
    status = {
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClassPodStatus",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": {"internal.secrets-store.csi.k8s.io/node-name": pod["spec"]["nodeName"]},
            "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": pod_name, "uid": pod["metadata"]["uid"]}],
        },
        "status": {
            "podName": pod_name,
            "secretProviderClassName": class_name,
            "mounted": True,
            "targetPath": f"/var/lib/kubelet/pods/{pod['metadata']['uid']}/volumes/kubernetes.io~csi/secrets-store/mount",
            "objects": versions,
        },
    }
    kube.create_or_get(f"/apis/secrets-store.csi.x-k8s.io/v1/namespaces/{ns}/secretproviderclasspodstatuses", status)
    print(f"csi.py: {ns}/{pod_name}: mounted {class_name} ({len(versions)} object(s))", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        main(*sys.argv[1:])
    except (ApiError, OSError, KeyError) as e:
        sys.exit(f"csi.py: {e}")
