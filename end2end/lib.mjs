// Shared helpers for the browser tests: Debian's Chromium driven by playwright-core, axe-core
// on every page and state, console errors and failed requests treated as failures, and a
// screenshot of each checked state kept under end2end/artifacts/.
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';

export const BASE = process.env.BASE_URL ?? 'http://127.0.0.1:3000';
export const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

export const DESKTOP = { width: 1280, height: 900 };
export const TABLET = { width: 768, height: 1024 };

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    // The service is addressed as localhost (passkeys need a domain name, not an address); the
    // server listens on IPv4 loopback.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--host-resolver-rules=MAP localhost 127.0.0.1',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/// A fresh context and page. Console errors, page errors and failed same-site requests are
/// collected in `page.problems`, which `expectNoProblems` asserts empty.
///
/// `javaScript: false` turns scripting off entirely (axe cannot run there); `hydrate: false`
/// keeps scripting on but serves a do-nothing bundle, so the page stays exactly as the server
/// rendered it and axe can check that state.
export async function openPage(browser, { viewport = DESKTOP, javaScript = true, hydrate = true, locale = 'en-GB', hasTouch = false } = {}) {
  // A page kept un-hydrated must get the do-nothing bundle below: the offline service worker
  // would serve the real one from its cache, out of the route's reach, so it is kept out.
  const context = await browser.newContext({
    viewport, javaScriptEnabled: javaScript, locale, hasTouch, serviceWorkers: hydrate ? 'allow' : 'block',
  });
  const page = await context.newPage();
  if (!hydrate) {
    await page.route(/\/pkg\/.*\.js$/, (route) => route.fulfill({
      contentType: 'text/javascript',
      body: 'export default async function init() {}\nexport function hydrate() {}\n',
    }));
  }
  // A click that starts a navigation in the browser (a link, a GET form) returns once the new
  // page is in and, if the old one was hydrated, its islands are live: as Playwright waits for
  // an ordinary navigation.
  const click = page.click.bind(page);
  page.click = async (selector, options) => {
    const wasHydrated = await page.evaluate(() => document.documentElement.dataset.hydrated === 'true')
      .catch(() => false);
    await click(selector, options);
    await settle(page, wasHydrated);
  };
  page.problems = [];
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // With scripting off, Chromium refuses the bundle's modulepreload: expected, not a fault.
    if (!javaScript && r.resourceType() === 'script') return;
    // A page left before its favicon or an image finished loading: the browser cancels it.
    if (r.failure()?.errorText === 'net::ERR_ABORTED' && r.resourceType() !== 'document') return;
    page.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  return page;
}

/// Waits while a navigation in the browser is under way (then for the new islands, if the page
/// was hydrated before); returns at once when there is none.
export async function settle(page, wasHydrated = false) {
  for (let i = 0; i < 800; i++) {
    let busy;
    try {
      busy = await page.evaluate((h) => {
        const d = document.documentElement.dataset;
        return d.navigating === 'true' || (h && d.hydrated !== 'true' && d.navigated !== undefined);
      }, wasHydrated);
    } catch (_) {
      busy = true; // the document is being replaced
    }
    if (!busy) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function expectNoProblems(page) {
  assert.deepEqual(page.problems, [], 'the page logged errors');
}

/// Waits until the wasm bundle has hydrated the page.
export async function hydrated(page) {
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
}

/// Runs axe-core (WCAG 2.0, 2.1 and 2.2 A and AA) and fails on any violation; saves a screenshot.
export async function checkAccessibility(page, name) {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze();
  const summary = results.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n  ')}`);
  assert.deepEqual(summary, [], `axe found WCAG violations on ${name}`);
}
