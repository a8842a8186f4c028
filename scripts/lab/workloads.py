#!/usr/bin/env python3
"""The lab's controllers for the real-agent workloads (lab.sh up --with-vault).

The lab runs no kube-controller-manager and no scheduler, so this does their part for the
workloads it is given, as a cluster would:
  Deployment -> ReplicaSet `<name>-<pod-template-hash>` -> Pod `<rs>-<suffix>`
  Job        -> Pod `<job>-<suffix>`
with owner references, the pod placed on the kwok node, and the pod passed through the
admission chain (injector.py: ServiceAccount admission, then vault-k8s's mutation) before it
is created. Injected pods are labelled lab.vaultscope.dev/agents=real and annotated
lab.vaultscope.dev/static-status: kwok's stages leave them alone, and the lab's agent
supervisor (agents.py) runs their vault-agent containers and writes their status. Pods that
are not injected (the CSI workload) are made Running by kwok as usual.

usage: workloads.py apply FILE.json      (as `kubectl create --dry-run=client -o json -f` prints it)
       workloads.py replace NS DEPLOYMENT (delete its pods; its ReplicaSet makes a new one)
Environment: LAB_SERVER, LAB_CA_FILE, LAB_TOKEN_FILE (labkube.py), LAB_NODE_NAME, LAB_NODE_IP,
LAB_CONTAINER_LOGS, LAB_VAULT_ADDR.
"""
import hashlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import injector  # noqa: E402
from labkube import ApiError, Kube, now_rfc3339  # noqa: E402

REAL_LABEL = "lab.vaultscope.dev/agents"
STATIC_ANNOTATION = "lab.vaultscope.dev/static-status"
ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def template_hash(template):
    """A pod-template-hash: 10 characters of the template's digest, in rand.SafeEncodeString's
    alphabet (the ReplicaSet controller uses an FNV hash; any stable digest will do here)."""
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    return "".join(ALPHABET[b % len(ALPHABET)] for b in digest[:10])


def owner(obj, api_version, kind):
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def logs_object(pod):
    """kwok's Logs object: where the container logs of this pod are, for `kubectl logs`."""
    ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    base = os.path.join(os.environ["LAB_CONTAINER_LOGS"], ns, name)
    os.makedirs(base, exist_ok=True)
    entries = []
    for c in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]:
        cur = os.path.join(base, c["name"] + ".log")
        prev = os.path.join(base, c["name"] + ".previous.log")
        for f in (cur, prev):
            open(f, "a", encoding="utf-8").close()
        entries.append({"containers": [c["name"]], "logsFile": cur, "previousLogsFile": prev, "follow": True})
    return {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "Logs",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"logs": entries},
    }


class Controllers:
    def __init__(self):
        self.kube = Kube()
        self.node = os.environ["LAB_NODE_NAME"]
        self.vault_addr = os.environ["LAB_VAULT_ADDR"]

    def make_pod(self, template, name, namespace, labels, owner_ref):
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": dict(template.get("metadata", {}).get("labels", {}), **labels),
                "annotations": dict(template.get("metadata", {}).get("annotations", {})),
                "ownerReferences": [owner_ref],
            },
            "spec": json.loads(json.dumps(template["spec"])),
        }
        # the scheduler's part: the one node
        pod["spec"]["nodeName"] = self.node
        pod["spec"].setdefault("restartPolicy", "Always")
        injector.admit_service_account(pod)
        if injector.should_inject(pod):
            pod = injector.inject(pod, namespace, self.vault_addr)
            pod["metadata"]["labels"][REAL_LABEL] = "real"
            pod["metadata"]["annotations"][STATIC_ANNOTATION] = "agents.py"
        return pod

    def create_pod(self, pod):
        ns = pod["metadata"]["namespace"]
        # Logs first, so kwok serves the files from the pod's first line on.
        self.kube.create_or_get(f"/apis/kwok.x-k8s.io/v1alpha1/namespaces/{ns}/logs", logs_object(pod))
        created = self.kube.create_or_get(f"/api/v1/namespaces/{ns}/pods", pod)
        if REAL_LABEL in created["metadata"].get("labels", {}):
            # What a kubelet reports the moment it admits the pod.
            self.kube.merge_patch(
                f"/api/v1/namespaces/{ns}/pods/{created['metadata']['name']}/status",
                {"status": {"phase": "Pending", "conditions": [
                    {"type": "PodScheduled", "status": "True", "lastTransitionTime": now_rfc3339()}]}},
            )
        return created

    def deployment(self, d):
        ns = d["metadata"]["namespace"]
        d.setdefault("spec", {}).setdefault("replicas", 1)
        dep = self.kube.create_or_get(f"/apis/apps/v1/namespaces/{ns}/deployments", d)
        template = dep["spec"]["template"]
        h = template_hash(template)
        rs_name = f"{dep['metadata']['name']}-{h}"
        labels = dict(template["metadata"].get("labels", {}), **{"pod-template-hash": h})
        rs_template = json.loads(json.dumps(template))
        rs_template["metadata"]["labels"] = labels
        rs = self.kube.create_or_get(
            f"/apis/apps/v1/namespaces/{ns}/replicasets",
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": rs_name,
                    "namespace": ns,
                    "labels": labels,
                    "annotations": {
                        "deployment.kubernetes.io/desired-replicas": str(dep["spec"]["replicas"]),
                        "deployment.kubernetes.io/max-replicas": str(dep["spec"]["replicas"] + 1),
                        "deployment.kubernetes.io/revision": "1",
                    },
                    "ownerReferences": [owner(dep, "apps/v1", "Deployment")],
                },
                "spec": {
                    "replicas": dep["spec"]["replicas"],
                    "selector": {"matchLabels": dict(dep["spec"]["selector"]["matchLabels"], **{"pod-template-hash": h})},
                    "template": rs_template,
                },
            },
        )
        self.fill_replicaset(rs)
        n = dep["spec"]["replicas"]
        self.kube.merge_patch(
            f"/apis/apps/v1/namespaces/{ns}/deployments/{dep['metadata']['name']}/status",
            {"status": {"observedGeneration": dep["metadata"].get("generation", 1), "replicas": n, "updatedReplicas": n}},
        )
        self.kube.merge_patch(
            f"/apis/apps/v1/namespaces/{ns}/replicasets/{rs_name}/status",
            {"status": {"observedGeneration": 1, "replicas": n, "fullyLabeledReplicas": n}},
        )

    def pods_of(self, ns, owner_uid):
        pods = self.kube.get(f"/api/v1/namespaces/{ns}/pods")["items"]
        return [
            p for p in pods
            if any(o["uid"] == owner_uid for o in p["metadata"].get("ownerReferences", []))
            and not p["metadata"].get("deletionTimestamp")
        ]

    def fill_replicaset(self, rs):
        """The ReplicaSet controller: create pods until there are `replicas`."""
        ns = rs["metadata"]["namespace"]
        have = len(self.pods_of(ns, rs["metadata"]["uid"]))
        for i in range(have, rs["spec"].get("replicas", 1)):
            seed = f"{rs['metadata']['uid']}/{i}/{time.time_ns()}"
            name = f"{rs['metadata']['name']}-{injector._suffix(seed)}"
            self.create_pod(self.make_pod(rs["spec"]["template"], name, ns, {}, owner(rs, "apps/v1", "ReplicaSet")))

    def job(self, j):
        ns = j["metadata"]["namespace"]
        j.setdefault("spec", {})
        job = self.kube.create_or_get(f"/apis/batch/v1/namespaces/{ns}/jobs", j)
        if self.pods_of(ns, job["metadata"]["uid"]):
            return
        uid = job["metadata"]["uid"]
        labels = {
            "batch.kubernetes.io/controller-uid": uid,
            "batch.kubernetes.io/job-name": job["metadata"]["name"],
            "controller-uid": uid,
            "job-name": job["metadata"]["name"],
        }
        name = f"{job['metadata']['name']}-{injector._suffix(uid)}"
        self.create_pod(self.make_pod(job["spec"]["template"], name, ns, labels, owner(job, "batch/v1", "Job")))
        self.kube.merge_patch(
            f"/apis/batch/v1/namespaces/{ns}/jobs/{job['metadata']['name']}/status",
            {"status": {"active": 1, "startTime": now_rfc3339()}},
        )

    def apply(self, items):
        for obj in items:
            kind = obj["kind"]
            obj["metadata"].setdefault("namespace", "default")
            if kind == "Deployment":
                self.deployment(obj)
            elif kind == "Job":
                self.job(obj)
            else:
                raise SystemExit(f"workloads.py: {kind} {obj['metadata']['name']}: only Deployments and Jobs here")
            print(f"workloads.py: {kind.lower()} {obj['metadata']['namespace']}/{obj['metadata']['name']}", file=sys.stderr)

    def replace(self, ns, deployment):
        """A pod deleted and replaced, as after `kubectl delete pod`: the ReplicaSet makes a new
        one (with a new name, a new token, new agents)."""
        dep = self.kube.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{deployment}")
        rss = [
            rs for rs in self.kube.get(f"/apis/apps/v1/namespaces/{ns}/replicasets")["items"]
            if any(o["uid"] == dep["metadata"]["uid"] for o in rs["metadata"].get("ownerReferences", []))
        ]
        for rs in rss:
            for p in self.pods_of(ns, rs["metadata"]["uid"]):
                self.kube.delete(f"/api/v1/namespaces/{ns}/pods/{p['metadata']['name']}")
            self.fill_replicaset(rs)


def main(argv):
    if len(argv) >= 2 and argv[0] == "apply":
        c = Controllers()
        for path in argv[1:]:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            # kubectl prints one JSON document per object, back to back (or one List)
            docs, i, dec = [], 0, json.JSONDecoder()
            while text[i:].strip():
                doc, end = dec.raw_decode(text, len(text) - len(text[i:].lstrip()))
                docs.extend(doc.get("items", []) if doc.get("kind") == "List" else [doc])
                i = end
            try:
                c.apply(docs)
            except (ApiError, injector.NotPorted) as e:
                raise SystemExit(f"workloads.py: {path}: {e}")
        return 0
    if len(argv) == 3 and argv[0] == "replace":
        try:
            Controllers().replace(argv[1], argv[2])
        except ApiError as e:
            raise SystemExit(f"workloads.py: replace {argv[1]}/{argv[2]}: {e}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
