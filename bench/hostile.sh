#!/usr/bin/env bash
# Issue 12 findings against a binary, on loopback and a temp dir: SSRF (an item link to another
# local service), Markdown injection in lists/*.md, files beside the archive committed.
#   bench/hostile.sh BINARY
set -eu
BIN=$(realpath "$1"); W=$(mktemp -d /tmp/hostile-XXXXXX); mkdir -p "$W/internal" "$W/m"
echo "<html><body><article><p>INTERNAL-SECRET 内部服务的机密内容，不应被归档。内部服务的机密内容，不应被归档。内部服务的机密内容，不应被归档。</p></article></body></html>" > "$W/internal/secret.html"
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
(cd "$W/internal" && exec python3 -m http.server "$PORT" --bind 127.0.0.1 >/dev/null 2>&1) & SRV=$!
sleep 1
cd "$W/m" || exit 1
# Never run anywhere else: this makes a git repository and commits in the current folder.
[ "$(pwd)" = "$W/m" ] || exit 1
cat > feed.xml <<EOT
<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://example.org/</link><description>d</description>
<item><title>正常标题](https://evil.example/phish) [点这里</title><link>http://127.0.0.1:$PORT/secret.html</link><guid>1</guid><description>摘要</description></item>
</channel></rss>
EOT
printf '[archive]\ndir="."\n[publish]\ngit=true\n[[sources]]\nslug="s"\nname="S"\nfulltext="page"\nfeeds=["feed.xml"]\n' > c.toml
echo "password=hunter2" > secret.txt
git init -q -b main .
rc=0; "$BIN" update --config c.toml > out.txt 2>&1 || rc=$?; echo "exit $rc"
echo "SSRF: $(grep -l INTERNAL-SECRET -r articles | wc -l || true) article(s) hold the internal page"
echo "list entry: $(tail -2 lists/S.md | head -1)"
echo "committed outside the archive: $(git ls-files | grep -E 'secret|c.toml|feed.xml' | tr '\n' ' ' || true)"
grep -i "refused" out.txt | head -1 | cut -c1-200 || true
kill $SRV; rm -rf "$W"
