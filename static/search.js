// newsmirror: search on the static site, the site's only script (its page's policy allows
// this file alone, by its hash). The index (search/, built by `newsmirror site`) holds the
// words of every article as the server's index cuts them (jieba, traditional characters
// folded to simplified); this script cuts a query with the index's own vocabulary (the
// fewest words that cover it) and loads only the shards of the words it needs.
(function () {
  'use strict';

  var HAN = /[\u3400-\u9fff\uf900-\ufaff]/;
  var WORDCHAR = /[\p{L}\p{N}]/u;
  var MAX_WORD = 8;
  var SHOWN = 20;

  function hex(ch) {
    return ch.codePointAt(0).toString(16);
  }

  // The shard of a word: its first character, or its first two for words in ASCII letters
  // or digits and for split shards (as the index was written).
  function keyOf(chars, split) {
    var one = hex(chars[0]);
    var ascii = chars[0].codePointAt(0) < 128;
    if (!ascii && split.indexOf(one) < 0) return one;
    return chars.length > 1 ? one + '-' + hex(chars[1]) : one + '-0';
  }

  function decode(list) {
    var out = [];
    var doc = 0;
    for (var i = 0; i + 1 < list.length; i += 2) {
      doc += list[i];
      out.push([doc, list[i + 1]]);
    }
    return out;
  }

  // load(path) gives a promise of the parsed JSON file at search/<path>.
  function Searcher(load) {
    this.load = load;
    this.files = {};
    this.loaded = [];
  }

  Searcher.prototype.json = function (path) {
    if (!this.files[path]) {
      var load = this.load;
      this.loaded.push(path);
      this.files[path] = Promise.resolve().then(function () { return load(path); });
    }
    return this.files[path];
  };

  // The query folded as the index was: ASCII letters lower case, traditional characters
  // simplified.
  Searcher.prototype.fold = async function (query) {
    var q = query.replace(/[A-Z]/g, function (c) { return c.toLowerCase(); });
    if (!HAN.test(q)) return q;
    var table = await this.json('fold.json');
    return Array.from(q).map(function (c) { return table[c] || c; }).join('');
  };

  // The words of a query: runs of letters and digits; runs of Chinese characters cut into
  // the fewest index words that cover them (a character no word covers stays a word of its
  // own, which finds nothing).
  Searcher.prototype.words = async function (folded, meta) {
    var runs = [];
    var cur = [];
    var han = null;
    Array.from(folded).forEach(function (c) {
      var isWord = WORDCHAR.test(c);
      var isHan = HAN.test(c);
      if (!isWord || (cur.length && isHan !== han)) {
        if (cur.length) runs.push({ chars: cur, han: han });
        cur = [];
      }
      if (isWord) {
        cur.push(c);
        han = isHan;
      }
    });
    if (cur.length) runs.push({ chars: cur, han: han });
    var self = this;
    var words = [];
    for (var r = 0; r < runs.length; r++) {
      var run = runs[r];
      if (!run.han) {
        words.push(run.chars.join(''));
        continue;
      }
      var s = run.chars;
      var shards = await Promise.all(s.map(function (_, i) {
        return self.json('t/' + keyOf(s.slice(i), meta.split) + '.json').catch(function () { return {}; });
      }));
      var known = function (i, len) {
        return shards[i][s.slice(i, i + len).join('')] !== undefined;
      };
      // best[i]: fewest words covering s[i..]; ties go to the longer first word.
      var n = s.length;
      var best = new Array(n + 1).fill(Infinity);
      var step = new Array(n + 1).fill(1);
      best[n] = 0;
      for (var i = n - 1; i >= 0; i--) {
        best[i] = 1 + best[i + 1];
        step[i] = 1;
        for (var len = Math.min(MAX_WORD, n - i); len >= 2; len--) {
          if (known(i, len) && 1 + best[i + len] < best[i]) {
            best[i] = 1 + best[i + len];
            step[i] = len;
          }
        }
      }
      for (var j = 0; j < n; j += step[j]) words.push(s.slice(j, j + step[j]).join(''));
    }
    return words;
  };

  // Searches: {total, hits: [{source, slug, id, title, date, iso, lead}], words}.
  Searcher.prototype.search = async function (query, source) {
    var meta = await this.json('meta.json');
    var folded = await this.fold(query.trim());
    var words = (await this.words(folded, meta)).filter(function (w, i, all) {
      return all.indexOf(w) === i;
    });
    if (!words.length) return { total: 0, hits: [], words: [] };
    var self = this;
    var lists = await Promise.all(words.map(function (w) {
      var chars = Array.from(w);
      return self.json('t/' + keyOf(chars, meta.split) + '.json').then(function (shard) {
        return decode(shard[w] || []);
      }, function () { return []; });
    }));
    lists.sort(function (a, b) { return a.length - b.length; });
    var scores = new Map();
    var idf = function (df) { return Math.log(1 + meta.docs / Math.max(df, 1)); };
    // A weight of 100 and more: the word is in the title, which ranks the document above
    // those that have it only in their text (as the server's search does).
    var part = function (w) {
      return w >= 100 ? 1000 + Math.log(1 + w - 100) : Math.log(1 + w);
    };
    lists[0].forEach(function (p) { scores.set(p[0], idf(lists[0].length) * part(p[1])); });
    for (var k = 1; k < lists.length && scores.size; k++) {
      var next = new Map();
      var w = idf(lists[k].length);
      lists[k].forEach(function (p) {
        if (scores.has(p[0])) next.set(p[0], scores.get(p[0]) + w * part(p[1]));
      });
      scores = next;
    }
    var docs = Array.from(scores.keys());
    if (source) {
      var want = meta.sources.findIndex(function (s) { return s[0] === source; });
      var of = await this.json('sources.json');
      docs = docs.filter(function (d) { return of[d] === want; });
    }
    docs.sort(function (a, b) { return (scores.get(b) - scores.get(a)) || (b - a); });
    return { total: docs.length, docs: docs, hits: await this.hits(docs.slice(0, SHOWN)), words: words };
  };

  // The documents `docs` (numbers) with their titles, sources and dates.
  Searcher.prototype.hits = async function (docs) {
    var self = this;
    var meta = await this.json('meta.json');
    var blocks = {};
    await Promise.all(docs.map(function (d) {
      var b = Math.floor(d / meta.block);
      return self.json('d/' + b + '.json').then(function (rows) { blocks[b] = rows; });
    }));
    return docs.map(function (d) {
      var row = blocks[Math.floor(d / meta.block)][d % meta.block];
      var src = typeof row[0] === 'number' ? meta.sources[row[0]] : [row[0], row[0]];
      return { slug: src[0], source: src[1], id: row[1], title: row[2], date: row[3], iso: row[4], lead: row[5] || '' };
    });
  };

  // Marks the query's words in a title (positions found in the folded title, which has the
  // title's characters one for one).
  function marked(doc, title, foldedTitle, words) {
    var chars = Array.from(title);
    var folded = Array.from(foldedTitle);
    var on = new Array(chars.length).fill(false);
    words.forEach(function (w) {
      var wc = Array.from(w);
      for (var i = 0; i + wc.length <= folded.length; i++) {
        var same = true;
        for (var j = 0; j < wc.length && same; j++) same = folded[i + j] === wc[j];
        if (same) for (var m = 0; m < wc.length; m++) on[i + m] = true;
      }
    });
    var frag = doc.createDocumentFragment();
    var i = 0;
    while (i < chars.length) {
      var j = i;
      while (j < chars.length && on[j] === on[i]) j++;
      var text = doc.createTextNode(chars.slice(i, j).join(''));
      if (on[i]) {
        var m = doc.createElement('mark');
        m.appendChild(text);
        frag.appendChild(m);
      } else {
        frag.appendChild(text);
      }
      i = j;
    }
    return frag;
  }

  // Whether a text is in traditional characters (as the pages decide: about one Chinese
  // character in seven or more differs from its simplified form).
  function traditional(text, folded) {
    var a = Array.from(text);
    var f = Array.from(folded);
    var han = 0;
    var trad = 0;
    for (var i = 0; i < a.length; i++) {
      if (!HAN.test(a[i])) continue;
      han++;
      if (f[i] !== a[i]) trad++;
    }
    return trad >= 2 && trad * 100 >= han * 15;
  }

  async function run(doc, win) {
    var form = doc.getElementById('search');
    if (!form) return;
    var base = form.getAttribute('data-index') || 'search/';
    var params = new URLSearchParams(win.location.search);
    var q = (params.get('q') || '').slice(0, 200);
    var source = params.get('source') || '';
    form.elements.q.value = q;
    form.elements.source.value = source;
    var status = doc.getElementById('status');
    var list = doc.getElementById('hits');
    if (!q.trim()) return;
    status.textContent = '正在搜索……';
    var started = win.performance.now();
    var s = new Searcher(function (path) {
      return win.fetch(base + path).then(function (r) {
        if (!r.ok) throw new Error(path + ': ' + r.status);
        return r.json();
      });
    });
    var more = doc.getElementById('more');
    var show = async function (hits, words) {
      var folds = await Promise.all(hits.map(function (h) { return s.fold(h.title); }));
      var leads = await Promise.all(hits.map(function (h) { return s.fold(h.lead); }));
      hits.forEach(function (h, i) {
        var li = doc.createElement('li');
        var a = doc.createElement('a');
        a.href = 's/' + encodeURIComponent(h.slug) + '/' + h.id + '.html';
        if (traditional(h.title, folds[i])) a.lang = 'zh-Hant';
        a.appendChild(marked(doc, h.title, folds[i], words));
        var meta = doc.createElement('span');
        meta.className = 'meta';
        meta.appendChild(doc.createTextNode(h.source + ' · '));
        var t = doc.createElement('time');
        t.dateTime = h.iso;
        t.textContent = h.date;
        meta.appendChild(t);
        li.appendChild(a);
        li.appendChild(meta);
        if (h.lead) {
          var p = doc.createElement('p');
          p.className = 'snippet';
          if (traditional(h.lead, leads[i])) p.lang = 'zh-Hant';
          p.appendChild(marked(doc, h.lead, leads[i], words));
          li.appendChild(p);
        }
        list.appendChild(li);
      });
    };
    try {
      var found = await s.search(q, source);
      await show(found.hits, found.words);
      var shown = found.hits.length;
      if (more && shown < found.total) {
        more.hidden = false;
        more.addEventListener('click', async function () {
          more.disabled = true;
          var next = await s.hits(found.docs.slice(shown, shown + SHOWN));
          await show(next, found.words);
          shown += next.length;
          more.disabled = false;
          more.hidden = shown >= found.total;
        });
      }
      var ms = Math.round(win.performance.now() - started);
      status.setAttribute('data-ms', String(ms));
      status.setAttribute('data-files', String(s.loaded.length));
      status.textContent = found.total
        ? '找到 ' + found.total + ' 篇，最相关的在前'
        : '没有找到匹配的文章。';
    } catch (e) {
      status.textContent = '搜索索引读取失败（' + e.message + '）。';
    }
  }

  if (typeof module !== 'undefined' && module.exports) {
    module.exports = { Searcher: Searcher, keyOf: keyOf };
  } else if (typeof document !== 'undefined') {
    document.addEventListener('DOMContentLoaded', function () { run(document, window); });
  }
})();
