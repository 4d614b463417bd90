#!/usr/bin/env bash
# The blameless lint's figures, in one run:
#   1. precision and recall on the blind labelled sets, with the shipped rules and model;
#   2. on every other labelled set in crates/debrief-lint/tests/data, each with a model
#      learned from the other sets (leave one out);
#   3. the share of sentences flagged, by level, in the real post-mortems of
#      ../shared/data/postmortems, and the error-level ones in full, to judge by eye;
#   4. speed: the default rules' compile time, and 1 MB of Markdown (the post-mortems
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

D=crates/debrief-lint/tests/data
BLIND="$D/labelled-heldout41.tsv $D/labelled-heldout42.tsv $D/labelled-heldout45.tsv $D/labelled-heldout46.tsv $D/labelled-heldout47.tsv $D/labelled-heldout48.tsv"
echo "== blind sets: no rule was written for them and the shipped model did not learn from"
echo "   them (blame = a warning or error expected)"
target/release/examples/score $BLIND
printf 'rules alone: '
target/release/examples/score $BLIND --no-model | tail -n 1

echo
echo "== every other labelled set, each with a model learned from all the others (the rules"
echo "   have seen most of these: a guard, not a blind figure), then with rules alone"
cv="$(mktemp -d)"
for f in "$D"/labelled-*.tsv; do
  case " $BLIND " in *" $f "*) ;; *) ln -s "$repo/$f" "$cv/";; esac
done
target/release/examples/score "$cv"/*.tsv --leave-out "$cv"
printf 'rules alone: '
target/release/examples/score "$cv"/*.tsv --no-model | tail -n 1
rm -rf "$cv"

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
