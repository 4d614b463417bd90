#!/usr/bin/env bash
# The server's figures, in one run (release build, SQLite store, load from other processes
# on loopback):
#   1. start: from spawning `debrief serve` to the first 200 from /healthz, 20 runs;
#   2. `GET /api/v1/incidents/{id}` at 500 requests a second for 20 s with 10,000 incidents
#      (made first through the API), latency percentiles; then the web UI's incident page
#      `/incidents/{id}` the same way, over all incidents and for the full example review
#      INC-101 (timeline, fishbone, why-chains) alone;
#   3. OTLP ingest: protobuf batches of 5,000 log records on 2 connections for 20 s, lines
#      accepted a second, and the server's resident memory every second.
#   bash bench/serve.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
cargo build --release --locked -q
cargo build --release --locked -q -p debrief-server --examples
bin="$repo/target/release/debrief"
work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill -TERM "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "== start-up"
python3 - "$bin" "$work/start.db" <<'PY'
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

# One server for the load runs.
db="$work/load.db"
token="$("$bin" --database "$db" token create --role writer --name bench 2>/dev/null)"
"$bin" --database "$db" serve --listen 127.0.0.1:0 2> "$work/serve.log" &
server=$!
for _ in $(seq 50); do grep -q "http://" "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
addr="$(grep -o 'http://[0-9.:]*' "$work/serve.log" | head -n 1 | sed 's|http://||')"

echo
echo "== API latency"
target/release/examples/api_load "$addr" "$token" 10000 500 20
# A full review in place of synthetic INC-101, for the page run below.
"$bin" --database "$db" review import --replace examples/reviews/INC-101-*.md 2>/dev/null
echo
echo "== incident page latency"
target/release/examples/api_load "$addr" "$token" 10000 500 20 page
target/release/examples/api_load "$addr" "$token" 10000 500 20 page 101

echo
echo "== OTLP ingest"
( for _ in $(seq 22); do ps -o rss= -p "$server"; sleep 1; done ) > "$work/rss" &
sampler=$!
target/release/examples/otlp_load "$addr" "$token" 20 5000 2
wait "$sampler"
echo "server resident memory, KiB, every second: $(tr -s ' \n' ' ' < "$work/rss")"
