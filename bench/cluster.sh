#!/usr/bin/env bash
# Benchmark: a cluster on PostgreSQL.
#   1. throughput of 1, 2 and 4 `worker --once` processes on SOURCES feeds whose responses take
#      200 ms each, one loopback port per source (so `per_host` is never the limit), each
#      worker fetching CONC feeds at a time; scaling = throughput(N) / (N × throughput(1));
#   2. the same `update` (one process) on SQLite and on PostgreSQL, side by side;
#   3. peak RSS of a worker (/usr/bin/time -v).
# Needs NEWSMIRROR_TEST_POSTGRES (a postgres:// URL; `source .ci/postgres.sh` starts one) and psql.
#   bench/cluster.sh [SOURCES] [ITEMS] [CONC] [ROUNDS]   (default 96 10 2 3)
#   DELAY_MS=0 bench/cluster.sh …   answers at once: what the store itself costs
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCES=${1:-96}; ITEMS=${2:-10}; CONC=${3:-2}; ROUNDS=${4:-3}; DELAY_MS=${DELAY_MS:-200}
: "${NEWSMIRROR_TEST_POSTGRES:?set it (source .ci/postgres.sh)}"
BIN=$PWD/target/release/newsmirror
[ -x "$BIN" ] || cargo build --release
WORK=$(mktemp -d /tmp/newsmirror-bench-cluster.XXXXXX)
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# The loopback farm: SOURCES ports, each answering /feed.xml after DELAY_MS (threaded).
cat >"$WORK/farm.py" <<'PY'
import http.server, socketserver, sys, threading, time
n, items, portfile, delay = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4]) / 1000
def feed(i):
    its = "".join(
        f"<item><title>源{i} 第{k}篇：新闻标题 {k}</title><link>https://s{i}.example/a/{k}</link>"
        f"<guid>https://s{i}.example/a/{k}</guid><pubDate>Wed, 19 Jun 2024 {k % 24:02d}:00:00 GMT</pubDate>"
        f"<description><![CDATA[<p>{'这是正文的一段，讲述发生的事情。' * 20}</p><p>第{k}篇。</p>]]></description></item>"
        for k in range(items))
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>源{i}</title><link>https://s{i}.example/</link><description>d</description>{its}</channel></rss>'.encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(delay)
        body = feed(self.server.i)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
ports = []
for i in range(n):
    s = S(("127.0.0.1", 0), H); s.i = i; ports.append(s.server_address[1])
    threading.Thread(target=s.serve_forever, daemon=True).start()
open(portfile, "w").write("\n".join(map(str, ports)))
threading.Event().wait()
PY
python3 "$WORK/farm.py" "$SOURCES" "$ITEMS" "$WORK/ports" "$DELAY_MS" & SERVER_PID=$!
for _ in $(seq 100); do [ -s "$WORK/ports" ] && break; sleep 0.1; done

# config STORE_LINES → a config in its own folder; prints its path.
config() {
  local d; d=$(mktemp -d "$WORK/c.XXXX")
  { printf '%s\n' "$1"
    # Feeds only: no removal rechecks of the new pages (a workload of its own).
    printf '[archive]\ndir = "archive"\n\n[history]\nrecheck_for = "0s"\n\n[fetch]\nconcurrency = %s\nper_host = 2\n\n' "$CONC"
    local i=0
    while read -r port || [ -n "$port" ]; do
      printf '[[sources]]\nslug = "s%s"\nname = "源%s"\nfulltext = "feed"\nfeeds = ["http://127.0.0.1:%s/feed.xml"]\n\n' "$i" "$i" "$port"
      i=$((i + 1))
    done <"$WORK/ports"
  } >"$d/sources.toml"
  echo "$d/sources.toml"
}
# A fresh schema on the server; prints its URL.
schema() {
  local s="bench_$$_$(date +%s%N)"
  psql -q "$NEWSMIRROR_TEST_POSTGRES" -c "CREATE SCHEMA $s" >/dev/null
  local sep='?'; case "$NEWSMIRROR_TEST_POSTGRES" in *\?*) sep='&';; esac
  echo "${NEWSMIRROR_TEST_POSTGRES}${sep}options=-c%20search_path%3D$s"
}
now() { date +%s.%N; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "feeds: $SOURCES sources, one port each, $ITEMS items, $DELAY_MS ms per response; fetch.concurrency = $CONC per worker"
declare -A BEST
for r in $(seq "$ROUNDS"); do
  for n in 1 2 4; do
    url=$(schema); cfg=$(config "[store]
url = \"$url\"
claim = $CONC")
    # The tables made before the clock starts (`status` opens the store, fetches nothing).
    "$BIN" -q status --config "$cfg" >/dev/null 2>&1 || true
    t0=$(now); pids=()
    rm -f "$WORK"/w.*
    for i in $(seq "$n"); do "$BIN" -q worker --once --config "$cfg" >"$WORK/w.$i" 2>&1 & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p"; done
    t1=$(now)
    got=$(psql -tA "$url" -c "SELECT COUNT(*) FROM articles")
    [ "$got" -eq $((SOURCES * ITEMS)) ] || { echo "only $got articles:"; cat "$WORK"/w.*; }
    secs=$(echo "$t1 - $t0" | bc -l)
    rate=$(echo "$SOURCES / $secs" | bc -l)
    printf 'round %s: %s worker(s): %.2f s, %s articles, %.2f sources/s\n' "$r" "$n" "$secs" "$got" "$rate"
    prev=${BEST[$n]:-0}
    if (( $(echo "$rate > $prev" | bc -l) )); then BEST[$n]=$rate; fi
  done
done
one=${BEST[1]}
for n in 1 2 4; do
  printf 'best of %s: %s worker(s) %.2f sources/s = %.2f × linear\n' "$ROUNDS" "$n" "${BEST[$n]}" "$(echo "${BEST[$n]} / ($n * $one)" | bc -l)"
done

echo "-- the same update, one process: SQLite beside PostgreSQL (seconds, peak RSS KB)"
for r in $(seq "$ROUNDS"); do
  cs=$(config "")
  /usr/bin/time -f "%e %M" -o "$WORK/t" "$BIN" -q update --config "$cs" >/dev/null 2>&1 || true
  read -r sq sqm <"$WORK/t"
  url=$(schema); cp=$(config "[store]
url = \"$url\"")
  /usr/bin/time -f "%e %M" -o "$WORK/t" "$BIN" -q update --config "$cp" >/dev/null 2>&1 || true
  read -r pg pgm <"$WORK/t"
  echo "round $r: sqlite ${sq}s ${sqm}KB | postgres ${pg}s ${pgm}KB"
done

echo "-- peak RSS of one worker (all $SOURCES sources, /usr/bin/time -v)"
url=$(schema); cfg=$(config "[store]
url = \"$url\"
claim = $CONC")
/usr/bin/time -v "$BIN" -q worker --once --config "$cfg" 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed"
