// Transfer per query of the static search, by the page's own Searcher on a built site:
//   node bench/static_search_transfer.js SITE_DIR   (SITE_DIR: what `newsmirror site` wrote)
// Each loaded file gzipped as a static host sends it; noLeadKB: the same without the leads.
const fs = require('fs'); const zlib = require('zlib');
const { Searcher } = require(process.argv[2] + '/static/search.js');
const dir = process.argv[2] + '/search/';
const qs = ["香港", "国安法", "新冠疫情", "特朗普", "臺灣 選舉", "中国 经济", "美国总统", "人权", "抗议活动", "北京"];
(async () => {
  const out = [];
  for (const q of qs) {
    const s = new Searcher((p) => new Promise((res, rej) => { try { res(JSON.parse(fs.readFileSync(dir + p, 'utf8'))); } catch (e) { rej(e); } }));
    const t = process.hrtime.bigint();
    const r = await s.search(q, '');
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    let gz = 0, raw = 0, gzNoLead = 0;
    for (const p of s.loaded) { if (!fs.existsSync(dir + p)) continue; const b = fs.readFileSync(dir + p); raw += b.length; const g = zlib.gzipSync(b).length; gz += g; if (p.startsWith('d/')) { const rows = JSON.parse(b.toString()).map((r) => r.slice(0, 5)); gzNoLead += zlib.gzipSync(Buffer.from(JSON.stringify(rows))).length; } else { gzNoLead += g; } }
    out.push({ q, total: r.total, files: s.loaded.length, gzKB: Math.round(gz / 1024), noLeadKB: Math.round(gzNoLead / 1024), rawKB: Math.round(raw/1024), ms: Math.round(ms), lead: (r.hits[0]||{}).lead ? 'yes' : 'no' });
  }
  console.log(JSON.stringify(out));
})();
