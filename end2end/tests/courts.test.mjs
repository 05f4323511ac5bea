// The courts page end to end: server-rendered list, no-JS search form, live filter after
// hydration, navigation, Welsh, and the security headers a page is served with.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BASE, launch, openPage, hydrated, checkAccessibility, expectNoProblems, TABLET } from '../lib.mjs';

// The seeded list is the shipped data file: count its courts (one per line after the header).
const csv = readFileSync(new URL('../../server/data/courts.csv', import.meta.url), 'utf8');
const COURTS = csv.trim().split('\n').length - 1;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the list is complete server-rendered HTML, readable without JavaScript', async () => {
  const page = await openPage(browser, { hydrate: false });
  const response = await page.goto(`${BASE}/courts`);
  assert.equal(response.status(), 200);
  assert.equal(await page.locator('h1').textContent(), 'Courts using the service');
  assert.equal(await page.locator('tbody tr').count(), COURTS);
  assert.equal(await page.locator('.app-results-count').textContent(), `${COURTS} courts`);
  assert.equal(await page.locator('section.app-courts__region h2').count(), 7);
  // FIXED_NOW is 2026-11-21: London went live in June, the Midlands go live on 7 December.
  const westminster = page.locator('tr', { hasText: "Westminster Magistrates' Court" });
  assert.match(await westminster.textContent(), /1 June 2026.*Live/);
  const soon = page.locator('tr', { hasText: 'Going live soon' });
  assert.ok(await soon.count() > 0, 'some courts are going live soon');
  assert.match(await page.title(), /^Courts using the service – Defence access to criminal cases$/);
  await checkAccessibility(page, 'courts-nojs');
  expectNoProblems(page);
});

test('the search works as a plain GET form without JavaScript', async () => {
  const page = await openPage(browser, { javaScript: false });
  await page.goto(`${BASE}/courts`);
  await page.fill('#q', 'llandudno');
  await Promise.all([page.waitForURL(/q=llandudno/), page.click('button[type=submit]')]);
  assert.equal(await page.locator('tbody tr').count(), 1);
  assert.match(await page.locator('tbody tr').textContent(), /Llandudno Magistrates' Court/);
  assert.equal(await page.locator('.app-results-count').textContent(), '1 court matching ‘llandudno’');
  assert.equal(await page.inputValue('#q'), 'llandudno', 'the search keeps what was typed');
  expectNoProblems(page);

  // The same states, as served, checked by axe (which needs scripting to run).
  const checked = await openPage(browser, { hydrate: false });
  await checked.goto(`${BASE}/courts?q=llandudno`);
  await checkAccessibility(checked, 'courts-nojs-search');
  await checked.goto(`${BASE}/courts?q=nowhere-at-all`);
  assert.equal(await checked.locator('tbody tr').count(), 0);
  assert.match(await checked.locator('#court-results').textContent(), /No courts match your search/);
  await checkAccessibility(checked, 'courts-no-results');
  expectNoProblems(checked);
});

test('after hydration the list filters as you type, without reloading', async () => {
  const page = await openPage(browser);
  await page.goto(`${BASE}/courts`);
  await hydrated(page);
  await page.evaluate(() => { window.__sameDocument = true; });
  await page.locator('#q').pressSequentially('north west', { delay: 20 });
  await page.waitForFunction(() => document.querySelectorAll('section.app-courts__region').length === 1);
  const regions = await page.locator('section.app-courts__region h2').allTextContents();
  assert.deepEqual(regions, ['North West']);
  assert.match(page.url(), /\/courts\?q=north\+west$/);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'typing must not reload the page');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'q', 'focus stays in the search box');
  await checkAccessibility(page, 'courts-live-filter');

  await page.fill('#q', '');
  await page.waitForFunction((n) => document.querySelectorAll('tbody tr').length === n, COURTS);
  assert.match(page.url(), /\/courts$/);
  expectNoProblems(page);
});

test('the header navigation: links, with the new page current', async () => {
  const page = await openPage(browser);
  await page.goto(`${BASE}/`);
  await hydrated(page);
  await Promise.all([page.waitForURL(`${BASE}/courts`), page.click('.govuk-service-navigation a[href="/courts"]')]);
  await page.waitForSelector('tbody tr');
  assert.match(await page.title(), /^Courts using the service/);
  assert.equal(await page.locator('.govuk-service-navigation a[aria-current="page"]').textContent(), 'Courts using the service');
  expectNoProblems(page);
});

test('Welsh: chosen with the switch, remembered in a cookie, and set in <html lang>', async () => {
  const page = await openPage(browser);
  await page.goto(`${BASE}/courts?q=wales`);
  await hydrated(page);
  await Promise.all([page.waitForURL(/lang=cy/), page.click('a[hreflang="cy"]')]);
  await hydrated(page);
  assert.equal(await page.getAttribute('html', 'lang'), 'cy');
  assert.equal(await page.locator('h1').textContent(), 'Llysoedd sy’n defnyddio’r gwasanaeth');
  assert.match(page.url(), /q=wales/, 'the switch keeps the search');
  assert.deepEqual(await page.locator('section.app-courts__region h2').allTextContents(), ['Cymru']);
  assert.equal(await page.locator('.app-results-count').textContent(), '12 o lysoedd yn cyfateb i ‘wales’');
  assert.match(await page.locator('tbody').first().textContent(), /5 Hydref 2026/);
  await checkAccessibility(page, 'courts-cy');

  // The cookie keeps Welsh on the next visit without ?lang=.
  await page.goto(`${BASE}/`);
  assert.equal(await page.getAttribute('html', 'lang'), 'cy');
  assert.equal(await page.locator('h1').textContent(), 'Mynediad yr amddiffyniad at achosion troseddol');

  // And the browser's own language is honoured on a first visit.
  const welshBrowser = await openPage(browser, { locale: 'cy-GB' });
  await welshBrowser.goto(`${BASE}/courts`);
  assert.equal(await welshBrowser.getAttribute('html', 'lang'), 'cy');
  expectNoProblems(page);
});

test('a tablet gets the same list, usable by touch', async () => {
  const page = await openPage(browser, { viewport: TABLET, hasTouch: true });
  await page.goto(`${BASE}/courts`);
  await hydrated(page);
  await page.locator('#q').tap();
  await page.keyboard.type('cardiff');
  await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
  await checkAccessibility(page, 'courts-tablet-filtered');
  expectNoProblems(page);
});

test('pages carry a nonce CSP and the other security headers; the bundle is cached', async () => {
  const page = await openPage(browser);
  const response = await page.goto(`${BASE}/courts`);
  const h = response.headers();
  assert.match(h['content-security-policy'], /script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}' 'wasm-unsafe-eval'/);
  assert.match(h['content-security-policy'], /frame-ancestors 'none'/);
  assert.equal(h['x-content-type-options'], 'nosniff');
  assert.equal(h['referrer-policy'], 'no-referrer');
  assert.equal(h['cache-control'], 'no-store');
  const nonce = h['content-security-policy'].match(/'nonce-([^']+)'/)[1];
  assert.equal(await page.locator('script[type=module]').getAttribute('nonce'), '', 'browsers hide the nonce attribute from the DOM');
  const html = await response.text();
  assert.ok(html.includes(`nonce="${nonce}"`), 'the bootstrap script carries the response nonce');
  const css = await page.locator('link[rel=stylesheet]').getAttribute('href');
  assert.match(css, /^\/pkg\/caseaccess\.[0-9a-f]{16}\.css$/);
  const asset = await page.request.get(`${BASE}${css}`, { headers: { 'accept-encoding': 'br' } });
  assert.equal(asset.headers()['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(asset.headers()['content-encoding'], 'br');
  await hydrated(page);
  expectNoProblems(page);
});
