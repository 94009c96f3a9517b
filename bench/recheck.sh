#!/usr/bin/env bash
# Benchmark: `recheck --now` of 10,000 recent articles against the loopback feed farm.
#   bench/recheck.sh [SITES] [ITEMS] [PER_HOST]   (default 100 100 2)
# Every site is on the farm's one host:port, so per_host bounds the whole run.
set -euo pipefail
cd "$(dirname "$0")/.."
SITES=${1:-100}; ITEMS=${2:-100}; PER_HOST=${3:-2}
FARM_PY=${FEEDFARM:-../shared/tools/feedfarm.py}
[ -f "$FARM_PY" ] || { echo "SKIP: $FARM_PY not found (needs ../shared)"; exit 0; }
BIN=target/release/newsmirror
[ -x "$BIN" ] || cargo build --release
WORK=${BENCH_WORK:-bench/work}/recheck; rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$FARM_PY" gen "$WORK/farm" --sites "$SITES" --items "$ITEMS" >/dev/null
python3 "$FARM_PY" serve "$WORK/farm" --portfile "$WORK/port" >/dev/null 2>&1 &
FARM=$!; trap 'kill $FARM 2>/dev/null' EXIT
for _ in $(seq 50); do [ -f "$WORK/port" ] && break; sleep 0.1; done
PORT=$(cat "$WORK/port")
{ echo '[archive]'; echo 'dir = "archive"'; echo '[fetch]'; echo "per_host = $PER_HOST"; echo 'concurrency = 16'; } > "$WORK/bench.toml"
for i in $(seq 0 $((SITES-1))); do
  printf '[[sources]]\nslug = "site%d"\nname = "站点%d"\nfeeds = ["http://127.0.0.1:%s/feeds/site%d.xml"]\n' "$i" "$i" "$PORT" "$i" >> "$WORK/bench.toml"
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$BIN" -q update --config "$WORK/bench.toml" || true
/usr/bin/time -f "%e %M" -o "$WORK/t" "$BIN" recheck --now --config "$WORK/bench.toml" | tee "$WORK/out"
n=$(grep -o '[0-9]* pages checked' "$WORK/out" | cut -d' ' -f1)
read -r secs rss < "$WORK/t"
echo "recheck --now: $n pages in ${secs}s, peak RSS ${rss} KB, per_host=$PER_HOST"
python3 -c "print(f'{$n/$secs:.0f} pages/s')"
# The same pages with curl, $PER_HOST at a time: the floor for this server.
find "$WORK/archive/articles" -name '*.md' | head -n "$n" | xargs -n 200 sed -s -n '2s/^\[.*\](\(.*\))$/\1/p' > "$WORK/links"
rm -f "$WORK"/chunk.*
awk -v n="$PER_HOST" -v w="$WORK" '{ f = w "/chunk." (NR % n); print "url = \"" $0 "\"\noutput = \"/dev/null\"" >> f }' "$WORK/links"
/usr/bin/time -f "%e" -o "$WORK/tc" sh -c 'for c in "$0"/chunk.*; do curl -s -K "$c" & done; wait' "$WORK"
echo "curl, $PER_HOST at a time, the same $(wc -l < "$WORK/links") pages: $(cat "$WORK/tc")s"
