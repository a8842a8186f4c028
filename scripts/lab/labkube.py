"""A small client for the lab's kube-apiserver (standard library only).

The lab's Python parts (workloads.py, agents.py) act as the cluster's controllers and kubelet:
they create ReplicaSets and pods, request service-account tokens and write pod status. They
talk to the API server as the lab's admin with a bearer token, over TLS verified against the
lab's CA. Configuration comes from the environment lab.sh sets:
  LAB_SERVER      https://127.0.0.1:PORT
  LAB_CA_FILE     the API server's certificate (the kubeconfigs' CA)
  LAB_TOKEN_FILE  a file holding the admin bearer token
"""
import json
import os
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request


class ApiError(Exception):
    def __init__(self, status, reason, body):
        super().__init__(f"{status} {reason}: {body[:300]}")
        self.status = status
        self.body = body


class Kube:
    def __init__(self, server=None, ca_file=None, token=None):
        self.server = server or os.environ["LAB_SERVER"]
        ca_file = ca_file or os.environ["LAB_CA_FILE"]
        if token is None:
            with open(os.environ["LAB_TOKEN_FILE"], encoding="utf-8") as f:
                token = f.read().strip()
        self.token = token
        self.ctx = ssl.create_default_context(cafile=ca_file)

    def request(self, method, path, body=None, content_type="application/json", query=None):
        url = self.server + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raise ApiError(e.code, e.reason, e.read().decode(errors="replace")) from None
        return json.loads(raw) if raw else None

    def get(self, path, **query):
        return self.request("GET", path, query=query or None)

    def create(self, path, body):
        return self.request("POST", path, body)

    def merge_patch(self, path, body):
        return self.request("PATCH", path, body, "application/merge-patch+json")

    def delete(self, path):
        try:
            return self.request("DELETE", path)
        except ApiError as e:
            if e.status == 404:
                return None
            raise

    def create_or_get(self, path, body):
        """POST; an object that already exists is read back instead (idempotent re-runs)."""
        try:
            return self.create(path, body)
        except ApiError as e:
            if e.status != 409:
                raise
        name = body["metadata"]["name"]
        return self.get(f"{path}/{name}")

    def token_request(self, namespace, service_account, audiences, seconds, pod=None):
        """A TokenRequest, as the kubelet makes for a projected service-account token
        (bound to the pod when one is given). Returns (token, expiration timestamp)."""
        spec = {"expirationSeconds": seconds}
        if audiences:
            spec["audiences"] = audiences
        if pod is not None:
            spec["boundObjectRef"] = {
                "apiVersion": "v1",
                "kind": "Pod",
                "name": pod["metadata"]["name"],
                "uid": pod["metadata"]["uid"],
            }
        out = self.create(
            f"/api/v1/namespaces/{namespace}/serviceaccounts/{service_account}/token",
            {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec},
        )
        return out["status"]["token"], out["status"]["expirationTimestamp"]


def now_rfc3339():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
