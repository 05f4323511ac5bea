// Every page, in English and Welsh, at desktop and tablet widths, before and after hydration:
// axe-core finds no WCAG 2.2 AA violation, the page has one h1 and a title, and it logs no errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, openPage, hydrated, checkAccessibility, expectNoProblems, DESKTOP, TABLET } from '../lib.mjs';

const PAGES = [
  { path: '/', name: 'start', h1: { en: 'Defence access to criminal cases', cy: 'Mynediad yr amddiffyniad at achosion troseddol' } },
  { path: '/courts', name: 'courts', h1: { en: 'Courts using the service', cy: 'Llysoedd sy’n defnyddio’r gwasanaeth' } },
  { path: '/accessibility', name: 'accessibility', h1: { en: 'Accessibility statement', cy: 'Datganiad hygyrchedd' } },
  { path: '/cookies', name: 'cookies', h1: { en: 'Cookies', cy: 'Cwcis' } },
  { path: '/privacy', name: 'privacy', h1: { en: 'Privacy notice', cy: 'Hysbysiad preifatrwydd' } },
  { path: '/sign-in', name: 'sign-in', h1: { en: 'Sign in', cy: 'Mewngofnodi' } },
  { path: '/register', name: 'register', h1: { en: 'Register an organisation', cy: 'Cofrestru sefydliad' } },
  { path: '/forgot-password', name: 'forgot-password', h1: { en: 'Reset your password', cy: 'Ailosod eich cyfrinair' } },
  { path: '/help/authenticator-app', name: 'help-authenticator', h1: { en: 'Help with authenticator apps', cy: 'Help gydag apiau dilysu' } },
  { path: '/signed-out', name: 'signed-out', h1: { en: 'You have signed out', cy: 'Rydych wedi allgofnodi' } },
  { path: '/activate?token=not-a-real-token', name: 'activate-unknown', h1: { en: 'This link is not recognised', cy: 'Nid yw’r ddolen hon yn cael ei hadnabod' } },
  { path: '/enrol?token=not-a-real-token', name: 'enrol-unknown', h1: { en: 'This link is not recognised', cy: 'Nid yw’r ddolen hon yn cael ei hadnabod' } },
  { path: '/no-such-page', name: 'not-found', status: 404, h1: { en: 'Page not found', cy: 'Heb ddod o hyd i’r dudalen' } },
];

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const lang of ['en', 'cy']) {
  for (const [width, viewport] of [['desktop', DESKTOP], ['tablet', TABLET]]) {
    for (const p of PAGES) {
      test(`${p.name} (${lang}, ${width})`, async () => {
        const url = `${BASE}${p.path}${p.path.includes('?') ? '&' : '?'}lang=${lang}`;
        const served = await openPage(browser, { viewport, hydrate: false });
        const response = await served.goto(url);
        assert.equal(response.status(), p.status ?? 200);
        assert.equal(await served.getAttribute('html', 'lang'), lang);
        assert.equal(await served.locator('h1').count(), 1);
        assert.equal(await served.locator('h1').textContent(), p.h1[lang]);
        assert.ok((await served.title()).startsWith(p.h1[lang]), await served.title());
        await checkAccessibility(served, `${p.name}-${lang}-${width}-ssr`);
        await served.context().close();

        const page = await openPage(browser, { viewport });
        await page.goto(url);
        await hydrated(page);
        await checkAccessibility(page, `${p.name}-${lang}-${width}-hydrated`);
        if (p.status !== 404) expectNoProblems(page);
        await page.context().close();
      });
    }
  }
}

test('the skip link is the first thing a keyboard reaches and moves focus to the content', async () => {
  const page = await openPage(browser);
  await page.goto(`${BASE}/courts`);
  await hydrated(page);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to main content');
  await checkAccessibility(page, 'skip-link-focused');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main-content');
  expectNoProblems(page);
});
