#!/usr/bin/env python3
"""Helpers of scripts/scale-vault.sh (standard library only).

  scale-vault.py load ADDR JOBS              lines "creds ROLE N" / "tokens N NS" on stdin
  scale-vault.py count ADDR PREFIX...        leases listed under each prefix (root LIST)
  scale-vault.py audit LOG OFFSET ACCESSOR T0  vaultscope's requests in LOG after byte OFFSET

`load` is the test fixture: it creates the leases (database/creds/ROLE reads, each a real
PostgreSQL role) and orphan tokens as root, JOBS requests in flight at once. The credentials
in the answers are dropped unread: nothing of them is printed or kept.
The root token comes from $BAO_TOKEN.
"""

import calendar
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

TOKEN = os.environ.get("BAO_TOKEN", "root")
local = threading.local()


def conn(addr):
    c = getattr(local, "conn", None)
    if c is None:
        u = urllib.parse.urlparse(addr)
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        local.conn = c
    return c


def call(addr, method, path, body=None):
    """One request on this thread's keep-alive connection; (status, parsed body or None)."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"X-Vault-Token": TOKEN}
    if data is not None:
        headers["Content-Type"] = "application/json"
    for attempt in range(5):
        try:
            c = conn(addr)
            c.request(method, "/v1/" + path, body=data, headers=headers)
            r = c.getresponse()
            raw = r.read()
            if r.status >= 500 and attempt < 4:
                time.sleep(0.2 * (attempt + 1))
                continue
            return r.status, raw
        except (OSError, http.client.HTTPException):
            local.conn = None
            time.sleep(0.2 * (attempt + 1))
    return 0, b""


def load(addr, jobs):
    tasks = []
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "creds":
            role, n = parts[1], int(parts[2])
            tasks += [("creds", role, i) for i in range(n)]
        elif parts[0] == "tokens":
            n, ns = int(parts[1]), parts[2]
            tasks += [("token", ns, i) for i in range(n)]
    failed = Counter()
    done = Counter()
    lock = threading.Lock()
    t0 = time.monotonic()

    def one(task):
        kind, what, i = task
        if kind == "creds":
            status, _secret = call(addr, "GET", f"database/creds/{what}")
            # _secret holds a password: dropped here, never printed.
        else:
            # An agent-like token: kubernetes-auth metadata naming a service account.
            body = {
                "policies": ["default"],
                "ttl": "24h",
                "display_name": f"kubernetes-{what}-sa-{i}",
                "meta": {
                    "role": "scale",
                    "service_account_name": f"sa-{i}",
                    "service_account_namespace": what,
                },
            }
            status, _tok = call(addr, "POST", "auth/token/create-orphan", body)
        with lock:
            key = what if kind == "creds" else "tokens"
            (done if status == 200 else failed)[key] += 1
            total = sum(done.values())
            if total % 2000 == 0:
                rate = total / max(time.monotonic() - t0, 1e-6)
                print(f"  {total}/{len(tasks)} created ({rate:.0f}/s)", file=sys.stderr, flush=True)

    with ThreadPoolExecutor(max_workers=jobs) as ex:
        list(ex.map(one, tasks))
    took = time.monotonic() - t0
    print(json.dumps({"created": sum(done.values()), "failed": dict(failed), "seconds": round(took, 1)}))
    return 1 if failed else 0


def count(addr, prefixes):
    total = 0
    for p in prefixes:
        status, raw = call(addr, "LIST", f"sys/leases/lookup/{p}/")
        keys = (json.loads(raw).get("data") or {}).get("keys") or [] if status == 200 else []
        total += len(keys)
    print(total)


def kind(path, op):
    if path == "sys/leases/lookup":
        return "lease lookup"
    if path.startswith("sys/leases/lookup/"):
        return "LIST leases"
    if path == "auth/token/accessors" or path.startswith("auth/token/accessors"):
        return "LIST accessors"
    if path == "auth/token/lookup-accessor":
        return "token lookup"
    if "/metadata/" in path:
        return "KV metadata"
    if path.startswith("pki/cert"):
        return "PKI"
    return "config"


def audit(log, offset, accessor, t0):
    """Requests vaultscope's token made after OFFSET: by kind, by second since T0 (unix)."""
    by_kind = Counter()
    per_sec = Counter()
    first = last = None
    with open(log, "rb") as f:
        f.seek(offset)
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("type") != "request":
                continue
            if (e.get("auth") or {}).get("accessor") != accessor:
                continue
            req = e.get("request") or {}
            by_kind[kind(req.get("path", ""), req.get("operation", ""))] += 1
            ts = e.get("time", "")
            # 2026-11-29T22:05:26.123456789Z -> unix seconds
            try:
                base = time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")
                frac = float("0." + ts[20:].rstrip("Z")) if len(ts) > 20 else 0.0
                sec = calendar.timegm(base) + frac
            except ValueError:
                continue
            per_sec[int(sec - t0)] += 1
            first = sec if first is None else min(first, sec)
            last = sec if last is None else max(last, sec)
    print(json.dumps({
        "total": sum(by_kind.values()),
        "by_kind": dict(by_kind),
        "per_second": {str(k): v for k, v in sorted(per_sec.items())},
        "first": None if first is None else round(first - t0, 3),
        "last": None if last is None else round(last - t0, 3),
    }))


def main(argv):
    if len(argv) >= 3 and argv[0] == "load":
        return load(argv[1], int(argv[2]))
    if len(argv) >= 3 and argv[0] == "count":
        return count(argv[1], argv[2:])
    if len(argv) == 5 and argv[0] == "audit":
        return audit(argv[1], int(argv[2]), argv[3], float(argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]) or 0)
