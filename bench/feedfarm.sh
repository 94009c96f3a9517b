#!/usr/bin/env bash
# Benchmark: newsmirror update against a loopback feed farm, beside curl's download floor.
#
#   bench/feedfarm.sh [SITES] [ITEMS] [ROUNDS]     (default 50 100 5)
#
# Sources take the feed content (fulltext = "feed"): this measures the feed pipeline against
# curl fetching the same feeds; bench/recheck.sh exercises page fetching.
# Needs ../shared/tools/feedfarm.py (skips with a message when it is missing), curl and GNU time.
# Prints, per round: curl floor (50 feeds, 8 at a time), first update (empty archive), rerun
# (same feeds, database present), and the ratios; then the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
SITES=${1:-50}; ITEMS=${2:-100}; ROUNDS=${3:-5}
FARM_PY=${FEEDFARM:-../shared/tools/feedfarm.py}
[ -f "$FARM_PY" ] || { echo "SKIP: $FARM_PY not found (needs ../shared)"; exit 0; }
BIN=target/release/newsmirror
[ -x "$BIN" ] || cargo build --release
WORK=${BENCH_WORK:-bench/work}/feedfarm; rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$FARM_PY" gen "$WORK/farm" --sites "$SITES" --items "$ITEMS" >/dev/null
python3 "$FARM_PY" serve "$WORK/farm" --portfile "$WORK/port" >/dev/null 2>&1 &
FARM=$!; trap 'kill $FARM 2>/dev/null' EXIT
for _ in $(seq 50); do [ -f "$WORK/port" ] && break; sleep 0.1; done
PORT=$(cat "$WORK/port")
: > "$WORK/urls"
{ echo '[archive]'; echo 'dir = "archive"'; } > "$WORK/bench.toml"
for i in $(seq 0 $((SITES-1))); do
  u="http://127.0.0.1:$PORT/feeds/site$i.xml"; echo "$u" >> "$WORK/urls"
  printf '[[sources]]\nslug = "site%d"\nname = "站点%d"\nfulltext = "feed"\nfeeds = ["%s"]\n' "$i" "$i" "$u" >> "$WORK/bench.toml"
done
t() { /usr/bin/time -f "%e %M" -o "$WORK/t" "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err"; }; cat "$WORK/t"; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "round curl_s first_s first_rss_kb rerun_s rerun_rss_kb first/curl rerun/curl cp_s first/(curl+cp)"
for r in $(seq "$ROUNDS"); do
  read -r c _ < <(t xargs -P8 -n1 curl -s -o /dev/null < "$WORK/urls")
  rm -rf "$WORK/archive"
  read -r f fm < <(t "$BIN" -q update --config "$WORK/bench.toml")
  read -r s sm < <(t "$BIN" -q update --config "$WORK/bench.toml")
  # The file-creation floor: copying the articles the first run wrote.
  rm -rf "$WORK/copy"; read -r cp _ < <(t cp -r "$WORK/archive/articles" "$WORK/copy")
  echo "$r $c $f $fm $s $sm $(python3 -c "print(f'{$f/$c:.2f} {$s/$c:.2f} {$cp} {$f/($c+$cp):.2f}')")"
done | tee "$WORK/rounds"
python3 - "$WORK/rounds" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l[0].isdigit()]
col = lambda i: statistics.median(float(r[i]) for r in rows)
print(f"median: curl {col(1):.3f}s  first {col(2):.3f}s ({col(3)/1024:.0f} MB)  rerun {col(4):.3f}s ({col(5)/1024:.0f} MB)"
      f"  first/curl {col(6):.2f}  rerun/curl {col(7):.2f}  cp {col(8):.3f}s  first/(curl+cp) {col(9):.2f}")
PY
echo "farm stats: $(curl -s "http://127.0.0.1:$PORT/_stats" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("requests", sum(d["requests"].values()), "304s", d["not_modified"])')"
