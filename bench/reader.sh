#!/usr/bin/env bash
# Reader benchmarks on generated archives (bench/gen_archive.py, the seed format):
#   1. search over SOURCES x PER_SOURCE articles (default 200,000): latency p50/p99 of 40 Chinese
#      words, in-process as `serve` runs them (benches/search.rs) and over HTTP, beside
#      `rg -l -F WORD articles/` (how a reader searches a cloned mirror today);
#   2. `serve`: wrk against an article page (and the search page), requests/s and p99;
#   3. `site` for SITE_SOURCES x 10,000 articles (default 100,000) beside Hugo building the same
#      articles as Markdown pages with minimal templates, both from scratch, then both again.
#   bench/reader.sh [SOURCES] [PER_SOURCE] [SITE_SOURCES]
# Needs: wrk, hugo, ripgrep (Debian: apt-get install wrk hugo ripgrep).
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCES=${1:-20}; PER=${2:-10000}; SITE_SOURCES=${3:-10}
BIN=$PWD/target/release/newsmirror
[ -x "$BIN" ] || cargo build --release
for t in wrk hugo rg; do command -v $t >/dev/null || { echo "needs $t (apt-get install wrk hugo ripgrep)"; exit 2; }; done
W=$PWD/bench/work/reader
mkdir -p "$W"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "peers: $(rg --version | sed -n 1p), $(hugo version | cut -d' ' -f1-2), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
tm() { /usr/bin/time -f "%e s, %M KB" "$@"; }

PARTS=${PARTS:-search serve site}   # PARTS="serve site" skips the search part, and so on
part() { [[ " $PARTS " == *" $1 "* ]]; }

# ---- 1. search ---------------------------------------------------------------------------
G=$W/gen-$SOURCES-$PER
if [ ! -f "$G/.done" ]; then
  rm -rf "$G"; python3 bench/gen_archive.py "$G" --sources "$SOURCES" --per-source "$PER" --new 0
  touch "$G/.done"
fi
if [ ! -f "$G/archive/.newsmirror/newsmirror.sqlite" ]; then
  echo "== database from the files (update on a fresh clone)"
  tm "$BIN" -q update --config "$G/old.toml"
fi
if [ ! -f "$G/archive/.newsmirror/search/meta.json" ] || [ -n "${REINDEX:-}" ]; then
  echo "== reindex: the search index built from the database"
  tm "$BIN" -q reindex --config "$G/old.toml"
fi
du -sh "$G/archive/articles" "$G/archive/.newsmirror/search" | sed 's/^/   size: /'
python3 - "$G" > "$W/queries.txt" <<'EOF'
import os, random, re, sys
rng = random.Random(11)
root = os.path.join(sys.argv[1], "archive", "articles")
sources = sorted(os.listdir(root))
out = []
while len(out) < 40:
    d = os.path.join(root, rng.choice(sources))
    f = rng.choice(os.listdir(d))
    title = open(os.path.join(d, f), encoding="utf-8").read().split("\n")[1]
    title = re.sub(r"^\[(.*)\]\(.*\)$", r"\1", title)
    n = rng.choice([2, 2, 3])
    i = rng.randrange(0, max(1, len(title) - n))
    w = title[i:i + n]
    if len(w) == n and w not in out:
        out.append(w)
print("\n".join(out))
EOF
if part search; then
echo "== search, in-process (as serve runs it: top 20 with snippets)"
cargo bench -q --bench search -- "$G/old.toml" "$W/queries.txt" 5 2>/dev/null | grep '^search:'
echo "== ripgrep -l -F over the same articles/ (warm cache)"
python3 - "$G/archive/articles" "$W/queries.txt" <<'EOF'
import subprocess, sys, time
root, qs = sys.argv[1], open(sys.argv[2], encoding="utf-8").read().split()
subprocess.run(["rg", "-l", "-F", "--", qs[0], root], stdout=subprocess.DEVNULL)
times, files = [], 0
for rnd in range(2):
    for q in qs:
        t = time.perf_counter()
        r = subprocess.run(["rg", "-l", "-F", "--", q, root], stdout=subprocess.PIPE)
        times.append((time.perf_counter() - t) * 1000)
        files += r.stdout.count(b"\n")
times.sort()
p = lambda x: times[min(len(times) - 1, int(len(times) * x))]
print(f"ripgrep: {len(qs)} queries x 2 rounds: p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms ({files // 2} files matched per round)")
EOF

fi

# ---- 2. serve --------------------------------------------------------------------------------
if part serve; then
PORT=18731
"$BIN" -q serve --config "$G/old.toml" --addr 127.0.0.1:$PORT & SERVE=$!
trap 'kill $SERVE 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
echo "== search over HTTP (one client, sequential)"
python3 - "$PORT" "$W/queries.txt" <<'EOF'
import http.client, sys, time, urllib.parse
port, qs = int(sys.argv[1]), open(sys.argv[2], encoding="utf-8").read().split()
c = http.client.HTTPConnection("127.0.0.1", port)
times = []
for rnd in range(4):
    for q in qs:
        t = time.perf_counter()
        c.request("GET", "/search?q=" + urllib.parse.quote(q)); r = c.getresponse(); r.read()
        assert r.status == 200
        if rnd: times.append((time.perf_counter() - t) * 1000)
times.sort()
p = lambda x: times[min(len(times) - 1, int(len(times) * x))]
print(f"http search: p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms")
EOF
ID=$(basename "$(find "$G/archive/articles/site0" -name '*.md' -print -quit)" .md)
for path in "/s/site0/$ID" "/s/site0/" "/search?q=$(python3 -c 'import urllib.parse;print(urllib.parse.quote("中国"))')"; do
  echo "== wrk -t2 -c32 -d15s $path (wrk shares the 2 cores with the server)"
  wrk -t2 -c32 -d15s --latency "http://127.0.0.1:$PORT$path" | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors'
done
kill $SERVE; wait $SERVE 2>/dev/null || true; trap - EXIT
fi

# ---- 3. site vs Hugo ---------------------------------------------------------------------------
part site || exit 0
S=$W/gen-site-$SITE_SOURCES
if [ ! -f "$S/.done" ]; then
  rm -rf "$S"; python3 bench/gen_archive.py "$S" --sources "$SITE_SOURCES" --per-source 10000 --new 0
  "$BIN" -q update --config "$S/old.toml"
  python3 bench/hugo_site.py "$S/archive/articles" "$S/hugo"
  touch "$S/.done"
fi
echo "== site: $(find "$S/archive/articles" -name '*.md' | wc -l) articles"
rm -rf "$S/out" "$S/hugo/public" "$S/hugo/resources"
sync
echo -n "newsmirror site (fresh): "; tm "$BIN" -q site --config "$S/old.toml" "$S/out" 2>&1 | tail -1
echo -n "hugo (fresh):            "; (cd "$S/hugo" && tm hugo --quiet 2>&1 | tail -1)
echo -n "newsmirror site (rerun): "; tm "$BIN" -q site --config "$S/old.toml" "$S/out" 2>&1 | tail -1
echo -n "hugo (rerun):            "; (cd "$S/hugo" && tm hugo --quiet 2>&1 | tail -1)
echo "   pages: newsmirror $(find "$S/out" -name '*.html' | wc -l), hugo $(find "$S/hugo/public" -name '*.html' | wc -l)"
