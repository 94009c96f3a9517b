#!/usr/bin/env bash
# Extraction quality and speed on the public article-extraction benchmark's dev split
# (../shared/bench/extraction), beside Python trafilatura 2.0.0 on the same pages, same run.
#   bench/extraction.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
BENCH=${EXTRACTION_BENCH:-../shared/bench/extraction}
SCORE=${EXTRACT_SCORE:-../shared/tools/extract_score.py}
[ -d "$BENCH" ] || { echo "SKIP: $BENCH not found (needs ../shared)"; exit 0; }
WORK=${BENCH_WORK:-bench/work}/extraction; rm -rf "$WORK"; mkdir -p "$WORK"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
cargo bench -q --bench extraction -- "$BENCH/html" "$WORK/newsmirror" "$ROUNDS"
python3 "$SCORE" --gt "$BENCH/ground-truth.json" "$WORK/newsmirror"
# An approach measured beside it: the densest-block fallback alone (one parse, no trafilatura).
NEWSMIRROR_EXTRACTOR=densest cargo bench -q --bench extraction -- "$BENCH/html" "$WORK/densest" "$ROUNDS"
python3 "$SCORE" --gt "$BENCH/ground-truth.json" "$WORK/densest" | tail -1
# Python trafilatura 2.0.0, in a virtualenv of its own (not a project dependency).
VENV=${TRAFILATURA_VENV:-bench/work/venv-trafilatura}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "trafilatura==2.0.0" lxml_html_clean
fi
"$VENV/bin/python" - "$BENCH/html" "$WORK/trafilatura" "$ROUNDS" <<'PY'
import gzip, json, os, sys, time
import trafilatura
pages, out, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out, exist_ok=True)
docs = []
for name in sorted(os.listdir(pages)):
    raw = open(os.path.join(pages, name), "rb").read()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    docs.append((name.split(".")[0], raw.decode("utf-8", "replace")))
best = float("inf")
for r in range(rounds):
    t = time.perf_counter()
    for pid, html in docs:
        text = trafilatura.extract(html) or ""
        if r == 0:
            json.dump({"articleBody": text}, open(os.path.join(out, pid + ".json"), "w"))
    best = min(best, time.perf_counter() - t)
print(f"python trafilatura 2.0.0: {len(docs)} pages, best of {rounds} rounds {best:.3f}s, {len(docs)/best:.1f} pages/s")
PY
python3 "$SCORE" --gt "$BENCH/ground-truth.json" "$WORK/trafilatura"
