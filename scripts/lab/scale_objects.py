#!/usr/bin/env python3
"""Objects for scripts/scale.sh: N pods in N/20 namespaces, a quarter of them
injected by the Vault Agent Injector (init + sidecar), a tenth of those on the
kwok node (kwok runs them), the rest without a node (the lab has no scheduler,
so they stay Pending, as on a cluster short of room); a ReplicaSet per four
pods, and an event per four pods (half of them warnings). Written as kubectl
List files of at most CHUNK items, in the order they must be created.

    scale_objects.py N OUTDIR
"""

import json
import os
import sys

CHUNK = 500
PODS_PER_NS = 20
POD_PER_RS = 4
INJECTED_EVERY = 4  # a quarter of the pods
RUNNING_EVERY = 10  # of the injected pods, a tenth run on the kwok node
NODE = os.environ.get("LAB_NODE_NAME", "lab-node-1")
NOW = os.environ.get("T_NOW", "2026-11-28T10:00:00Z")

INJECT = {
    "vault.hashicorp.com/agent-inject": "true",
    "vault.hashicorp.com/agent-inject-status": "injected",
    "vault.hashicorp.com/role": "app",
    "vault.hashicorp.com/agent-inject-secret-db": "database/creds/app",
}


def ns_of(i):
    return "scale-%04d" % (i // PODS_PER_NS)


def rs_of(i):
    return "svc-%05d-7c9d8f6b54" % (i // POD_PER_RS)


def pod(i):
    injected = i % INJECTED_EVERY == 0
    running = injected and (i // INJECTED_EVERY) % RUNNING_EVERY == 0
    app = {"name": "app", "image": "registry.local/app:1.0"}
    spec = {"containers": [app]}
    meta = {
        "name": "%s-%05d" % (rs_of(i), i),
        "namespace": ns_of(i),
        "labels": {"app": "svc-%05d" % (i // POD_PER_RS), "pod-template-hash": "7c9d8f6b54"},
        "ownerReferences": [{
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_of(i),
            "uid": "00000000-0000-0000-0000-%012d" % (i // POD_PER_RS),
            "controller": True,
        }],
    }
    if injected:
        meta["annotations"] = dict(INJECT)
        agent = {"name": "vault-agent", "image": "hashicorp/vault:1.17.3"}
        spec["initContainers"] = [{"name": "vault-agent-init", "image": "hashicorp/vault:1.17.3"}]
        spec["containers"] = [app, agent]
    if running:
        spec["nodeName"] = NODE
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def replicaset(r):
    i = r * POD_PER_RS
    labels = {"app": "svc-%05d" % r, "pod-template-hash": "7c9d8f6b54"}
    template_meta = {"labels": labels}
    if i % INJECTED_EVERY == 0:
        template_meta["annotations"] = dict(INJECT)
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {
            "name": rs_of(i), "namespace": ns_of(i), "labels": labels,
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "Deployment", "name": "svc-%05d" % r,
                "uid": "10000000-0000-0000-0000-%012d" % r, "controller": True,
            }],
        },
        "spec": {
            "replicas": POD_PER_RS,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": template_meta,
                "spec": {"containers": [{"name": "app", "image": "registry.local/app:1.0"}]},
            },
        },
    }


def event(e, pods):
    i = (e * POD_PER_RS + 1) % pods
    warning = e % 2 == 0
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "scale-ev-%06d" % e, "namespace": ns_of(i)},
        "involvedObject": {
            "apiVersion": "v1", "kind": "Pod", "namespace": ns_of(i),
            "name": "%s-%05d" % (rs_of(i), i),
        },
        "type": "Warning" if warning else "Normal",
        "reason": "BackOff" if warning else "Pulled",
        "message": "Back-off restarting failed container app" if warning
        else "Container image \"registry.local/app:1.0\" already present on machine",
        "count": 1,
        "firstTimestamp": NOW, "lastTimestamp": NOW,
        "source": {"component": "kubelet", "host": NODE},
    }


def write(outdir, prefix, items):
    paths = []
    for n in range(0, len(items), CHUNK):
        path = os.path.join(outdir, "%s-%04d.json" % (prefix, n // CHUNK))
        with open(path, "w") as f:
            json.dump({"apiVersion": "v1", "kind": "List", "items": items[n:n + CHUNK]}, f)
        paths.append(path)
    return paths


def main():
    pods, outdir = int(sys.argv[1]), sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    namespaces = sorted({ns_of(i) for i in range(pods)})
    files = write(outdir, "1-namespaces", [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in namespaces
    ])
    rs_count = (pods + POD_PER_RS - 1) // POD_PER_RS
    files += write(outdir, "2-replicasets", [replicaset(r) for r in range(rs_count)])
    files += write(outdir, "3-pods", [pod(i) for i in range(pods)])
    files += write(outdir, "4-events", [event(e, pods) for e in range(pods // 4)])
    print("\n".join(files))


if __name__ == "__main__":
    main()
