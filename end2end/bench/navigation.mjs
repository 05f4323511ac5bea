// Benchmark (not part of the test suite): the time from a click to the next page painted, for a
// link followed in the browser against the same page loaded in full. Run with
//   SKIP_BUILD=1 scripts/e2e end2end/bench/navigation.mjs
// (or without SKIP_BUILD to build first); figures go in docs/benchmarks.md.
import { test } from 'node:test';
import { BASE, launch, openPage, hydrated } from '../lib.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const p90 = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * 0.9))]; };

/// Click to paint in the browser: from the click event to the first animation frame after the
/// new body is in (`data-navigated`, measured by the page itself).
async function inBrowser(page, from, link) {
  await page.goto(`${BASE}${from}`);
  await hydrated(page);
  return page.evaluate((selector) => new Promise((resolve) => {
    const t0 = performance.now();
    document.addEventListener('app:navigated', () => resolve(performance.now() - t0), { once: true });
    document.querySelector(selector).click();
  }), link);
}

/// Click to paint with a full load: the same link with client-side navigation off (a modified
/// copy of the click the script leaves to the browser), timed from the navigation's start to
/// the first contentful paint of the new document.
async function fullLoad(page, from, link) {
  await page.goto(`${BASE}${from}`);
  await hydrated(page);
  const href = await page.getAttribute(link, 'href');
  await Promise.all([page.waitForLoadState('load'), page.evaluate((h) => { location.href = h; }, href)]);
  await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0);
  return page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0].startTime);
}

test('click to paint: in the browser against a full load', async () => {
  const browser = await launch();
  const page = await openPage(browser);
  const cases = [
    ['start → courts (152 courts, an island)', '/', 'main a[href="/courts"]'],
    ['courts → accessibility (text)', '/courts', 'footer a[href="/accessibility"]'],
  ];
  for (const [name, from, link] of cases) {
    const spa = [], full = [];
    for (let i = 0; i < ROUNDS; i++) {
      spa.push(await inBrowser(page, from, link));
      full.push(await fullLoad(page, from, link));
    }
    console.log(`${name}: in the browser median ${median(spa).toFixed(0)} ms (p90 ${p90(spa).toFixed(0)}), ` +
      `full load median ${median(full).toFixed(0)} ms (p90 ${p90(full).toFixed(0)}), ${ROUNDS} rounds`);
  }
  await browser.close();
});
