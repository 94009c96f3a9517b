#!/usr/bin/env bash
# Nested elements, before and after: the same pages through two newsmirror binaries, one
# after the other in the same run. For each of <b><i>×30,000, <span>×100,000 and
# <div>×100,000, one element with 120,000 attributes, <span>×100,000 + </x>×100,000 and
# <math><mi>×110,000 + </mx>×110,000 (about 1 MB each, around a real article's text; PAGES="bi
# div" picks some) it times:
#   extract  `newsmirror extract PAGE`
#   update   an update whose feed links to the page (fulltext = "page", served on loopback)
#   site     `newsmirror site` of an archive holding the page as feed content
#   serve    one GET of that article's page from `newsmirror serve`
# Each step is cut at LIMIT seconds (default 120). A crash shows its exit code.
#
#   bench/nested.sh OLD_BINARY NEW_BINARY [LIMIT]
set -u
OLD=${1:?old binary}; NEW=${2:?new binary}; LIMIT=${3:-120}
W=$(mktemp -d /tmp/nested-XXXXXX) || exit 1; trap 'kill $SRV 2>/dev/null; rm -rf "$W"' EXIT
python3 - "$W" <<'PY'
import html, sys, os
w = sys.argv[1]
text = "<p>" + "这是一段正常的新闻正文，讲述事件的经过与各方的反应。" * 12 + "</p>"
pages = {"bi": ("<b><i>", "</i></b>", 30000), "span": ("<span>", "</span>", 100000),
         "div": ("<div>", "</div>", 100000),
         # attack-hostile F1/F2: one element with 120,000 attributes; unmatched end tags under
         # deep inline nesting (`</x>` after `<span>`s, `</mx>` after MathML `<mi>`s).
         "attrs": ("<div " + " ".join(f"a{i}=1" for i in range(120000)) + ">", "</div>", 1),
         "endx": ("<span>" * 100000 + "</x>" * 100000, "", 1),
         "mathend": ("<math>" + "<mi>" * 110000 + "</mx>" * 110000 + "</math>", "", 1),
         # Adoption agency, foster parenting and wide pages (not in the default PAGES).
         "aaa": ("<b><div>x" + "</b>" * 250000, "", 1),
         "aaaspan": ("<b><div>" + "<span>" * 250 + "x" + "</b>" * 250000, "", 1),
         "fmtattrs": ("".join(f"<b a={i}>" for i in range(83000)), "", 1),
         "foster": ("<table><tr><td>" * 200 + "<table>" + "x<i>" * 50000, "", 1),
         "anchors": ("x<a>" * 250000, "", 1),
         "nobr": ("<nobr>" * 140000, "", 1),
         "bdiv": ("<b><div>x</b>" * 66000, "", 1)}
for name, (o, c, n) in pages.items():
    page = "<html><body><article>" + text + o * n + "深处的文字" + c * n + text + "</article></body></html>"
    open(f"{w}/{name}.html", "w").write(page)
    item = lambda link, content: (f"<item><title>{name}</title><link>{link}</link><guid>{name}</guid>"
        f"<pubDate>Wed, 19 Jun 2024 12:47:03 GMT</pubDate><description>{html.escape(content)}</description></item>")
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://example.org/</link><description>d</description>'
    open(f"{w}/{name}-page.xml", "w").write(head + item("PAGEURL", "<p>摘要</p>") + "</channel></rss>")
    open(f"{w}/{name}-content.xml", "w").write(head + item(f"https://example.org/{name}", page) + "</channel></rss>")
PY
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
(cd "$W" && exec python3 -m http.server "$PORT" --bind 127.0.0.1 >/dev/null 2>&1) & SRV=$!
sleep 1
for f in "$W"/*-page.xml; do sed -i "s#PAGEURL#http://127.0.0.1:$PORT/$(basename "$f" -page.xml).html#" "$f"; done

# timed CMD...: prints seconds (or "killed"/"exit N") for one command.
timed() {
  local s e rc
  s=$(date +%s.%N)
  timeout "$LIMIT" "$@" >/dev/null 2>"$W/err"; rc=$?
  e=$(date +%s.%N)
  if [ $rc -eq 124 ]; then echo ">${LIMIT}s (killed)"
  elif [ $rc -ne 0 ] && [ $rc -ne 1 ]; then printf '%.2fs, exit %d' "$(echo "$e - $s" | bc)" $rc
  else printf '%.2fs' "$(echo "$e - $s" | bc)"; fi
}

serve_once() { # BIN CONFIG: starts serve, times one article page, stops it
  local bin=$1 cfg=$2 port s e out
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  "$bin" serve --config "$cfg" --addr "127.0.0.1:$port" >/dev/null 2>&1 & local pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  s=$(date +%s.%N)
  out=$(curl -s -m "$LIMIT" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/s/n/1048574")
  e=$(date +%s.%N)
  kill $pid 2>/dev/null; wait $pid 2>/dev/null
  printf '%.2fs (HTTP %s)' "$(echo "$e - $s" | bc)" "$out"
}

echo "| page | step | old | new |"
echo "|---|---|---|---|"
for name in ${PAGES:-bi span div attrs endx mathend}; do
  for step in extract update site serve; do
    row="| $name | $step"
    for bin in "$OLD" "$NEW"; do
      d="$W/run-$step"; rm -rf "$d"; mkdir -p "$d"
      case $step in
        extract) r=$(timed "$bin" extract "$W/$name.html") ;;
        update)
          printf '[archive]\ndir="a"\n[fetch]\ntimeout="%ss"\n[[sources]]\nslug="n"\nname="N"\nfulltext="page"\nfeeds=["%s"]\n' \
            "$LIMIT" "http://127.0.0.1:$PORT/$name-page.xml" > "$d/c.toml"
          r=$(timed "$bin" update --config "$d/c.toml") ;;
        site|serve)
          printf '[archive]\ndir="a"\n[[sources]]\nslug="n"\nname="N"\nfulltext="feed"\nfeeds=["%s"]\n' \
            "$W/$name-content.xml" > "$d/c.toml"
          timeout "$LIMIT" "$bin" update --config "$d/c.toml" >/dev/null 2>&1
          if [ $step = site ]; then r=$(timed "$bin" site --config "$d/c.toml" "$d/out")
          else r=$(serve_once "$bin" "$d/c.toml"); fi ;;
      esac
      row="$row | $r"
    done
    echo "$row |"
  done
done
