#!/usr/bin/env bash
# The blameless lint on the real post-mortems of ../shared/data/postmortems (title, summary
# and body of each, one Markdown file per post-mortem), then all of them in one file, timed:
#   bash bench/lint.sh            (needs ../shared beside the repository)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED:-$repo/../shared}"
[ -d "$shared/data/postmortems" ] || { echo "error: $shared/data/postmortems not found (set SHARED)" >&2; exit 1; }
cd "$repo"
cargo build --release --locked -q
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
python3 - "$shared/data/postmortems" "$work" <<'PY'
import json, glob, sys
n = 0
for f in sorted(glob.glob(sys.argv[1] + "/*.jsonl")):
    for line in open(f, encoding="utf-8"):
        d = json.loads(line)
        text = "\n\n".join(x for x in (d.get("title"), d.get("summary"), d.get("body")) if x)
        if text:
            open(f"{sys.argv[2]}/{d['id']}.md", "w", encoding="utf-8").write(text)
            n += 1
print(f"{n} post-mortems")
PY
(cd "$work" && "$repo/target/release/debrief" lint --format json ./*.md > "$work/findings.json" || true)
python3 - "$work/findings.json" <<'PY'
import json, sys, collections
f = json.load(open(sys.argv[1]))
for (level, rule), n in sorted(collections.Counter((x["level"], x["rule"]) for x in f).items()):
    print(f"{level:10} {rule:22} {n}")
PY
cat "$work"/*.md > "$work/all.txt.md"
echo "one file of $(wc -c < "$work/all.txt.md") bytes:"
/usr/bin/time -f "  %e s, %M KiB" "$repo/target/release/debrief" lint "$work/all.txt.md" > /dev/null || true
/usr/bin/time -f "  start-up alone (--list-rules): %e s" "$repo/target/release/debrief" lint --list-rules > /dev/null
