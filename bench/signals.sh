#!/usr/bin/env bash
# The signals benchmarks in one run, beside the peers measured on the same machine:
#   bash bench/signals.sh            (needs ../shared beside the repository)
# 1. Accuracy on the ten Loghub systems (message only, then raw lines with headers), with
#    drain3's defaults scored by the same script.
# 2. Throughput on mixed_1M.log (raw lines): `wc -l`, drain3 (mining loop, input in memory),
#    debrief's mining pass on one thread and on two (reading the file included), and the
#    peak memory of a whole `debrief signals parse` run.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED:-$repo/../shared}"
inputs="${INPUTS:-/tmp/debrief-bench}"
[ -d "$shared/data/loghub" ] || { echo "error: $shared/data/loghub not found (set SHARED)" >&2; exit 1; }

cd "$repo"
cargo build --release --locked -q
cargo bench -p debrief-signals --bench throughput --no-run -q 2>/dev/null
export PATH="$repo/target/release:$PATH"
[ -s "$inputs/mixed_1M.log" ] || bash "$shared/bench/make-inputs.sh" "$inputs" >/dev/null
py="$(bash "$shared/bench/setup-peers.sh" | tail -1)"

echo "== accuracy, message only (loghub_accuracy.py)"
python3 "$shared/bench/loghub_accuracy.py" "$shared/data/loghub" \
  --cmd 'debrief signals parse --header none --output csv {input}' \
  --kinds "$shared/data/labels/template_kinds.csv"
echo "== accuracy, raw lines (--raw, headers found automatically)"
python3 "$shared/bench/loghub_accuracy.py" "$shared/data/loghub" --raw \
  --cmd 'debrief signals parse --output csv {input}' \
  --kinds "$shared/data/labels/template_kinds.csv"
echo "== accuracy, drain3 defaults"
"$py" "$shared/bench/loghub_accuracy.py" "$shared/data/loghub" --drain3 | tail -1

f="$inputs/mixed_1M.log"
echo "== throughput on $f"
t0=$(date +%s.%N); wc -l "$f" >/dev/null; t1=$(date +%s.%N)
echo "wc -l: $(echo "$t1 - $t0" | bc) s"
"$py" "$shared/bench/drain3_throughput.py" "$f" --repeat 1
# Best of ten runs of a third of a second each: one run of debrief is short enough to fall
# whole into a slow spell of a shared machine, where drain3's twenty seconds average over it.
cargo bench -p debrief-signals --bench throughput -q -- "$f" --threads 1 --repeat 10 2>/dev/null | tail -1
cargo bench -p debrief-signals --bench throughput -q -- "$f" --threads 2 --repeat 10 2>/dev/null | tail -1
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "debrief signals parse (two passes, 2 threads): %e s, peak RSS %M KiB" \
    debrief signals parse "$f" >/dev/null
else
  echo "(install GNU time, Debian package 'time', for the peak memory of a whole parse run)"
fi
