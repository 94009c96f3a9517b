#!/usr/bin/env bash
# Benchmark: what durability costs. newsmirror update against the loopback feed farm, cold
# (empty archive) and rerun (every feed answers 304), for the build before the commit protocol
# (OLD_BIN) and this one with each way of flushing (NEWSMIRROR_FLUSH=none | syncfs | fsync),
# in the same rounds, interleaved, with curl's download floor beside them.
#
#   OLD_BIN=path/to/old/newsmirror bench/durability.sh [SITES] [ITEMS] [ROUNDS]   (default 50 100 5)
#
# Needs ../shared/tools/feedfarm.py (skips with a message when it is missing), curl, GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
SITES=${1:-50}; ITEMS=${2:-100}; ROUNDS=${3:-5}
FARM_PY=${FEEDFARM:-../shared/tools/feedfarm.py}
[ -f "$FARM_PY" ] || { echo "SKIP: $FARM_PY not found (needs ../shared)"; exit 0; }
BIN=${BIN:-target/release/newsmirror}
[ -x "$BIN" ] || cargo build --release
OLD_BIN=${OLD_BIN:-}
WORK=${BENCH_WORK:-bench/work}/durability; rm -rf "$WORK"; mkdir -p "$WORK"
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
t() { /usr/bin/time -f "%e" -o "$WORK/t" "$@" >/dev/null 2>"$WORK/err" || cat "$WORK/err"; cat "$WORK/t"; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(df -T "$WORK" | awk 'NR==2{print $2}') at $WORK"
variants="new:none new:syncfs new:fsync"
[ -n "$OLD_BIN" ] && variants="old:- $variants"
echo "round variant cold_s rerun_s curl_s"
for r in $(seq "$ROUNDS"); do
  c=$(t xargs -P8 -n1 curl -s -o /dev/null < "$WORK/urls")
  for v in $variants; do
    b=${v%%:*}; f=${v##*:}
    bin=$BIN; [ "$b" = old ] && bin=$OLD_BIN
    rm -rf "$WORK/archive"; sync
    cold=$(NEWSMIRROR_FLUSH=$f t "$bin" -q update --config "$WORK/bench.toml")
    rerun=$(NEWSMIRROR_FLUSH=$f t "$bin" -q update --config "$WORK/bench.toml")
    echo "$r $v $cold $rerun $c"
  done
done | tee "$WORK/rounds"
python3 - "$WORK/rounds" <<'PY'
import statistics, sys, collections
rows = [l.split() for l in open(sys.argv[1]) if l[0].isdigit()]
by = collections.defaultdict(list)
for r in rows: by[r[1]].append(r)
curl = statistics.median(float(r[4]) for r in rows)
base = by.get("old:-") or by["new:none"]
b_cold = statistics.median(float(r[2]) for r in base)
b_rerun = statistics.median(float(r[3]) for r in base)
print(f"medians (curl {curl:.3f}s); ratios to {'old' if 'old:-' in by else 'new:none'}")
for v, rs in by.items():
    cold = statistics.median(float(r[2]) for r in rs)
    rerun = statistics.median(float(r[3]) for r in rs)
    print(f"{v:12} cold {cold:.3f}s ({cold/b_cold:.2f}x, {cold/curl:.2f}x curl)  rerun {rerun:.3f}s ({rerun/b_rerun:.2f}x, {rerun/curl:.2f}x curl)")
PY
