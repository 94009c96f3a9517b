#!/usr/bin/env python3
"""gen_archive: a large mirror archive in the seed format, for scale benchmarks.

  gen_archive.py OUT --sources 20 --per-source 10000 [--new 50]

Writes OUT/archive/articles/site{k}/{id}.md (ids counting down from 1048574, newest smallest),
OUT/feeds-old/site{k}.xml (each source's 100 newest archived items: nothing new) and
OUT/feeds-new/site{k}.xml (the same plus NEW new items spread over the sources), and
OUT/{old,new}.toml configs pointing at them.
"""
import argparse, email.utils, html, os, random

WORDS = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴注"

def sentence(rng, n):
    return "".join(rng.choice(WORDS) for _ in range(n))

def item_xml(title, link, ms, content):
    return ("<item><title>" + html.escape(title) + "</title><link>" + link + "</link>"
            + "<guid isPermaLink=\"false\">" + link + "</guid><pubDate>"
            + email.utils.formatdate(ms / 1000, usegmt=True) + "</pubDate><description><![CDATA["
            + content + "]]></description></item>\n")

def feed(items):
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
            '<link>https://example.org/</link><description>d</description>\n' + "".join(items) + "</channel></rss>\n")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out"); ap.add_argument("--sources", type=int, default=20)
    ap.add_argument("--per-source", type=int, default=10000); ap.add_argument("--new", type=int, default=50)
    a = ap.parse_args()
    rng = random.Random(7)
    t_newest = 1718801223000
    for d in ("feeds-old", "feeds-new"):
        os.makedirs(os.path.join(a.out, d), exist_ok=True)
    for k in range(a.sources):
        folder = os.path.join(a.out, "archive", "articles", f"site{k}")
        os.makedirs(folder, exist_ok=True)
        recent = []
        for j in range(a.per_source):  # j = 0 is the oldest: it got the first id
            aid = 1048574 - j
            ms = t_newest - (a.per_source - 1 - j) * 3_600_000 - k * 1000
            title = sentence(rng, rng.randint(8, 20))
            link = f"https://site{k}.example/a/{j}.html"
            content = "".join(f"<p>{sentence(rng, rng.randint(40, 160))}</p>" for _ in range(rng.randint(4, 12)))
            with open(os.path.join(folder, f"{aid}.md"), "w", encoding="utf-8") as f:
                f.write(f"<!--{ms}-->\n[{title}]({link})\n------\n\n{content}\n")
            if j >= a.per_source - 100:
                recent.append(item_xml(title, link, ms, content))
        recent.reverse()
        with open(os.path.join(a.out, "feeds-old", f"site{k}.xml"), "w", encoding="utf-8") as f:
            f.write(feed(recent))
        new_here = a.new // a.sources + (1 if k < a.new % a.sources else 0)
        fresh = []
        for n in range(new_here):
            ms = t_newest + (n + 1) * 60_000
            fresh.append(item_xml(sentence(rng, 12), f"https://site{k}.example/new/{n}.html", ms,
                                  "".join(f"<p>{sentence(rng, 80)}</p>" for _ in range(6))))
        with open(os.path.join(a.out, "feeds-new", f"site{k}.xml"), "w", encoding="utf-8") as f:
            f.write(feed(list(reversed(fresh)) + recent))
    for which in ("old", "new"):
        with open(os.path.join(a.out, f"{which}.toml"), "w", encoding="utf-8") as f:
            f.write('[archive]\ndir = "archive"\n\n')
            for k in range(a.sources):
                f.write(f'[[sources]]\nslug = "site{k}"\nname = "站点{k}"\nfeeds = ["feeds-{which}/site{k}.xml"]\n\n')
    print(f"gen_archive: {a.sources * a.per_source} articles in {a.out}/archive")

if __name__ == "__main__":
    main()
