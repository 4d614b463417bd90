#!/usr/bin/env bash
# How fast `debrief serve` starts: from spawning the process to the first 200 from /healthz,
# on an SQLite store that exists already (the first run of the loop creates it), 20 runs.
#   bash bench/serve.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
cargo build --release --locked -q
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
python3 - "$repo/target/release/debrief" "$work/store.db" <<'PY'
import socket, statistics, subprocess, sys, time
binary, db = sys.argv[1], sys.argv[2]
times = []
for run in range(21):
    start = time.perf_counter()
    p = subprocess.Popen([binary, "--database", db, "serve", "--listen", "127.0.0.1:0"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    addr = p.stderr.readline().strip().rsplit("http://", 1)[1]
    host, port = addr.rsplit(":", 1)
    while True:
        try:
            s = socket.create_connection((host, int(port)))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = s.recv(100)
            s.close()
            if answer.startswith(b"HTTP/1.1 200"):
                break
        except OSError:
            time.sleep(0.001)
    took = (time.perf_counter() - start) * 1000
    p.terminate(); p.wait()
    if run > 0:  # the first run creates the store
        times.append(took)
times.sort()
print(f"spawn to first /healthz 200, {len(times)} runs: median {statistics.median(times):.1f} ms, "
      f"max {times[-1]:.1f} ms, min {times[0]:.1f} ms")
PY
