#!/usr/bin/env python3
"""Render the lab's container log fixtures into CRI-format log files for kwok.

Fixture: scripts/lab/logs/<namespace>/<pod>/<container>.log, lines
    <offset_seconds> TAB <stdout|stderr> TAB <text>
where <text> may contain {ts} (hclog timestamp, 2006-01-02T15:04:05.000Z) or {iso}
(RFC 3339 with milliseconds), both for base_time + offset. Lines starting with '#' are skipped.

Output: <out_dir>/<namespace>/<pod>/<container>.log, one CRI line per fixture line:
    2026-11-28T18:00:00.123456789Z stderr F <text>
which is what kubelet/CRI runtimes write and what kwok (k8s.io/cri-client/pkg/logs) parses.

usage: render_logs.py FIXTURE_DIR OUT_DIR [BASE_EPOCH_SECONDS]
"""
import os
import sys
import time
from datetime import datetime, timezone


def main() -> int:
    src, out = sys.argv[1], sys.argv[2]
    base = float(sys.argv[3]) if len(sys.argv) > 3 else time.time()
    count = 0
    for root, _dirs, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith(".log"):
                continue
            rel = os.path.relpath(os.path.join(root, name), src)
            dst = os.path.join(out, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            lines = []
            with open(os.path.join(root, name), encoding="utf-8") as f:
                for seq, raw in enumerate(f):
                    raw = raw.rstrip("\n")
                    if not raw or raw.startswith("#"):
                        continue
                    off, stream, text = raw.split("\t", 2)
                    # distinct, increasing nanoseconds for lines sharing an offset
                    t = base + float(off) + seq * 1e-4
                    dt = datetime.fromtimestamp(t, tz=timezone.utc)
                    nanos = int(round((t - int(t)) * 1e9)) % 1_000_000_000
                    cri_ts = dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{nanos:09d}Z"
                    ms = dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{nanos // 1_000_000:03d}Z"
                    text = text.replace("{ts}", ms).replace("{iso}", ms)
                    lines.append(f"{cri_ts} {stream} F {text}\n")
            with open(dst, "w", encoding="utf-8") as f:
                f.writelines(lines)
            count += 1
    print(f"rendered {count} log files into {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
