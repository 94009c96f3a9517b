// The reader as a browser sees it: screenshots at phone width (light and dark) and at desktop
// width, axe-core's violations on each page, and the static search's time and transfer.
// Driven by scripts/check-reader.sh; needs playwright-core and axe-core (NODE_PATH) and
// Debian's chromium.
//   node scripts/reader-check.js OUT_DIR SERVE_URL SITE_URL PAGES_JSON
// PAGES_JSON: [[name, path], …] (paths under SERVE_URL); SITE_URL serves the static site.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const [out, serveUrl, siteUrl, pagesJson] = process.argv.slice(2);
const pages = JSON.parse(pagesJson);

async function axe(page) {
  // axe is injected by the driver, not by the page (whose policy allows no script).
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROME || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  let total = 0;
  const report = [];
  for (const scheme of ['light', 'dark']) {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 },
      colorScheme: scheme, deviceScaleFactor: 1, bypassCSP: true });
    // Images of the outlets are not reachable here: answer them at once, as a blocked network.
    await ctx.route(/^https?:\/\/(?!127\.0\.0\.1)/, (r) => r.abort());
    const page = await ctx.newPage();
    for (const [name, p] of pages) {
      await page.goto(serveUrl + p, { waitUntil: 'load' });
      const v = await axe(page);
      const n = v.reduce((a, x) => a + 1, 0);
      total += n;
      report.push({ scheme, name, violations: v });
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.screenshot({ path: path.join(out, `${name}-phone-${scheme}.png`),
        fullPage: height < 6000 });
      console.log(`axe ${scheme} 390px ${name}: ${n} violations (page ${height}px tall)`);
      for (const x of v) console.log(`    ${x.id} (${x.impact}) ×${x.nodes}: ${x.targets.join(' | ')}`);
    }
    await ctx.close();
  }
  // Desktop, light, for the record.
  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await desk.route(/^https?:\/\/(?!127\.0\.0\.1)/, (r) => r.abort());
  const dp = await desk.newPage();
  for (const [name, p] of pages) {
    await dp.goto(serveUrl + p, { waitUntil: 'load' });
    await dp.screenshot({ path: path.join(out, `${name}-desktop.png`) });
  }
  await desk.close();

  // The static search: its page's own policy in force (no bypass), a cold cache each query.
  const queries = (process.env.QUERIES || '香港,臺灣 選舉,新冠疫情,特朗普,国安法').split(',');
  const times = [];
  for (const q of queries) {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await ctx.newPage();
    let bytes = 0;
    let files = 0;
    page.on('response', async (r) => {
      if (r.url().includes('/search/')) {
        files += 1;
        const h = await r.allHeaders();
        bytes += Number(h['content-length'] || (await r.body()).length);
      }
    });
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(siteUrl + 'search.html?q=' + encodeURIComponent(q), { waitUntil: 'load' });
    await page.waitForSelector('#status[data-ms]', { timeout: 10000 }).catch(() => {});
    const status = await page.$eval('#status', (e) => [e.textContent, e.getAttribute('data-ms')]);
    const hits = await page.$$eval('#hits li', (l) => l.length);
    times.push(Number(status[1]));
    console.log(`static search ${JSON.stringify(q)}: ${status[0]} · ${hits} shown · ${status[1]} ms · ${files} files, ${bytes} bytes${errors.length ? ' · errors: ' + errors.join('; ') : ''}`);
    if (q === queries[0]) await page.screenshot({ path: path.join(out, 'static-search-phone.png') });
    await ctx.close();
  }
  times.sort((a, b) => a - b);
  console.log(`static search: median ${times[Math.floor(times.length / 2)]} ms over ${times.length} queries`);
  fs.writeFileSync(path.join(out, 'axe.json'), JSON.stringify(report, null, 1));
  console.log(`axe: ${total} violations in all`);
  await browser.close();
  process.exit(total ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(2); });
