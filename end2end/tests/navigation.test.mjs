// Navigation after the first load happens in the browser: following a link or a GET form keeps
// the document (a value set on `window` survives), changes the title and language, moves focus
// to the new page's heading so screen readers announce it, hydrates the new page's islands,
// and Back and Forward work; a failed fetch falls back to an ordinary page load.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, openPage, hydrated, checkAccessibility, expectNoProblems, TABLET } from '../lib.mjs';
import { signIn, DEMO_PASSWORD, DEMO_KEY } from '../journeys.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/// Clicks `selector` and waits for the client-side navigation to `path` to finish (the new
/// page's islands hydrated).
async function follow(page, selector, path) {
  await page.evaluate(() => {
    window.__navigated = false;
    document.addEventListener('app:navigated', () => { window.__navigated = true; }, { once: true });
  });
  await page.click(selector);
  await page.waitForFunction(() => window.__navigated);
  assert.equal(new URL(page.url()).pathname, path);
  await hydrated(page);
}

const focusedText = (page) => page.evaluate(() => ({
  tag: document.activeElement?.tagName,
  text: document.activeElement?.textContent?.trim(),
}));

test('a link keeps the document, moves focus to the new heading and Back returns', async () => {
  const page = await openPage(browser);
  await page.goto(`${BASE}/`);
  await hydrated(page);
  await page.evaluate(() => { window.__kept = 'still here'; });

  await follow(page, 'main a[href="/courts"]', '/courts');
  assert.equal(await page.evaluate(() => window.__kept), 'still here', 'no full page load');
  assert.equal(await page.locator('h1').textContent(), 'Courts using the service');
  assert.match(await page.title(), /^Courts using the service – /);
  assert.deepEqual(await focusedText(page), { tag: 'H1', text: 'Courts using the service' });
  // The new page's island is live: the list filters as you type.
  const all = await page.locator('tbody tr').count();
  await page.fill('#q', 'llandudno');
  await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
  assert.ok(all > 100);
  await checkAccessibility(page, 'navigation-courts');

  // Back: the start page again, the same document; Forward: the courts again.
  await page.goBack();
  await page.waitForFunction(() => location.pathname === '/' && !document.documentElement.dataset.navigating);
  assert.equal(await page.evaluate(() => window.__kept), 'still here');
  assert.equal(await page.locator('main a[href="/courts"]').count(), 1);
  await page.goForward();
  await page.waitForFunction(() => location.pathname === '/courts' && document.querySelector('h1')?.textContent === 'Courts using the service');
  assert.equal(await page.evaluate(() => window.__kept), 'still here');
  // A link to a fragment of the page on show (the skip link) fetches nothing: focus goes to
  // the content, as the browser does it.
  let fetched = 0;
  page.on('request', (r) => { if (r.resourceType() === 'fetch') fetched++; });
  await page.focus('.govuk-skip-link');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash === '#main-content');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(fetched, 0, 'no fetch for a fragment');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main-content');
  expectNoProblems(page);
});

test('Welsh and the footer links navigate in place too, on a tablet', async () => {
  const page = await openPage(browser, { viewport: TABLET, hasTouch: true });
  await page.goto(`${BASE}/courts`);
  await hydrated(page);
  await page.evaluate(() => { window.__kept = 1; });
  // The language switch: the page comes back in Welsh, <html lang> follows.
  await follow(page, 'a[href*="lang=cy"]', '/courts');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'cy');
  assert.equal(await page.evaluate(() => window.__kept), 1);
  assert.equal(await page.locator('h1').textContent(), 'Llysoedd sy’n defnyddio’r gwasanaeth');
  await checkAccessibility(page, 'navigation-courts-cy');
  // A footer link.
  await follow(page, 'footer a[href="/accessibility"]', '/accessibility');
  assert.equal(await page.evaluate(() => window.__kept), 1);
  assert.equal((await focusedText(page)).tag, 'H1');
  await follow(page, 'a[href*="lang=en"]', '/accessibility');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  expectNoProblems(page);
});

test('a GET form navigates in place: the audit trail filtered, signed in', async () => {
  const page = await openPage(browser);
  await signIn(page, 'admin@smith-solicitors.example', DEMO_PASSWORD, DEMO_KEY);
  await page.goto(`${BASE}/organisation/audit`);
  await hydrated(page);
  await page.evaluate(() => { window.__kept = 'filtered'; });
  const action = await page.locator('#action option').nth(1).getAttribute('value');
  await page.selectOption('#action', action);
  await follow(page, 'form[role=search] button[type=submit]', '/organisation/audit');
  assert.equal(new URL(page.url()).searchParams.get('action'), action);
  assert.equal(await page.evaluate(() => window.__kept), 'filtered');
  assert.equal(await page.inputValue('#action'), action, 'the filter keeps what was chosen');
  assert.deepEqual(await focusedText(page), { tag: 'H1', text: 'Audit trail' });
  await checkAccessibility(page, 'navigation-audit-filtered');
  // The organisation's navigation, then Back to the filtered trail.
  await follow(page, 'a[href="/organisation/users"]', '/organisation/users');
  assert.equal(await page.evaluate(() => window.__kept), 'filtered');
  await page.goBack();
  await page.waitForFunction((a) => new URL(location.href).searchParams.get('action') === a
    && document.querySelector('#action')?.value === a, action);
  expectNoProblems(page);
});

test('a failed fetch falls back to an ordinary page load', async () => {
  const page = await openPage(browser);
  await page.goto(`${BASE}/courts`);
  await hydrated(page);
  await page.evaluate(() => { window.__kept = true; });
  // The network drops the background request; the browser's own load gets through.
  await page.route('**/privacy', (route) =>
    route.request().resourceType() === 'fetch' ? route.abort('internetdisconnected') : route.continue());
  await Promise.all([page.waitForURL(`${BASE}/privacy`), page.click('footer a[href="/privacy"]')]);
  await page.waitForLoadState('load');
  assert.equal(await page.evaluate(() => window.__kept), undefined, 'a full load');
  assert.match(await page.locator('h1').textContent(), /Privacy/);
  // The full load replaced the page: no navigation is left under way.
  assert.equal(await page.evaluate(() => document.documentElement.dataset.navigating), undefined);
});

test('without JavaScript every link is an ordinary page load', async () => {
  const page = await openPage(browser, { javaScript: false });
  await page.goto(`${BASE}/`);
  await Promise.all([page.waitForURL(`${BASE}/courts`), page.click('main a[href="/courts"]')]);
  assert.equal(await page.locator('h1').textContent(), 'Courts using the service');
  await page.goBack();
  await page.waitForURL(`${BASE}/`);
  expectNoProblems(page);
});
