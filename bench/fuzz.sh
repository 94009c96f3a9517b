#!/usr/bin/env bash
# Runs every cargo-fuzz target for DURATION seconds each (default 600), JOBS at a time
# (default 1), at low priority: bench/fuzz.sh DURATION [JOBS] [TARGET...]
#
# Stable Rust is enough: `cargo fuzz` is run with `--sanitizer none` (no AddressSanitizer,
# which needs nightly and its -Zsanitizer flag; Rust code is memory-safe and the targets look
# for panics, hangs, stack overflows and broken properties). The coverage instrumentation
# cargo-fuzz asks for (-Cpasses=sancov-module, -Cllvm-args=…) is accepted by stable rustc.
# Install once: `cargo install cargo-fuzz`.
#
# Each target starts from its seeds (fuzz/seeds/TARGET, committed) and a working corpus
# (fuzz/corpus/TARGET, not committed). A crash lands in fuzz/artifacts/TARGET/: copy it to
# tests/fixtures/fuzz/TARGET/ (the regression tests replay it), fix, commit. A summary per
# target is printed at the end (runs, coverage, crashes).
set -u
DURATION=${1:-600}; JOBS=${2:-1}; shift $(( $# > 2 ? 2 : $# ))
cd "$(dirname "$0")/../fuzz" || exit 1
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(feed sanitize extract article config search nesting)
# RUSTC_BOOTSTRAP is not needed with --sanitizer none (and would make cargo rebuild everything).
nice cargo fuzz build --sanitizer none 2>&1 | tail -1   # all targets at once
mkdir -p logs
run() {
  local t=$1
  mkdir -p "corpus/$t" "artifacts/$t"
  nice -n 15 cargo fuzz run --sanitizer none "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$DURATION" -timeout=30 -rss_limit_mb=3072 -max_len=2000000 \
    -print_final_stats=1 -fork=1 -ignore_crashes=1 > "logs/$t.log" 2>&1
  echo "$t: exit $? $(grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "logs/$t.log" | tail -1) crashes: $(ls "artifacts/$t" | wc -l)"
}
running=0
for t in "${TARGETS[@]}"; do
  run "$t" &
  running=$((running + 1))
  if [ $running -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait
