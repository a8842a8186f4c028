#!/usr/bin/env python3
"""The dashboard as a user meets it, for scripts/scale.sh: `vaultscope -A` on a
200x50 pseudo-terminal, timed from outside by what it writes to the screen.

    dash_latency.py BIN KUBECONFIG KUBECTL [--samples N] [--burst-namespaces N]

- first view: seconds from start until the dashboard says it has listed the
  cluster (its footer's "listed N pods in S s", written when every watcher has
  listed once: the counts on screen are the whole cluster's from then on).
- key latency: `?` is typed and the clock runs until the help's " Keys " title is
  written; `?` closes it again. Idle, then during a burst that annotates every pod
  of the first N scale-* namespaces (20 pods each) with `kubectl annotate`, four
  at a time.
- CPU per pod event: the dashboard's CPU during the burst over the pods annotated
  (each annotation is one watch event), as measured and net of the idle rate
  (its CPU over 20 idle seconds just before, which it spends anyway); and the
  same for `kubectl get pods -A --watch-only -o name` watching alongside.
- a new pod visible: with the list filtered to "probe" (`/probe` Enter), an
  injected pod probe-N is created and the clock runs until its name is written;
  idle, then right after the burst.

Prints one "key: value" line per figure (milliseconds unless named).
"""

import argparse
import fcntl
import json
import os
import pty
import random
import re
import struct
import subprocess
import sys
import termios
import threading
import time

ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>]")


class Screen:
    """What the dashboard wrote, without escape sequences, with a way to wait
    for a string written after a mark."""

    def __init__(self, fd):
        self.fd = fd
        self.text = b""
        self.cond = threading.Condition()
        self.closed = False
        # Bytes dropped from the front of `text`, so marks stay valid.
        self.dropped = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        pending = b""
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                with self.cond:
                    self.closed = True
                    self.cond.notify_all()
                return
            pending += chunk
            # Keep an escape sequence cut at the chunk's end for the next one.
            cut = pending.rfind(b"\x1b")
            if cut != -1 and len(pending) - cut < 32:
                done, pending = pending[:cut], pending[cut:]
            else:
                done, pending = pending, b""
            with self.cond:
                self.text += ANSI.sub(b"", done)
                # Only the recent output is searched.
                if len(self.text) > 4 << 20:
                    cut = len(self.text) - (1 << 20)
                    self.dropped += cut
                    self.text = self.text[cut:]
                self.cond.notify_all()

    def mark(self):
        with self.cond:
            return self.dropped + len(self.text)

    def wait_for(self, needle, mark, timeout):
        """Seconds until `needle` is in what was written after `mark`, or None."""
        start = time.monotonic()
        needle = needle.encode()
        with self.cond:
            while True:
                # The buffer may have been trimmed: search what is left.
                base = max(0, mark - self.dropped)
                if needle in self.text[base:]:
                    return time.monotonic() - start
                left = timeout - (time.monotonic() - start)
                if left <= 0 or self.closed:
                    return None
                self.cond.wait(left)


def ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


HZ = os.sysconf("SC_CLK_TCK")


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    i = min(len(v) - 1, max(0, int(round(p / 100 * (len(v) - 1)))))
    return v[i]


def summary(ms):
    return "median %.0f, p90 %.0f, p99 %.0f, max %.0f (n=%d)" % (
        pct(ms, 50), pct(ms, 90), pct(ms, 99), max(ms) if ms else float("nan"), len(ms))


def type_keys(fd, keys):
    os.write(fd, keys.encode())


def key_sample(fd, screen):
    """One `?`: milliseconds until the help is drawn; then it is closed."""
    m = screen.mark()
    type_keys(fd, "?")
    took = screen.wait_for(" Keys ", m, 10)
    type_keys(fd, "?")
    time.sleep(0.15)
    return None if took is None else took * 1000


def probe_pod(name):
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "scale-0000", "annotations": {
            "vault.hashicorp.com/agent-inject": "true",
            "vault.hashicorp.com/agent-inject-status": "injected",
            "vault.hashicorp.com/role": "app"}},
        "spec": {
            "initContainers": [{"name": "vault-agent-init", "image": "hashicorp/vault:1.17.3"}],
            "containers": [{"name": "app", "image": "registry.local/app:1.0"},
                           {"name": "vault-agent", "image": "hashicorp/vault:1.17.3"}]},
    }


class Proxy:
    """`kubectl proxy`, so a pod is created by one HTTP request and the clock
    starts when the API server has answered it (not when kubectl started)."""

    def __init__(self, kubectl, kc):
        self.p = subprocess.Popen([kubectl, "--kubeconfig", kc, "proxy", "--port=0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = self.p.stdout.readline().decode()
        m = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not m:
            raise SystemExit("dash_latency: kubectl proxy did not start: %r" % line)
        self.base = "http://127.0.0.1:%s" % m.group(1)

    def call(self, method, path, body=None):
        import urllib.request
        req = urllib.request.Request(self.base + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()

    def close(self):
        self.p.terminate()


def new_pod_visible(proxy, screen, n):
    # Only the cells that change are written: a name unlike the last one's
    # (whose row has gone by now) is written whole.
    tag = "".join(random.choice("bcdfghjkmnpqrstvwxz") for _ in range(10))
    name = "probe-" + tag
    m = screen.mark()
    proxy.call("POST", "/api/v1/namespaces/scale-0000/pods", probe_pod(name))
    # From the moment the API server answered the create.
    took = screen.wait_for(tag, m, 30)
    proxy.call("DELETE", "/api/v1/namespaces/scale-0000/pods/%s?gracePeriodSeconds=0" % name)
    time.sleep(2)
    return None if took is None else took * 1000


def annotate(a, value):
    """Every pod of the first --burst-namespaces scale-* namespaces annotated,
    four kubectl at a time."""
    namespaces = ["scale-%04d" % i for i in range(a.burst_namespaces)]
    stamp = "%s-%d" % (value, time.time())
    return subprocess.Popen(
        "printf '%s\\n' " + " ".join(namespaces) +
        " | xargs -P4 -I{} " + a.kubectl + " --kubeconfig " + a.kubeconfig +
        " annotate pods --all --overwrite -n {} scale.vaultscope.dev/burst=" + stamp,
        shell=True, stdout=subprocess.DEVNULL)


def settle(pid):
    """Until the dashboard's CPU is quiet for a second (the last events applied)."""
    last = ticks(pid)
    for _ in range(120):
        time.sleep(1)
        now = ticks(pid)
        if now - last <= HZ // 20:
            return
        last = now


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("kubeconfig")
    ap.add_argument("kubectl")
    ap.add_argument("--samples", type=int, default=30)
    ap.add_argument("--burst-namespaces", type=int, default=100)
    a = ap.parse_args()

    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        env = dict(os.environ, TERM="xterm-256color")
        os.execvpe(a.bin, [a.bin, "--kubeconfig", a.kubeconfig, "-A"], env)
    start = time.monotonic()
    screen = Screen(fd)
    try:
        took = screen.wait_for("listed ", 0, 180)
        if took is None:
            print("first_view_s: timeout")
            return 1
        took = time.monotonic() - start
        said = re.search(rb"listed ([0-9,]+) pods? in ([0-9.]+) s", screen.text)
        print("first_view_s: %.2f (it says: %s)" % (
            took, said.group(0).decode() if said else "?"))
        settle(pid)

        idle = [s for s in (key_sample(fd, screen) for _ in range(a.samples)) if s is not None]
        print("key_idle_ms: " + summary(idle))

        # The list filtered to the probe pods.
        type_keys(fd, "/probe\r")
        time.sleep(1)
        proxy = Proxy(a.kubectl, a.kubeconfig)
        visible = [v for v in (new_pod_visible(proxy, screen, i) for i in range(5))
                   if v is not None]
        print("new_pod_visible_idle_ms: " + summary(visible))
        type_keys(fd, "\x1b")  # the filter cleared
        time.sleep(1)

        # The idle rate, then a burst with no keys typed: the CPU it costs
        # per event. Side by side, kubectl watching the same pods
        # (`get pods -A --watch-only -o name`), measured the same way.
        kw = subprocess.Popen([a.kubectl, "--kubeconfig", a.kubeconfig, "get", "pods", "-A",
                               "--watch-only", "-o", "name"], stdout=subprocess.DEVNULL)
        # kubectl lists every pod before it watches (and prints none of them).
        time.sleep(2)
        settle(kw.pid)
        i0, k0, t_idle = ticks(pid), ticks(kw.pid), time.monotonic()
        time.sleep(20)
        idle_s = time.monotonic() - t_idle
        idle_rate = (ticks(pid) - i0) / HZ / idle_s
        k_idle_rate = (ticks(kw.pid) - k0) / HZ / idle_s
        c0, k0, t_burst = ticks(pid), ticks(kw.pid), time.monotonic()
        annotate(a, "quiet").wait()
        settle(pid)
        cpu = (ticks(pid) - c0) / HZ
        k_cpu = (ticks(kw.pid) - k0) / HZ
        spent = time.monotonic() - t_burst
        kw.kill()
        kw.wait()
        net = max(0.0, cpu - idle_rate * spent)
        k_net = max(0.0, k_cpu - k_idle_rate * spent)
        pods = 20 * a.burst_namespaces
        print("cpu_per_event_us: %.0f net of idle, %.0f as measured "
              "(%.2f s CPU over %.1f s for %d pod events, no keys typed; idle %.2f %% of a core)" % (
                  net / pods * 1e6, cpu / pods * 1e6, cpu, spent, pods, idle_rate * 100))
        print("kubectl_watch_cpu_per_event_us: %.0f net of idle, %.0f as measured "
              "(kubectl get pods -A --watch-only -o name, the same events)" % (
                  k_net / pods * 1e6, k_cpu / pods * 1e6))

        burst = annotate(a, "keys")
        t0 = time.monotonic()
        during = []
        while burst.poll() is None:
            s = key_sample(fd, screen)
            if s is not None:
                during.append(s)
        # The events still arriving after kubectl is done.
        end = time.monotonic() + 2
        while time.monotonic() < end:
            s = key_sample(fd, screen)
            if s is not None:
                during.append(s)
        print("burst_pods: %d in %.1f s" % (pods, time.monotonic() - t0))
        print("key_burst_ms: " + summary(during))
        type_keys(fd, "/probe\r")
        time.sleep(0.5)
        after = new_pod_visible(proxy, screen, 99)
        proxy.close()
        print("new_pod_visible_after_burst_ms: %s" % ("timeout" if after is None else "%.0f" % after))
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(("VmRSS", "VmHWM")):
                    print("%s: %d MB" % (line.split(":")[0], int(line.split()[1]) // 1024))
    finally:
        try:
            type_keys(fd, "\x1bq")
            time.sleep(0.5)
            os.kill(pid, 15)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
