#!/usr/bin/env python3
"""Reads feeds with newsboat (Debian's) and checks what it stored: every feed has items, and
every item a title, an author, a date and content. Prints counts; exit status 1 on a gap.

    python3 scripts/newsboat-check.py WORK_DIR URL...
"""
import os
import sqlite3
import subprocess
import sys


def read(work, url):
    """newsboat reads one feed into a cache of its own (it keeps one item per guid, and the
    Atom and RSS feeds of a source share their guids)."""
    urls_file = os.path.join(work, "urls")
    with open(urls_file, "w") as f:
        f.write(url + "\n")
    conf = os.path.join(work, "config")
    with open(conf, "w") as f:
        f.write("download-timeout 20\n")
    cache = os.path.join(work, "cache.db")
    if os.path.exists(cache):
        os.remove(cache)
    run = subprocess.run(
        ["newsboat", "-u", urls_file, "-c", cache, "-C", conf, "-x", "reload"],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, HOME=work, XDG_CONFIG_HOME=work, XDG_DATA_HOME=work))
    if run.returncode != 0:
        print(f"{url}: newsboat failed:", run.stderr.strip() or run.stdout.strip())
        return None
    return sqlite3.connect(cache)


def main(work, urls):
    os.makedirs(work, exist_ok=True)
    gaps = 0
    total = 0
    for url in urls:
        db = read(work, url)
        if db is None:
            gaps += 1
            continue
        rows = db.execute(
            "SELECT title, author, pubDate, length(content) FROM rss_item WHERE feedurl = ?",
            (url,)).fetchall()
        total += len(rows)
        missing = {
            "title": sum(1 for r in rows if not (r[0] or "").strip()),
            "author": sum(1 for r in rows if not (r[1] or "").strip()),
            "date": sum(1 for r in rows if not r[2]),
            "content": sum(1 for r in rows if not r[3]),
        }
        bad = sum(missing.values()) + (0 if rows else 1)
        gaps += bad
        print(f"{url}: {len(rows)} items" + ("" if not bad else f", missing {missing}"))
    print(f"newsboat: {len(urls)} feeds, {total} items, {gaps} gaps")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
