#!/usr/bin/env python3
"""The lab's kubelet for injected pods: runs their vault-agent containers as real processes.

For every pod on the kwok node labelled lab.vaultscope.dev/agents=real (workloads.py labels
the pods it injects), this supervisor does what a kubelet does with the pod's containers:

- volumes: emptyDirs are directories under $LAB_DIR/agents/<ns>/<pod>/volumes; projected
  service-account tokens come from the TokenRequest API (the source's audience and lifetime,
  bound to the pod) and are refreshed at 80 % of their lifetime, as the kubelet does;
- containers: each vault-agent container runs `bao agent -config=/home/vault/config.json`
  (OpenBao's agent: the lab's Vault is OpenBao) with the config the injector put in its
  VAULT_CONFIG, in a private mount namespace whose root holds exactly the container's volume
  mounts (/home/vault, /vault/secrets, /var/run/secrets/kubernetes.io/serviceaccount), as the
  container's runAsUser/runAsGroup. So the agent's own log lines name the paths a pod has;
- logs: every stdout/stderr line becomes a CRI log line in the file kwok serves as that
  container's log ($LAB_CONTAINER_LOGS/<ns>/<pod>/<container>.log; a restarted container's
  previous log is <container>.previous.log), so `kubectl logs` shows the agent's real lines;
- status: init containers run first, in order; a failed one is restarted with the kubelet's
  back-off (10 s doubling to 5 min, CrashLoopBackOff meanwhile, restartCount raised); then the
  sidecar runs and the app containers (no process: the lab has no images) are Running. The
  pod's status is written through the status subresource, and the owning ReplicaSet,
  Deployment or Job gets the counts its controller would write.

The application containers are not run (there are no images to run); a Job's app container
exits 0 five seconds after it starts.

usage: agents.py            (runs until SIGTERM; lab.sh starts and stops it)
Environment: as workloads.py, plus LAB_DIR and LAB_BAO_BIN (the bao binary).
"""
import base64
import hashlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labkube import ApiError, Kube  # noqa: E402

REAL_LABEL = "lab.vaultscope.dev/agents"
AGENT_CONTAINERS = ("vault-agent-init", "vault-agent")
BACKOFF_START, BACKOFF_MAX = 10.0, 300.0
# The host tools, by absolute path: the container's environment (PATH=/bin) is the agent's.
_HOST_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
UNSHARE, MOUNT, CHROOT = (shutil.which(t, path=_HOST_PATH) or t for t in ("unshare", "mount", "chroot"))
JOB_APP_SECONDS = 5.0


def log(msg):
    print(f"{datetime.now(timezone.utc).strftime('%H:%M:%S')} agents: {msg}", file=sys.stderr, flush=True)


def rfc3339(t):
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cri_ts():
    t = time.time_ns()
    return datetime.fromtimestamp(t // 1_000_000_000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t % 1_000_000_000:09d}Z"


class LogFile:
    """One container instance's log, in the CRI format a kubelet's runtime writes."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def keep_as_previous(self):
        """A container that exited and will be restarted: its log is now also the
        previous instance's (the kubelet serves the last terminated instance for both
        `logs` and `logs --previous` while the container waits)."""
        with self.lock:
            prev = self.path[: -len(".log")] + ".previous.log"
            if os.path.exists(self.path):
                shutil.copyfile(self.path, prev + ".tmp")
                os.replace(prev + ".tmp", prev)

    def start_new(self):
        """The restarted instance writes a log of its own."""
        with self.lock, open(self.path, "w", encoding="utf-8"):
            pass

    def pump(self, stream, name):
        """Copy one stream into the log. What the process wrote at once (one hclog
        record, several lines) is written at once, so the other stream's lines cannot
        land in the middle of it."""
        fd = stream.fileno()
        pending = b""
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if lines:
                ts = cri_ts()
                text = "".join(
                    f"{ts} {name} F {raw.decode('utf-8', errors='replace')}\n" for raw in lines
                )
                with self.lock, open(self.path, "a", encoding="utf-8") as f:
                    f.write(text)
        if pending:
            with self.lock, open(self.path, "a", encoding="utf-8") as f:
                f.write(f"{cri_ts()} {name} F {pending.decode('utf-8', errors='replace')}\n")
        stream.close()


class Container:
    def __init__(self, pod_run, spec, init):
        self.pod = pod_run
        self.spec = spec
        self.name = spec["name"]
        self.init = init
        self.agent = self.name in AGENT_CONTAINERS
        self.restart_count = 0
        self.proc = None
        self.started_at = None  # epoch seconds of the running instance
        self.state = {"waiting": {"reason": "PodInitializing"}}
        self.last_state = {}
        self.backoff = 0.0
        self.next_start = 0.0
        self.done = False  # terminated for good: an init container that exited 0, a Job's container
        self.failed = False  # terminated for good with a non-zero code (restartPolicy Never)
        self.log = LogFile(os.path.join(pod_run.log_dir, self.name + ".log"))

    # -------------------------------------------------------------- processes
    def command(self):
        """The container's process: `bao agent` chrooted into a root that holds only the
        container's volume mounts, in its own mount namespace."""
        root = os.path.join(self.pod.dir, "roots", self.name)
        mounts = []
        for m in self.spec.get("volumeMounts", []):
            src = self.pod.volume_dir(m["name"])
            dst = os.path.join(root, m["mountPath"].lstrip("/"))
            os.makedirs(dst, exist_ok=True)
            mounts.append(f"{MOUNT} --bind {shlex.quote(src)} {shlex.quote(dst)}")
            if m.get("readOnly"):
                mounts.append(f"{MOUNT} -o remount,bind,ro {shlex.quote(dst)}")
        for d in ("bin", "tmp"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        os.chmod(os.path.join(root, "tmp"), 0o1777)
        binary = os.path.join(root, "bin", "bao")
        if not os.path.exists(binary):
            open(binary, "w").close()
        mounts.append(f"{MOUNT} --bind {shlex.quote(self.pod.sup.bao)} {shlex.quote(binary)}")
        sc = self.spec.get("securityContext") or {}
        user = f"--userspec={sc.get('runAsUser', 0)}:{sc.get('runAsGroup', 0)}" if os.geteuid() == 0 else ""
        script = " && ".join(mounts + [f"exec {CHROOT} {user} {shlex.quote(root)} /bin/bao agent -config=/home/vault/config.json"])
        prefix = [UNSHARE, "--mount", "--propagation", "private"]
        if os.geteuid() != 0:
            prefix += ["--user", "--map-root-user"]
        return prefix + ["--", "/bin/sh", "-c", script]

    def environment(self):
        env = {"PATH": "/bin", "HOME": "/home/vault", "HOSTNAME": self.pod.name}
        for e in self.spec.get("env", []):
            if "value" in e:
                env[e["name"]] = e["value"]
            else:
                path = e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
                env[e["name"]] = {
                    "metadata.namespace": self.pod.ns,
                    "metadata.name": self.pod.name,
                    "status.hostIP": os.environ["LAB_NODE_IP"],
                    "status.podIP": self.pod.pod_ip,
                }.get(path, "")
        return env

    def start(self, now):
        env = self.environment()
        home = next(m for m in self.spec["volumeMounts"] if m["mountPath"] == "/home/vault")
        # `echo ${VAULT_CONFIG?} | base64 -d > /home/vault/config.json` (the container's args)
        config = base64.b64decode(env["VAULT_CONFIG"])
        path = os.path.join(self.pod.volume_dir(home["name"]), "config.json")
        with open(path, "wb") as f:
            f.write(config)
        os.chmod(path, 0o644)
        if self.restart_count > 0:
            self.log.start_new()
        self.proc = subprocess.Popen(
            self.command(), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True,
        )
        for stream, name in ((self.proc.stdout, "stdout"), (self.proc.stderr, "stderr")):
            threading.Thread(target=self.log.pump, args=(stream, name), daemon=True).start()
        self.pod.sup.record_pid(self)
        self.started_at = now
        self.state = {"running": {"startedAt": rfc3339(now)}}
        log(f"{self.pod.ns}/{self.pod.name} {self.name}: started (pid {self.proc.pid}, restarts {self.restart_count})")

    def simulate_start(self, now):
        self.started_at = now
        self.state = {"running": {"startedAt": rfc3339(now)}}

    def running(self):
        return "running" in self.state

    def exited(self, now, code):
        self.proc = None
        self.pod.sup.forget_pid(self)
        term = {
            "exitCode": code,
            "reason": "Completed" if code == 0 else "Error",
            "startedAt": rfc3339(self.started_at),
            "finishedAt": rfc3339(now),
            "containerID": self.container_id(),
        }
        ran = now - (self.started_at or now)
        log(f"{self.pod.ns}/{self.pod.name} {self.name}: exited {code} after {ran:.0f} s")
        policy = self.pod.restart_policy
        if (self.init and code == 0) or policy == "Never" or (policy == "OnFailure" and code == 0):
            self.state = {"terminated": term}
            self.done = True
            self.failed = code != 0
            return
        self.log.keep_as_previous()
        # kubelet: restart with back-off; a container that ran 10 min starts over at 10 s
        self.backoff = BACKOFF_START if (self.backoff == 0 or ran >= 600) else min(self.backoff * 2, BACKOFF_MAX)
        self.restart_count += 1
        self.last_state = {"terminated": term}
        self.next_start = now + self.backoff
        self.state = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off {int(self.backoff)}s restarting failed container={self.name} "
                f"pod={self.pod.name}_{self.pod.ns}({self.pod.uid})",
            }
        }

    def stop(self, grace=5.0):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        self.pod.sup.forget_pid(self)
        self.proc = None

    def container_id(self):
        h = hashlib.sha256(f"{self.pod.uid}/{self.name}/{self.restart_count}".encode()).hexdigest()
        return "containerd://" + h

    def status(self):
        s = {
            "name": self.name,
            "image": self.spec.get("image", ""),
            "imageID": "",
            "ready": self.running() and not self.init,
            "restartCount": self.restart_count,
            "started": self.running(),
            "state": self.state,
        }
        if self.init:
            s["ready"] = self.done
        if "running" in self.state or "terminated" in self.state:
            s["containerID"] = self.container_id()
        if self.last_state:
            s["lastState"] = self.last_state
        return s


class PodRun:
    def __init__(self, sup, pod):
        self.sup = sup
        self.ns = pod["metadata"]["namespace"]
        self.name = pod["metadata"]["name"]
        self.uid = pod["metadata"]["uid"]
        self.pod = pod
        self.dir = os.path.join(sup.lab_dir, "agents", self.ns, self.name)
        self.log_dir = os.path.join(os.environ["LAB_CONTAINER_LOGS"], self.ns, self.name)
        os.makedirs(self.log_dir, exist_ok=True)
        self.restart_policy = pod["spec"].get("restartPolicy", "Always")
        octets = hashlib.sha256(self.uid.encode()).digest()
        self.pod_ip = f"10.244.0.{16 + octets[0] % 200}"
        self.start_time = time.time()
        self.inits = [Container(self, c, True) for c in pod["spec"].get("initContainers", [])]
        self.mains = [Container(self, c, False) for c in pod["spec"]["containers"]]
        self.tokens = {}  # volume name -> refresh time
        self.last_status = None
        self.last_ready = None
        self.owner_told_done = False
        self.finished = False
        self.set_up_volumes()

    # -------------------------------------------------------------- volumes
    def volume_dir(self, name):
        return os.path.join(self.dir, "volumes", name)

    def set_up_volumes(self):
        for v in self.pod["spec"].get("volumes", []):
            d = self.volume_dir(v["name"])
            os.makedirs(d, exist_ok=True)
            if "emptyDir" in v:
                os.chmod(d, 0o777)  # as the kubelet creates them
        self.refresh_tokens(time.time())

    def refresh_tokens(self, now):
        for v in self.pod["spec"].get("volumes", []):
            proj = v.get("projected")
            if not proj or self.tokens.get(v["name"], 0) > now:
                continue
            d = self.volume_dir(v["name"])
            lifetime = 3600
            for src in proj.get("sources", []):
                if "serviceAccountToken" in src:
                    t = src["serviceAccountToken"]
                    lifetime = t.get("expirationSeconds", 3600)
                    aud = [t["audience"]] if t.get("audience") else None
                    token, _ = self.sup.kube.token_request(
                        self.ns, self.pod["spec"].get("serviceAccountName", "default"), aud, lifetime, self.pod
                    )
                    self.write(d, t["path"], token)
                elif "configMap" in src and src["configMap"]["name"] == "kube-root-ca.crt":
                    with open(os.environ["LAB_CA_FILE"], encoding="utf-8") as f:
                        self.write(d, "ca.crt", f.read())
                elif "downwardAPI" in src:
                    for item in src["downwardAPI"].get("items", []):
                        if item.get("fieldRef", {}).get("fieldPath") == "metadata.namespace":
                            self.write(d, item["path"], self.ns)
            self.tokens[v["name"]] = now + 0.8 * lifetime

    @staticmethod
    def write(d, name, text):
        tmp = os.path.join(d, "." + name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, os.path.join(d, name))

    # -------------------------------------------------------------- lifecycle
    def step(self, now):
        try:
            self.refresh_tokens(now)
        except ApiError as e:
            log(f"{self.ns}/{self.name}: token request failed: {e}")
        for c in self.inits + self.mains:
            if c.proc is not None and c.proc.poll() is not None:
                c.exited(now, c.proc.returncode)
        pending_init = next((c for c in self.inits if not c.done), None)
        if any(c.failed for c in self.inits):
            self.finished = True
        elif pending_init is not None:
            if pending_init.proc is None and now >= pending_init.next_start:
                self.launch(pending_init, now)
        elif not self.finished:
            for c in self.mains:
                if c.done:
                    continue
                if c.agent:
                    if c.proc is None and now >= c.next_start:
                        self.launch(c, now)
                elif not c.running():
                    c.simulate_start(now)
                elif self.restart_policy != "Always" and now - c.started_at >= JOB_APP_SECONDS:
                    c.exited(now, 0)
            apps = [c for c in self.mains if not c.agent]
            if apps and all(c.done for c in apps) and self.restart_policy != "Always":
                self.finished = True
        self.write_status(now)

    def launch(self, c, now):
        try:
            c.start(now)
        except (OSError, KeyError, StopIteration) as e:
            log(f"{self.ns}/{self.name} {c.name}: cannot start: {e!r}")
            c.started_at = now
            c.exited(now, 128)

    def stop(self):
        for c in self.inits + self.mains:
            c.stop()

    def phase(self):
        everything = self.inits + self.mains
        if any(c.failed for c in everything):
            return "Failed"
        if self.finished and all(c.done or not c.running() for c in self.mains):
            return "Succeeded"
        if all(c.done for c in self.inits) and any(c.running() or c.done for c in self.mains):
            return "Running"
        return "Pending"

    def write_status(self, now):
        t0 = rfc3339(self.start_time)
        initialized = all(c.done for c in self.inits)
        unready = [c.name for c in self.mains if not (c.running() and not c.done)]
        ready = not unready and self.phase() == "Running"

        def cond(kind, ok, reason=None, message=None):
            c = {"type": kind, "status": "True" if ok else "False", "lastTransitionTime": t0}
            if not ok and reason:
                c["reason"] = reason
                c["message"] = message
            return c

        incomplete = [c.name for c in self.inits if not c.done]
        conds = [
            cond("PodReadyToStartContainers", True),
            cond("Initialized", initialized, "ContainersNotInitialized",
                 f"containers with incomplete status: [{' '.join(incomplete)}]"),
            cond("Ready", ready, "ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]"),
            cond("ContainersReady", ready, "ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]"),
            cond("PodScheduled", True),
        ]
        if self.phase() == "Succeeded":
            conds[2]["reason"] = conds[3]["reason"] = "PodCompleted"
            conds[2].pop("message", None)
            conds[3].pop("message", None)
        status = {
            "phase": self.phase(),
            "conditions": conds,
            "hostIP": os.environ["LAB_NODE_IP"],
            "hostIPs": [{"ip": os.environ["LAB_NODE_IP"]}],
            "podIP": self.pod_ip,
            "podIPs": [{"ip": self.pod_ip}],
            "startTime": t0,
            "qosClass": "Burstable",
            "initContainerStatuses": [c.status() for c in self.inits],
            "containerStatuses": [c.status() for c in self.mains],
        }
        # a condition's time is when it last changed
        if self.last_status:
            old = {c["type"]: c for c in self.last_status["conditions"]}
            for c in conds:
                prev = old.get(c["type"])
                c["lastTransitionTime"] = prev["lastTransitionTime"] if prev and prev["status"] == c["status"] else rfc3339(now)
        if status == self.last_status:
            return
        try:
            self.sup.kube.merge_patch(f"/api/v1/namespaces/{self.ns}/pods/{self.name}/status", {"status": status})
        except ApiError as e:
            if e.status != 404:
                log(f"{self.ns}/{self.name}: status update failed: {e}")
            return
        self.last_status = status
        done = status["phase"] in ("Succeeded", "Failed")
        if ready != self.last_ready or (done and not self.owner_told_done):
            self.last_ready = ready
            self.owner_told_done = done
            self.sup.owner_status(self, ready, status["phase"], now)


class Supervisor:
    def __init__(self):
        self.kube = Kube()
        self.lab_dir = os.environ["LAB_DIR"]
        self.node = os.environ["LAB_NODE_NAME"]
        self.bao = os.environ["LAB_BAO_BIN"]
        self.pid_dir = os.path.join(self.lab_dir, "run", "agents")
        os.makedirs(self.pid_dir, exist_ok=True)
        self.pods = {}
        self.stopping = False

    def pid_file(self, c):
        return os.path.join(self.pid_dir, f"{c.pod.ns}_{c.pod.name}_{c.name}.pid")

    def record_pid(self, c):
        with open(self.pid_file(c), "w", encoding="utf-8") as f:
            f.write(f"{c.proc.pid}\n")

    def forget_pid(self, c):
        try:
            os.unlink(self.pid_file(c))
        except FileNotFoundError:
            pass

    def owner_status(self, run, ready, phase, now):
        """The counts the ReplicaSet, Deployment and Job controllers write."""
        owners = run.pod["metadata"].get("ownerReferences", [])
        try:
            for o in owners:
                if o["kind"] == "ReplicaSet":
                    n = 1 if ready else 0
                    self.kube.merge_patch(
                        f"/apis/apps/v1/namespaces/{run.ns}/replicasets/{o['name']}/status",
                        {"status": {"readyReplicas": n, "availableReplicas": n}},
                    )
                    rs = self.kube.get(f"/apis/apps/v1/namespaces/{run.ns}/replicasets/{o['name']}")
                    for d in rs["metadata"].get("ownerReferences", []):
                        if d["kind"] == "Deployment":
                            self.kube.merge_patch(
                                f"/apis/apps/v1/namespaces/{run.ns}/deployments/{d['name']}/status",
                                {"status": {
                                    "readyReplicas": n, "availableReplicas": n, "unavailableReplicas": 1 - n,
                                    "conditions": [{
                                        "type": "Available", "status": "True" if ready else "False",
                                        "reason": "MinimumReplicasAvailable" if ready else "MinimumReplicasUnavailable",
                                        "message": "Deployment has minimum availability." if ready
                                        else "Deployment does not have minimum availability.",
                                        "lastUpdateTime": rfc3339(now), "lastTransitionTime": rfc3339(now),
                                    }],
                                }},
                            )
                elif o["kind"] == "Job" and phase in ("Succeeded", "Failed"):
                    ok = phase == "Succeeded"
                    kinds = ["SuccessCriteriaMet", "Complete"] if ok else ["FailureTarget", "Failed"]
                    status = {
                        "active": 0, "ready": 0,
                        "succeeded" if ok else "failed": 1,
                        "conditions": [{"type": k, "status": "True", "lastProbeTime": rfc3339(now),
                                        "lastTransitionTime": rfc3339(now),
                                        **({} if ok else {"reason": "BackoffLimitExceeded",
                                                          "message": "Job has reached the specified backoff limit"})}
                                       for k in kinds],
                    }
                    if ok:
                        status["completionTime"] = rfc3339(now)
                    self.kube.merge_patch(f"/apis/batch/v1/namespaces/{run.ns}/jobs/{o['name']}/status", {"status": status})
        except ApiError as e:
            log(f"{run.ns}/{run.name}: owner status update failed: {e}")

    def sync(self, now):
        pods = self.kube.get(
            "/api/v1/pods", labelSelector=f"{REAL_LABEL}=real", fieldSelector=f"spec.nodeName={self.node}"
        )["items"]
        seen = set()
        for p in pods:
            uid = p["metadata"]["uid"]
            if p["metadata"].get("deletionTimestamp"):
                continue
            seen.add(uid)
            if uid not in self.pods:
                try:
                    self.pods[uid] = PodRun(self, p)
                    log(f"{p['metadata']['namespace']}/{p['metadata']['name']}: admitted")
                except (ApiError, OSError) as e:
                    log(f"{p['metadata']['namespace']}/{p['metadata']['name']}: cannot admit yet: {e}")
        for uid in list(self.pods):
            if uid not in seen:
                run = self.pods.pop(uid)
                log(f"{run.ns}/{run.name}: gone; stopping its containers")
                run.stop()
                shutil.rmtree(run.dir, ignore_errors=True)
        for run in self.pods.values():
            run.step(now)

    def run(self):
        signal.signal(signal.SIGTERM, self.on_term)
        signal.signal(signal.SIGINT, self.on_term)
        log(f"watching pods labelled {REAL_LABEL}=real on {self.node}")
        while not self.stopping:
            try:
                self.sync(time.time())
            except ApiError as e:
                log(f"API error: {e}")
            except OSError as e:
                log(f"cannot reach the API server: {e}")
            for _ in range(10):
                if self.stopping:
                    break
                time.sleep(0.1)
        log("stopping every agent")
        for run in self.pods.values():
            run.stop()
        log("stopped")

    def on_term(self, *_):
        self.stopping = True


if __name__ == "__main__":
    Supervisor().run()
