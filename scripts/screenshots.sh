#!/usr/bin/env bash
# A look in a real browser: archives the compat fixtures (real articles) into a temporary
# archive, starts `serve` on it, and saves screenshots of the home page, a list, an article and
# a search result from headless Chromium, at phone and desktop widths.
#   scripts/screenshots.sh [OUT_DIR]        (default target/screenshots)
# Needs Debian's chromium (apt-get install chromium); not part of `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(realpath -m "${1:-target/screenshots}")
# The binary of the current sources (BIN=... to choose another).
[ -n "${BIN:-}" ] || { cargo build -q; BIN=target/debug/newsmirror; }
CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$CHROME" ] || { echo "needs chromium (apt-get install chromium)"; exit 2; }
W=$(mktemp -d); trap 'kill $SERVE 2>/dev/null || true; rm -rf "$W"' EXIT; SERVE=
mkdir -p "$OUT"
cp -r tests/fixtures/compat/feeds "$W/feeds"
sed 's/^feeds = \[/fulltext = "feed"\nfeeds = [/' tests/fixtures/compat/sources.toml > "$W/newsmirror.toml"
"$BIN" -q update --config "$W/newsmirror.toml"
PORT=18733
"$BIN" -q serve --config "$W/newsmirror.toml" --addr 127.0.0.1:$PORT & SERVE=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
ID=$(ls "$W/archive/articles/dw" | sort | tail -1 | sed 's/\.md$//')
Q=$(python3 -c 'import urllib.parse; print(urllib.parse.quote("香港"))')
shot() { # name url width height
  "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$W/profile" --hide-scrollbars --window-size="$3,$4" \
    --screenshot="$OUT/$1.png" "$2" >/dev/null 2>&1
  echo "$OUT/$1.png"
}
for size in "phone 390 1400" "desktop 1280 1000"; do
  set -- $size
  shot "home-$1" "http://127.0.0.1:$PORT/" "$2" "$3"
  shot "list-$1" "http://127.0.0.1:$PORT/s/dw/" "$2" "$3"
  shot "article-$1" "http://127.0.0.1:$PORT/s/dw/$ID" "$2" "$3"
  shot "search-$1" "http://127.0.0.1:$PORT/search?q=$Q" "$2" "$3"
done
