#!/usr/bin/env python3
"""hugo_site: the articles of a mirror as a Hugo site, for bench/reader.sh.

  hugo_site.py ARTICLES_DIR OUT

Each `articles/<slug>/<id>.md` (the mirror format: `<!--ms-->`, `[title](link)`, `------`,
HTML content) becomes `OUT/content/<slug>/<id>.md` with front matter (title, date, link) and the
same HTML as its body. Templates are minimal and do what newsmirror's pages do: a home page with
the sections and the newest 30, section lists paged by 50, one page per article with its title,
dates, original link and content; RSS per section (Hugo's default) stands for newsmirror's feeds.
"""
import datetime, json, os, sys

def main():
    src, out = sys.argv[1], sys.argv[2]
    content = os.path.join(out, "content")
    for slug in sorted(os.listdir(src)):
        d = os.path.join(content, slug)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "_index.md"), "w", encoding="utf-8") as f:
            f.write(f'---\ntitle: "{slug}"\n---\n')
        for name in os.listdir(os.path.join(src, slug)):
            text = open(os.path.join(src, slug, name), encoding="utf-8").read()
            head, _, body = text.partition("\n------\n")
            lines = head.split("\n")
            ms = int(lines[0][4:-3])
            title, _, link = lines[1][1:].rpartition("](")
            date = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).isoformat()
            with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                f.write("---\n" f"title: {json.dumps(title, ensure_ascii=False)}\n"
                        f"date: {date}\n" f"link: {json.dumps(link[:-1])}\n---\n" + body.strip() + "\n")
    layouts = os.path.join(out, "layouts", "_default")
    os.makedirs(layouts, exist_ok=True)
    head = ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<title>{{ .Title }}</title><link rel="stylesheet" href="{{ "style.css" | relURL }}"></head><body>'
            '<header><a href="{{ "/" | relURL }}">新闻镜像</a></header><main>')
    foot = '</main><footer>由 Hugo 生成</footer></body></html>'
    files = {
        "single.html": head + '<article><h1>{{ .Title }}</h1><p><a href="{{ .Parent.RelPermalink }}">'
            '{{ .Parent.Title }}</a> · 发布 <time>{{ .Date.UTC.Format "2006-01-02 15:04 UTC" }}</time></p>'
            '<p><a href="{{ .Params.link }}">原文链接</a></p><div class="content">{{ .Content }}</div></article>' + foot,
        "list.html": head + '<h1>{{ .Title }}</h1><ol>{{ range .Paginator.Pages }}<li><a href="{{ .RelPermalink }}">'
            '{{ .Title }}</a> <time>{{ .Date.UTC.Format "2006-01-02 15:04 UTC" }}</time></li>{{ end }}</ol>'
            '{{ with .Paginator.Prev }}<a href="{{ .URL }}">上一页</a>{{ end }}'
            '{{ with .Paginator.Next }}<a href="{{ .URL }}">下一页</a>{{ end }}' + foot,
    }
    for name, text in files.items():
        with open(os.path.join(layouts, name), "w", encoding="utf-8") as f:
            f.write(text)
    with open(os.path.join(out, "layouts", "index.html"), "w", encoding="utf-8") as f:
        f.write(head + '<h1>新闻镜像</h1><table>{{ range .Sections }}<tr><td><a href="{{ .RelPermalink }}">{{ .Title }}</a>'
                '</td><td>{{ len .Pages }}</td></tr>{{ end }}</table><ol>{{ range first 30 .Site.RegularPages.ByDate.Reverse }}'
                '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ol>' + foot)
    os.makedirs(os.path.join(out, "static"), exist_ok=True)
    with open(os.path.join(out, "static", "style.css"), "w") as f:
        f.write("body{max-width:46rem;margin:auto}\n")
    with open(os.path.join(out, "config.toml"), "w") as f:
        f.write('baseURL = "https://mirror.example/"\nlanguageCode = "zh-CN"\ntitle = "新闻镜像"\n'
                'paginate = 50\ndisableKinds = ["taxonomy", "term", "sitemap", "robotsTXT", "404"]\n'
                '[markup.goldmark.renderer]\nunsafe = true\n')

if __name__ == "__main__":
    main()
