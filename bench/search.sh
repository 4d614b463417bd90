#!/usr/bin/env bash
# Search and similar-incident figures, in one run (release build, SQLite):
#   1. relevance and latency on the public post-mortems (../shared/data/postmortems, imported
#      with `debrief import`) and the 40 hand-marked queries of bench/search-queries.tsv;
#   2. similar-incident suggestions against the danluu sections and the k8s stories' tags;
#   3. latency with 100,000 synthetic incidents (sentences of the post-mortems, shuffled),
#      and `debrief problems` on them,
#      made first when the store at $SYNTH (default /tmp/debrief-search-100k.db) has fewer.
#   bash bench/search.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
data="${DEBRIEF_DATA:-$repo/../shared/data/postmortems}"
[ -d "$data" ] || { echo "no post-mortems at $data (set DEBRIEF_DATA)" >&2; exit 1; }
cargo build --release --locked -q
cargo build --release --locked -q -p debrief-store --example search_bench
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bin="$repo/target/release/debrief"
bench="$repo/target/release/examples/search_bench"

echo "== import"
/usr/bin/time -f "import: %e s, %M KiB" "$bin" --database "$work/pm.db" import "$data"/*.jsonl

echo
echo "== relevance and latency, post-mortems"
"$bench" eval "$work/pm.db" bench/search-queries.tsv

echo
echo "== similar incidents"
"$bench" similar "$work/pm.db" "$data"

echo
echo "== latency, 100,000 synthetic incidents"
"$bench" synth "${SYNTH:-/tmp/debrief-search-100k.db}" 100000 "$data" bench/search-queries.tsv

echo
echo "== debrief problems, 100,000 synthetic incidents (compute, then list; twice: the second keeps the numbers)"
for run in 1 2; do
  /usr/bin/time -f "problems run $run: %e s wall, %U s user, %S s system, %M KiB" \
    "$bin" --database "${SYNTH:-/tmp/debrief-search-100k.db}" problems > /dev/null
done
