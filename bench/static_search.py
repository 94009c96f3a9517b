#!/usr/bin/env python3
"""The static site's search beside Pagefind, on one site of N articles.

    bench/static_search.py WORK [--articles 10000] [--bin target/debug/newsmirror]

Articles are made of real sentences (the compat fixtures' feeds: real archived articles of
DW, BBC, VOA, RFI, NYT, RFA, CDT, Reuters, FT), shuffled into N articles of 8-30 sentences
over 10 sources, so that words and their frequencies are those of real news. Then:
`newsmirror update` (feed content), `newsmirror site`, Pagefind 1.x (`npx pagefind`, npm) over
the same pages, and in headless Chromium (playwright-core, npm; Debian's chromium) the same
queries against both, each in a fresh browser context (cold cache): time from the request to
results shown, and bytes transferred. Prints a table; writes WORK/static_search.json.
Needs NODE_PATH with playwright-core and pagefind (e.g. `npm install --prefix DIR
playwright-core pagefind`, then NODE_PATH=DIR/node_modules).
"""
import argparse
import email.utils
import glob
import html
import json
import os
import random
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUERIES = ["香港", "国安法", "新冠疫情", "特朗普", "臺灣 選舉", "中国 经济", "美国总统", "人权", "抗议活动", "北京"]


def corpus():
    sentences, titles = [], []
    for f in glob.glob(os.path.join(ROOT, "tests/fixtures/compat/feeds/*.xml")):
        t = open(f, encoding="utf-8").read()
        titles += [html.unescape(x).strip() for x in re.findall(r"<title>(.*?)</title>", t, re.S)[1:]]
        for d in re.findall(r"<description>(.*?)</description>", t, re.S):
            d = html.unescape(d.replace("<![CDATA[", "").replace("]]>", ""))
            text = re.sub(r"<[^>]+>", " ", d)
            sentences += [s.strip() + "。" for s in re.split(r"[。！？]", text) if len(s.strip()) > 8]
    return sentences, [t for t in titles if t]


def make(work, n, sources=10):
    rng = random.Random(15)
    sentences, titles = corpus()
    os.makedirs(os.path.join(work, "feeds"), exist_ok=True)
    start = 1_590_000_000
    per = n // sources
    cfg = ['[archive]\ndir = "archive"\n[web]\nbase_url = "http://127.0.0.1:18801/"\n']
    for s in range(sources):
        items = []
        for i in range(per):
            k = s * per + i
            title = rng.choice(titles)[:40] + f"（{k}）"
            body = "".join(f"<p>{rng.choice(sentences)}</p>" for _ in range(rng.randint(8, 30)))
            link = f"https://news{s}.example/a/{k}"
            date = email.utils.formatdate(start + k * 3000, usegmt=True)
            items.append(f"<item><title>{html.escape(title)}</title><link>{link}</link>"
                         f"<guid isPermaLink=\"false\">{link}</guid><pubDate>{date}</pubDate>"
                         f"<description><![CDATA[{body}]]></description></item>\n")
        with open(os.path.join(work, "feeds", f"s{s}.xml"), "w", encoding="utf-8") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
                    '<link>https://example.org/</link><description>d</description>\n'
                    + "".join(items) + "</channel></rss>\n")
        cfg.append(f'[[sources]]\nslug = "s{s}"\nname = "来源{s}"\nfulltext = "feed"\n'
                   f'feeds = ["feeds/s{s}.xml"]\n')
    with open(os.path.join(work, "newsmirror.toml"), "w") as f:
        f.write("\n".join(cfg))


def size(path):
    files = [p for p in glob.glob(os.path.join(path, "**"), recursive=True) if os.path.isfile(p)]
    return len(files), sum(os.path.getsize(p) for p in files)


BROWSER = r"""
const { chromium } = require('playwright-core');
const [site, queriesJson] = process.argv.slice(1);
const queries = JSON.parse(queriesJson);
(async () => {
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
  const out = [];
  for (const q of queries) {
    for (const engine of ['newsmirror', 'pagefind']) {
      const ctx = await b.newContext();
      const page = await ctx.newPage();
      const urls = [];
      page.on('requestfinished', (r) => {
        const u = r.url();
        if (u.includes('/search/') || u.includes('/pagefind/')) urls.push(u);
      });
      let ms, hits;
      if (engine === 'newsmirror') {
        const t0 = Date.now();
        await page.goto(site + 'search.html?q=' + encodeURIComponent(q));
        await page.waitForSelector('#status[data-ms]', { timeout: 30000 });
        ms = Number(await page.$eval('#status', (e) => e.getAttribute('data-ms')));
        hits = await page.$$eval('#hits li', (l) => l.length);
      } else {
        await page.goto(site + 'pagefind-bench.html');
        [ms, hits] = await page.evaluate(async (q) => {
          const t0 = performance.now();
          const pf = await import('/pagefind/pagefind.js');
          const r = await pf.search(q);
          const shown = await Promise.all(r.results.slice(0, 10).map((x) => x.data()));
          return [Math.round(performance.now() - t0), r.results.length];
        }, q);
      }
      await page.waitForTimeout(200);
      out.push({ q, engine, ms, hits, urls });
      console.error(JSON.stringify(out[out.length - 1]));
      await ctx.close();
    }
  }
  console.log(JSON.stringify(out));
  await b.close();
})();
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--articles", type=int, default=10000)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/debug/newsmirror"))
    ap.add_argument("--reuse", action="store_true", help="keep WORK's site if it is there")
    a = ap.parse_args()
    work = os.path.abspath(a.work)
    os.makedirs(work, exist_ok=True)
    cfg = os.path.join(work, "newsmirror.toml")
    site = os.path.join(work, "site")
    if not (a.reuse and os.path.isfile(os.path.join(site, "search/meta.json"))):
        make(work, a.articles)
        t = time.time()
        subprocess.run([a.bin, "-q", "update", "--config", cfg], check=True)
        print(f"update: {time.time() - t:.0f} s")
        t = time.time()
        subprocess.run([a.bin, "-q", "site", "--config", cfg, site], check=True)
        print(f"site: {time.time() - t:.0f} s")
    n_ours, b_ours = size(os.path.join(site, "search"))
    t = time.time()
    pagefind = os.path.join(os.environ.get("NODE_PATH", "node_modules"), ".bin", "pagefind")
    subprocess.run([pagefind, "--site", site, "--glob", "s/*/*.html", "--force-language", "zh"],
                   check=True, stdout=subprocess.DEVNULL)
    print(f"pagefind: {time.time() - t:.0f} s")
    n_pf, b_pf = size(os.path.join(site, "pagefind"))
    with open(os.path.join(site, "pagefind-bench.html"), "w") as f:
        f.write("<!DOCTYPE html><html lang=zh-CN><meta charset=utf-8><title>bench</title></html>\n")
    server = subprocess.Popen([sys.executable, "-m", "http.server", "18801", "--bind", "127.0.0.1",
                               "--directory", site], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        r = subprocess.run(["node", "-e", BROWSER, "http://127.0.0.1:18801/", json.dumps(QUERIES)],
                           check=True, capture_output=True, text=True)
    finally:
        server.terminate()
        server.wait()
    rows = json.loads(r.stdout)
    import gzip
    for x in rows:
        paths = [os.path.join(site, u.split("/", 3)[3].split("?")[0]) for u in x.pop("urls")]
        x["files"] = len(paths)
        raw = [open(p, "rb").read() for p in paths if os.path.isfile(p)]
        # As a static host sends them: JSON gzip-compressed; Pagefind's files are already.
        x["bytes"] = sum(len(gzip.compress(b, 6)) if x["engine"] == "newsmirror" else len(b)
                         for b in raw)
        x["raw"] = sum(len(b) for b in raw)
    res = {"articles": a.articles, "newsmirror_index": {"files": n_ours, "bytes": b_ours},
           "pagefind_index": {"files": n_pf, "bytes": b_pf}, "queries": rows}
    json.dump(res, open(os.path.join(work, "static_search.json"), "w"), ensure_ascii=False, indent=1)
    print(f"index for {a.articles} articles: newsmirror {b_ours / 1e6:.1f} MB in {n_ours} files; "
          f"pagefind {b_pf / 1e6:.1f} MB in {n_pf} files")
    print("| query | newsmirror ms | KB | files | hits | pagefind ms | KB | files | hits |")
    for q in QUERIES:
        m = next(x for x in rows if x["q"] == q and x["engine"] == "newsmirror")
        p = next(x for x in rows if x["q"] == q and x["engine"] == "pagefind")
        print(f"| {q} | {m['ms']} | {m['bytes'] / 1024:.0f} | {m['files']} | {m['hits']} | "
              f"{p['ms']} | {p['bytes'] / 1024:.0f} | {p['files']} | {p['hits']} |")
    for e in ("newsmirror", "pagefind"):
        xs = sorted(x["ms"] for x in rows if x["engine"] == e)
        kb = sorted(x["bytes"] / 1024 for x in rows if x["engine"] == e)
        print(f"{e}: median {xs[len(xs) // 2]} ms, median transfer {kb[len(kb) // 2]:.0f} KB")


if __name__ == "__main__":
    main()
