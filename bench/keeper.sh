#!/usr/bin/env bash
# A new keeper, timed: from a clone of newsmirror to a first pushed mirror (issue 16).
#   bench/keeper.sh                 # uses `newsmirror` from PATH (or NM=/path/to/newsmirror)
#   INSTALL=1 bench/keeper.sh       # also times `cargo install --locked --path .` (~10 min)
# The outlets' feeds are replaced by the bundled examples/feeds/ (no network needed) and
# GitHub by a bare repository on disk; every other step is the README's.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
TIMEFORMAT='%R'
step() { # name, command...
  local name=$1; shift
  local s; s=$( { time "$@" > "$W/out.txt" 2>&1; } 2>&1 ) || { cat "$W/out.txt"; exit 1; }
  printf '%-34s %8.2f s\n' "$name" "$s"
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
step "git clone" git clone -q "$SRC" "$W/newsmirror"
if [ "${INSTALL:-0}" = 1 ]; then
  step "cargo install --locked --path ." cargo install --locked --path "$W/newsmirror" --root "$W/root"
  NM="$W/root/bin/newsmirror"
fi
NM=${NM:-newsmirror}
step "newsmirror init --outlets dw,bbc" "$NM" init "$W/mirror" --outlets dw,bbc
sed -i -e "s|https://rss.dw.com/rdf/rss-chi-all|$W/newsmirror/examples/feeds/dw.xml|" \
       -e "s|https://feeds.bbci.co.uk/zhongwen/simp/rss.xml|$W/newsmirror/examples/feeds/bbc.xml|" \
       "$W/mirror/newsmirror.toml"
git -C "$W/mirror" -c user.name=k -c user.email=k@k commit -qam "feeds on disk"
git init -q --bare -b main "$W/remote.git"
step "git remote add + push" sh -c "git -C '$W/mirror' remote add origin '$W/remote.git' && git -C '$W/mirror' push -q -u origin HEAD"
step "first update (fetch, commit, push)" "$NM" update --config "$W/mirror/newsmirror.toml"
n=$(git -C "$W/remote.git" ls-tree -r --name-only main | grep -c '^articles/')
echo "pushed: $n articles in the remote"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
