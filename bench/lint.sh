#!/usr/bin/env bash
# The blameless lint's figures, in one run:
#   1. precision and recall on every labelled set in crates/debrief-lint/tests/data, each with
#      a model learned from the other sets;
#   2. the share of sentences flagged, by level, in the real post-mortems of
#      ../shared/data/postmortems, and the error-level ones in full, to judge by eye;
#   3. speed: the default rules' compile time, and 1 MB of Markdown (the post-mortems
#      repeated, code fences dropped) linted in process, best of ten; then the whole
#      `debrief lint` process on that file.
#   bash bench/lint.sh            (needs ../shared beside the repository, or SHARED=…)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED:-$repo/../shared}"
[ -d "$shared/data/postmortems" ] || { echo "error: $shared/data/postmortems not found (set SHARED)" >&2; exit 1; }
cd "$repo"
cargo build --release --locked -q
cargo build --release --locked -q -p debrief-lint --examples

echo "== labelled sentences (blame = a warning or error expected); each set with a model"
echo "   learned from the other sets (--leave-out), then all of them with rules alone"
D=crates/debrief-lint/tests/data
target/release/examples/score "$D"/labelled-*.tsv --leave-out "$D"
printf 'rules alone: '
target/release/examples/score "$D"/labelled-*.tsv --no-model | tail -n 1

echo
echo "== real post-mortems ($shared/data/postmortems)"
target/release/examples/postmortems "$shared"/data/postmortems/*.jsonl --show error

work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
python3 - "$shared/data/postmortems" "$work/1mb.md" <<'PY'
import json, glob, sys
parts = []
for f in sorted(glob.glob(sys.argv[1] + "/*.jsonl")):
    for line in open(f, encoding="utf-8"):
        d = json.loads(line)
        text = "\n\n".join(x for x in (d.get("title"), d.get("summary"), d.get("body")) if x)
        # An unclosed fence would make the rest of the file code, which is not linted.
        parts.append("\n".join(l for l in text.split("\n")
                               if not l.lstrip().startswith(("```", "~~~", "<!--"))))
text = "\n\n".join(parts)
out = ""
while len(out.encode()) < 1_000_000:
    out += text + "\n\n"
open(sys.argv[2], "wb").write(out.encode()[:1_000_000].decode("utf-8", "ignore").encode())
PY
echo
echo "== speed"
cargo bench -q -p debrief-lint --bench lint -- "$work/1mb.md" --repeat 10 2>/dev/null
/usr/bin/time -f "  debrief lint, whole process on the 1 MB file: %e s, %M KiB" \
  target/release/debrief lint "$work/1mb.md" > /dev/null || true
