#!/usr/bin/env bash
# Benchmark: an archive of 200,000 articles.
#   1. rebuild the database from the files (update with the database deleted, nothing new);
#   2. with the database present, an update whose feeds carry 50 new articles (plus 100 known
#      items per source to be recognised as repeats).
#   bench/scale.sh [SOURCES] [PER_SOURCE] [ROUNDS]   (default 20 10000 3)
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCES=${1:-20}; PER=${2:-10000}; ROUNDS=${3:-3}
BIN=target/release/newsmirror
[ -x "$BIN" ] || cargo build --release
WORK=bench/work/scale
if [ ! -f "$WORK/.done-$SOURCES-$PER" ]; then
  rm -rf "$WORK"; mkdir -p "$WORK"
  python3 bench/gen_archive.py "$WORK/gen" --sources "$SOURCES" --per-source "$PER" --new 50
  touch "$WORK/.done-$SOURCES-$PER"
fi
G=$WORK/gen
t() { /usr/bin/time -f "%e %M" -o "$WORK/t" "$@" >"$WORK/out" 2>"$WORK/err" || true; cat "$WORK/t"; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "articles: $(find "$G/archive/articles" -name '*.md' | wc -l)"
for r in $(seq "$ROUNDS"); do
  # Back to the generated state: no database, no new files.
  rm -rf "$G/archive/.newsmirror" "$G/archive/lists" "$G/archive/README.md"
  find "$G/archive/articles" -name '*.md' -newer "$WORK/.done-$SOURCES-$PER" -delete
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  read -r rb rbm < <(t "$BIN" -q update --config "$G/old.toml")
  read -r up upm < <(t "$BIN" -q update --config "$G/new.toml")
  added=$(find "$G/archive/articles" -name '*.md' -newer "$WORK/.done-$SOURCES-$PER" | wc -l)
  echo "round $r: rebuild ${rb}s ${rbm}KB | update +$added articles ${up}s ${upm}KB"
done
