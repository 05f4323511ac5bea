// Hearings on the day, end to end: Smith & Co's advocate, on a phone, goes on record for Gareth
// Price (end2end/fixtures/hearings.json: a trial today in courtroom 5 at Cardiff) and checks in
// from Today on their home page, while the usher's board at Cardiff, on a tablet in a second
// browser, shows it arrive without a reload; the advocate withdraws and it goes; the board's
// connection is cut, a check-in made meanwhile (one tap, from Today) arrives when it is back;
// the usher marks the advocate attended; the LAA sees the attendance and downloads the day's
// CSV. Counsel instructed by the firm check in too. axe-core checks every page on the way. The
// test clock is 2026-11-21 09:00 UTC.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { BASE, launch, openPage, checkAccessibility, expectNoProblems, hydrated, TABLET } from '../lib.mjs';
import { DEMO_PASSWORD, DEMO_KEY, submit, signIn, signOut, errorSummary, email } from '../journeys.mjs';

const ADMIN = 'admin@smith-solicitors.example';
const USHER = 'usher@hmcts.example';
const LAA = 'laa@legalaid.example';
const COUNSEL = 'clerk@jones-chambers.example';
const PHONE = { width: 390, height: 844 };
const path = (page) => new URL(page.url()).pathname;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function banner(page) {
  const b = page.locator('.govuk-notification-banner--success');
  await b.waitFor();
  return b.textContent();
}

/// The board's check-ins for the trial (courtroom 5), as text.
async function trialCheckins(board) {
  return board.locator('.app-board__hearing', { hasText: 'Courtroom 5' }).locator('.app-board__checkin').allTextContents();
}

/// A TCP relay to the server that the test can cut (every connection dropped, new ones refused)
/// and restore: the board's network, without touching the server. Cookies are per host, not
/// port, so a page signed in on BASE is signed in through the relay too.
async function relay() {
  const target = new URL(BASE);
  const sockets = new Set();
  let cut = false;
  const server = net.createServer((client) => {
    if (cut) { client.destroy(); return; }
    const up = net.connect(Number(target.port), '127.0.0.1');
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(up);
    up.pipe(client);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `${target.protocol}//${target.hostname}:${server.address().port}`,
    cut() { cut = true; for (const s of sockets) s.destroy(); },
    restore() { cut = false; },
    close() { for (const s of sockets) s.destroy(); server.close(); },
  };
}

async function waitFor(what, f, timeout = 10000) {
  const until = Date.now() + timeout;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('an advocate checks in on a phone and the court’s board shows it live', async () => {
  const phone = await openPage(browser, { viewport: PHONE, hasTouch: true });
  await signIn(phone, ADMIN, DEMO_PASSWORD, DEMO_KEY);

  // Go on record for Gareth Price.
  await phone.goto(`${BASE}/cases/find`);
  await phone.fill('#urn', '62 CF 9876543 26');
  await phone.fill('#d1-first', 'Gareth');
  await phone.fill('#d1-last', 'Price');
  await phone.fill('#d1-dob-day', '2');
  await phone.fill('#d1-dob-month', '3');
  await phone.fill('#d1-dob-year', '1979');
  await phone.check('#declare');
  await submit(phone, 'main button[type=submit]:not([name=action])');
  const caseUrl = phone.url().split('?')[0];
  await phone.click('.app-defendant-card a.govuk-button, [id^="defendant-"] a.govuk-button');
  await phone.check('#nature-private');
  await submit(phone, 'main button[type=submit]');
  assert.equal(path(phone), new URL(caseUrl).pathname + '/access');

  // The usher's board, on a tablet, through a network the test can cut: the trial, no one
  // checked in, live.
  const board = await openPage(browser, { viewport: TABLET, hasTouch: true });
  await signIn(board, USHER, DEMO_PASSWORD, DEMO_KEY);
  assert.equal(path(board), '/court', 'court staff land on their board');
  const wifi = await relay();
  await board.goto(`${wifi.base}/court`);
  await hydrated(board);
  await board.locator('#board-link', { hasText: 'Live' }).waitFor();
  assert.match(await board.locator('.app-board__hearing', { hasText: 'Courtroom 5' }).textContent(), /62 CF 9876543 26.*Trial|Trial/s);
  assert.deepEqual(await trialCheckins(board), []);
  await checkAccessibility(board, 'court-board-empty');

  // Today on the advocate's home: the trial today, the sentence tomorrow.
  await phone.goto(`${BASE}/cases`);
  const today = phone.locator('#today');
  assert.match(await today.textContent(), /Today, 11:30am/);
  assert.match(await today.textContent(), /Tomorrow, 10:00am/);
  await checkAccessibility(phone, 'today-phone');
  // A first check-in opens the form (there is no status to reuse yet).
  await phone.click('#today a.govuk-button');
  assert.match(path(phone), /^\/hearings\/[0-9a-f-]+$/);
  const hearingUrl = phone.url().split('?')[0];
  assert.ok(await phone.isChecked('#defendant'), 'the defendant on record is ticked');
  await checkAccessibility(phone, 'checkin-form-phone');
  // Bad input: no status. Told which, and the ticked defendant is kept.
  await submit(phone, 'form[data-checkin-form] button[type=submit]');
  assert.match(await errorSummary(phone), /Select your status/);
  assert.ok(await phone.isChecked('#defendant'));
  await checkAccessibility(phone, 'checkin-form-errors');
  await phone.check('#status-solicitor_advocate');
  await submit(phone, 'form[data-checkin-form] button[type=submit]');
  assert.match(await banner(phone), /You are checked in/);
  assert.match(await phone.locator('#checkins').textContent(), /Sam Smith \(Smith & Co Solicitors\), Solicitor advocate, In person, for Gareth Price/);
  await checkAccessibility(phone, 'checked-in');

  // The board shows it without a reload.
  const shown = await waitFor('the check-in on the board', async () => (await trialCheckins(board)).join('|'));
  assert.match(shown, /Sam Smith \(Smith & Co Solicitors\), Solicitor advocate, In person, for Gareth Price/);
  assert.match(await board.locator('#board-said').textContent(), /Sam Smith/);
  await checkAccessibility(board, 'court-board-checked-in');

  // Withdrawn: gone from the board.
  await submit(phone, 'form[data-checkin-form] button.govuk-button--warning');
  assert.match(await banner(phone), /withdrawn/);
  await waitFor('the withdrawal on the board', async () => (await trialCheckins(board)).length === 0);

  // The board's connection is cut; a check-in made meanwhile (one tap from Today, with the
  // status used last) arrives once it is back, from where the board left off.
  wifi.cut();
  await board.locator('#board-link', { hasText: /Connection lost/ }).waitFor();
  await phone.goto(`${BASE}/cases`);
  await submit(phone, '#today form[data-checkin-form] button[type=submit]');
  assert.match(await banner(phone), /You are checked in/);
  assert.match(await phone.locator('#today').textContent(), /Checked in/);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await trialCheckins(board), [], 'nothing arrives while offline');
  wifi.restore();
  await board.locator('#board-link', { hasText: 'Live' }).waitFor({ timeout: 15000 });
  await waitFor('the catch-up', async () => (await trialCheckins(board)).length === 1, 15000);
  wifi.close();

  // The usher marks the advocate attended (back on the service's own address).
  await board.goto(`${BASE}/court`);
  await hydrated(board);
  // The streams cut by the relay (and the tries while it was down) are failed requests, which
  // Chromium also logs: expected here, and only these.
  board.problems = board.problems.filter((p) => !/\/court\/live|ERR_INCOMPLETE_CHUNKED_ENCODING|ERR_CONNECTION_(RESET|CLOSED|REFUSED)|ERR_EMPTY_RESPONSE/.test(p));
  await submit(board, '.app-board__checkin button:has-text("Attended")');
  assert.match(await banner(board), /Attendance recorded/);
  await hydrated(board);
  assert.match((await trialCheckins(board)).join('|'), /Attended/);
  await checkAccessibility(board, 'court-board-attended');

  // The LAA sees the day's attendance and downloads it.
  const laa = await openPage(browser);
  await signIn(laa, LAA, DEMO_PASSWORD, DEMO_KEY);
  await laa.goto(`${BASE}/staff/laa/attendance?date=2026-11-21`);
  assert.match(await laa.locator('#attendance').textContent(), /Sam Smith \(Smith & Co Solicitors\).*Attended/s);
  await checkAccessibility(laa, 'laa-attendance');
  const [csv] = await Promise.all([laa.waitForEvent('download'), laa.click('a[href^="/staff/laa/attendance.csv"]')]);
  assert.equal(csv.suggestedFilename(), 'attendance-2026-11-21.csv');
  const text = readFileSync(await csv.path(), 'utf8');
  assert.match(text, /^\uFEFFdate,court,courtroom/);
  assert.match(text, /2026-11-21,Cardiff Magistrates' Court,5,11:30am,62CF987654326,Trial,Sam Smith,Smith & Co Solicitors,.*solicitor_advocate,.*,in_person,.*,Gareth Price,.*,no,yes/);
  // A bad date: the error summary, and the date typed kept.
  await laa.goto(`${BASE}/staff/laa/attendance?date=2026-13-40`);
  assert.match(await laa.locator('.govuk-error-summary').textContent(), /real date/);
  await checkAccessibility(laa, 'laa-attendance-bad-date');

  // The advocate's calendar: a secret address a calendar app subscribes to; renewed, the old one
  // stops at once.
  await phone.goto(`${BASE}/cases`);
  await phone.click('a[href="/hearings/calendar"]');
  await submit(phone, 'main form button[type=submit]');
  const address = await phone.inputValue('#calendar-address');
  assert.match(address, /\/calendar\/[A-Za-z0-9_-]{43}\.ics$/);
  await checkAccessibility(phone, 'calendar-new-address');
  // Fetched as a calendar app would: from outside the browser, with no session.
  const direct = address.replace('//localhost:', '//127.0.0.1:');
  const feed = await browser.newContext().then((c) => c.request.get(direct));
  assert.equal(feed.status(), 200);
  assert.match(feed.headers()['content-type'], /^text\/calendar/);
  const ics = await feed.text();
  assert.match(ics, /SUMMARY:62 CF 9876543 26 – Trial\r\n/);
  assert.match(ics, /DTSTART:20261121T113000Z\r\n/);
  assert.match(ics, /SUMMARY:62 CF 9876543 26 – Sentence\r\n/);
  await phone.goto(`${BASE}/hearings/calendar`);
  await submit(phone, 'main form button[type=submit]');
  assert.notEqual(await phone.inputValue('#calendar-address'), address);
  const old = await browser.newContext().then((c) => c.request.get(direct));
  assert.equal(old.status(), 404, 'the old address stops at once');

  // The hearing page after the day's changes still reads right in Welsh.
  await phone.goto(`${hearingUrl}?lang=cy`);
  assert.match(await phone.locator('#checkin').textContent(), /Eich cofrestriad/);
  await checkAccessibility(phone, 'checked-in-cy');

  expectNoProblems(phone);
  expectNoProblems(board);
  expectNoProblems(laa);
});

// Bad court Wi-Fi: the phone loses its connection with Today on screen. The day's list still
// opens (the service worker's copy, which says it is one); two check-ins made meanwhile wait on
// the phone, shown as waiting; the usher ends one of those hearings; back online, the other is
// sent (and reaches the board) and the first is reported as not sent, with the reason.
test('check-ins made offline wait on the phone and are sent when it is back online', async () => {
  const phone = await openPage(browser, { viewport: PHONE, hasTouch: true });
  await signIn(phone, ADMIN, DEMO_PASSWORD, DEMO_KEY);
  await phone.goto(`${BASE}/cases`);
  // (The worker may take charge only from the next page: a page loaded while it was being
  // installed stays the browser's, and is saved by the worker fetching it again.)
  await waitFor('the day’s list saved on the phone', () => phone.evaluate(async () =>
    !!(await navigator.serviceWorker.getRegistration())?.active && !!(await caches.match('/cases'))), 20000);

  const board = await openPage(browser, { viewport: TABLET, hasTouch: true });
  await signIn(board, USHER, DEMO_PASSWORD, DEMO_KEY);
  await hydrated(board);
  await board.locator('#board-link', { hasText: 'Live' }).waitFor();

  await phone.context().setOffline(true);
  await phone.reload();
  assert.match(await phone.locator('#app-offline').textContent(), /You are offline\. This page is as it was at \d\d?:\d\d[ap]m\./);
  const mention = phone.locator('#today li', { hasText: 'Mention' });
  const bail = phone.locator('#today li', { hasText: 'Bail application' });
  await mention.locator('button[type=submit]').click();
  await phone.locator('#app-queue-banner').waitFor();
  assert.match(await phone.locator('#app-queue').textContent(), /Check-in for Mention, 62 CF 9876543 26, 1:00pm: waiting to send\./);
  assert.match(await mention.textContent(), /Waiting to send/);
  assert.equal(await mention.locator('button[type=submit]').isVisible(), false, 'no second check-in while one waits');
  await bail.locator('button[type=submit]').click();
  await waitFor('two waiting', async () => (await phone.locator('#app-queue li[data-state="waiting"]').count()) === 2);
  await checkAccessibility(phone, 'offline-waiting');
  assert.deepEqual(await trialCheckinsIn(board, 'Bail application'), [], 'nothing reaches the court while the phone is offline');

  // Meanwhile the usher ends the mention.
  await submit(board, '.app-board__hearing:has-text("Mention") form:has(input[value="end"]) button');
  await hydrated(board);
  await board.locator('#board-link', { hasText: 'Live' }).waitFor();

  await phone.context().setOffline(false);
  await waitFor('both answered', async () => (await phone.locator('#app-queue li[data-state="waiting"]').count()) === 0
    && (await phone.locator('#app-queue li').count()) === 2, 20000);
  const said = await phone.locator('#app-queue').textContent();
  assert.match(said, /Check-in for Mention, 62 CF 9876543 26, 1:00pm: not sent\. This hearing has ended, so check-in is closed\./);
  assert.match(said, /Check-in for Bail application, 62 CF 9876543 26, 3:00pm: sent\./);
  await waitFor('the list refreshed', async () => /Checked in/.test(await bail.textContent()));
  assert.equal(await phone.locator('#app-offline').count(), 0, 'no longer a copy');
  await waitFor('the check-in on the board', async () => (await trialCheckinsIn(board, 'Bail application')).length === 1);
  await checkAccessibility(phone, 'offline-sent');
  await phone.click('#app-queue li[data-state="failed"] button');
  assert.equal(await phone.locator('#app-queue li').count(), 1);

  // The phone's requests while it was offline failed, as they should have: only those.
  phone.problems = phone.problems.filter((p) => !/ERR_INTERNET_DISCONNECTED/.test(p));
  expectNoProblems(phone);
  expectNoProblems(board);
});

async function trialCheckinsIn(board, type) {
  return board.locator('.app-board__hearing', { hasText: type }).locator('.app-board__checkin').allTextContents();
}

// Instructed counsel: Smith & Co, on record for Rhys Morgan, instruct Gwen Jones of Jones
// Chambers from the case's Access tab (after two wrong addresses); she is emailed, sees the case
// among her organisation's, downloads the IDPC and checks in for the day's hearing as junior
// counsel; Smith & Co withdraw the instruction, she is emailed and the case is gone from her
// list, while her check-in stays on the court's record.
test('the firm on record instructs counsel, who checks in, and withdraws the instruction; counsel give one back', async () => {
  const firm = await openPage(browser);
  await signIn(firm, ADMIN, DEMO_PASSWORD, DEMO_KEY);
  await firm.goto(`${BASE}/cases/find`);
  await firm.fill('#urn', '62 CF 1112223 26');
  await firm.fill('#d1-first', 'Rhys');
  await firm.fill('#d1-last', 'Morgan');
  await firm.fill('#d1-dob-day', '15');
  await firm.fill('#d1-dob-month', '7');
  await firm.fill('#d1-dob-year', '1990');
  await firm.check('#declare');
  await submit(firm, 'main button[type=submit]:not([name=action])');
  const caseUrl = firm.url().split('?')[0];
  await firm.click('[id^="defendant-"] a.govuk-button');
  await firm.check('#nature-private');
  await submit(firm, 'main button[type=submit]');
  assert.equal(path(firm), new URL(caseUrl).pathname + '/access');

  await firm.click('#on-record a:has-text("Instruct counsel")');
  assert.equal(path(firm), new URL(caseUrl).pathname + '/instruct');
  assert.match(await firm.locator('h1').textContent(), /Instruct counsel for Rhys Morgan/);
  await checkAccessibility(firm, 'instruct');
  // No address, then one that is nobody's: told which, and what was typed is kept.
  await submit(firm, 'main button[type=submit]');
  assert.match(await errorSummary(firm), /Enter the advocate’s email address/);
  await checkAccessibility(firm, 'instruct-errors');
  await firm.fill('#email', 'nobody@chambers.example');
  await submit(firm, 'main button[type=submit]');
  assert.match(await errorSummary(firm), /No active advocate of a registered organisation has that email address/);
  assert.equal(await firm.inputValue('#email'), 'nobody@chambers.example');
  // Someone of their own firm is not counsel.
  await firm.fill('#email', ADMIN);
  await submit(firm, 'main button[type=submit]');
  assert.match(await errorSummary(firm), /in your own organisation/);
  await firm.fill('#email', COUNSEL.toUpperCase());
  await submit(firm, 'main button[type=submit]');
  assert.equal(path(firm), new URL(caseUrl).pathname + '/access');
  assert.match(await banner(firm), /Counsel has been instructed and emailed/);
  assert.match(await firm.locator('#on-record .app-counsel').textContent(), /Counsel: Jones Chambers \(Gwen Jones, clerk@jones-chambers\.example\)/);
  await checkAccessibility(firm, 'access-with-counsel');
  // Twice is refused, by name.
  await firm.click('#on-record a:has-text("Instruct counsel")');
  assert.match(await firm.locator('#already-instructed').textContent(), /Jones Chambers/);
  await firm.fill('#email', COUNSEL);
  await submit(firm, 'main button[type=submit]');
  assert.match(await errorSummary(firm), /Jones Chambers is already instructed for this defendant/);
  const told = await email(firm, COUNSEL, 'counsel_instructed');
  assert.match(told, /Smith & Co Solicitors has instructed Jones Chambers for Rhys Morgan on case 62 CF 1112223 26/);

  // Counsel signs in: the case is among her organisation's, she reads the IDPC and checks in.
  const counsel = await openPage(browser, { viewport: PHONE, hasTouch: true });
  await signIn(counsel, COUNSEL, DEMO_PASSWORD, DEMO_KEY);
  await counsel.goto(`${BASE}/cases`);
  assert.match(await counsel.locator('#firm-cases').textContent(), /62 CF 1112223 26/);
  assert.match(await counsel.locator('#today').textContent(), /Pre-trial review/);
  await counsel.goto(caseUrl);
  assert.match(await counsel.locator('main').textContent(), /Your organisation is instructed as counsel for this defendant by Smith & Co Solicitors/);
  await checkAccessibility(counsel, 'case-as-counsel');
  await counsel.click('.moj-sub-navigation a[href$="/material"]');
  const [idpc] = await Promise.all([counsel.waitForEvent('download'), counsel.click('#material a[download]')]);
  assert.equal(idpc.suggestedFilename(), 'IDPC Morgan.pdf');
  assert.equal(readFileSync(await idpc.path()).subarray(0, 5).toString(), '%PDF-');
  await counsel.goto(`${BASE}/cases`);
  await counsel.click('#today li:has-text("Pre-trial review") a.govuk-button');
  assert.match(path(counsel), /^\/hearings\/[0-9a-f-]+$/);
  assert.equal(await counsel.isChecked('#defendant'), false, 'counsel choose whom they act for');
  await submit(counsel, 'form[data-checkin-form] button[type=submit]');
  const problems = await errorSummary(counsel);
  assert.match(problems, /Select your status/);
  await counsel.check('#status-junior_counsel');
  await counsel.check('#defendant');
  await submit(counsel, 'form[data-checkin-form] button[type=submit]');
  assert.match(await banner(counsel), /You are checked in/);
  assert.match(await counsel.locator('#checkins').textContent(), /Gwen Jones \(Jones Chambers\), Junior counsel, In person, for Rhys Morgan/);
  await checkAccessibility(counsel, 'checked-in-as-counsel');

  // Smith & Co withdraw the instruction.
  await firm.goto(`${caseUrl}/access`);
  await firm.click('.app-counsel a:has-text("Withdraw instruction")');
  assert.match(await firm.locator('.govuk-warning-text').textContent(), /Everyone at Jones Chambers will lose access to Rhys Morgan’s case/);
  await checkAccessibility(firm, 'withdraw-counsel');
  await submit(firm, 'main button.govuk-button--warning');
  assert.match(await banner(firm), /The instruction has been withdrawn/);
  assert.equal(await firm.locator('.app-counsel').count(), 0);
  // The Access tab's history keeps both, though the instruction is gone.
  if (path(firm) !== new URL(caseUrl).pathname + '/access') await firm.goto(`${caseUrl}/access`);
  const history = await firm.locator('#history').textContent();
  assert.match(history, /Instructed Jones Chambers as counsel for Rhys Morgan/);
  assert.match(history, /Withdrew Jones Chambers’s instruction for Rhys Morgan/);
  assert.match(await email(firm, COUNSEL, 'counsel_ended'), /Smith & Co Solicitors has withdrawn your organisation’s instruction for Rhys Morgan/);

  await counsel.goto(`${BASE}/cases`);
  assert.doesNotMatch(await counsel.locator('main').textContent(), /62 CF 1112223 26/);

  // Instructed again, counsel give the instruction back themselves from the Access tab.
  await firm.goto(`${caseUrl}/access`);
  await firm.click('#on-record a:has-text("Instruct counsel")');
  await firm.fill('#email', COUNSEL);
  await submit(firm, 'main button[type=submit]');
  assert.match(await banner(firm), /Counsel has been instructed and emailed/);
  // In Welsh first, on the phone.
  await counsel.goto(`${caseUrl}/access?lang=cy`);
  assert.match(await counsel.locator('#instructed').textContent(), /Rhys Morgan/);
  await counsel.click('#instructed a:has-text("Dychwelyd y cyfarwyddyd")');
  assert.match(await counsel.locator('h1').textContent(), /Dychwelyd y cyfarwyddyd ar gyfer Rhys Morgan gan Smith & Co Solicitors/);
  await checkAccessibility(counsel, 'return-instruction-cy');
  await counsel.goto(`${counsel.url()}&lang=en`);
  assert.match(await counsel.locator('h1').textContent(), /Return the instruction for Rhys Morgan from Smith & Co Solicitors/);
  assert.match(await counsel.locator('.govuk-warning-text').textContent(), /Check-ins already made stay on the court’s record/);
  await checkAccessibility(counsel, 'return-instruction');
  await submit(counsel, 'main button.govuk-button--warning');
  assert.equal(path(counsel), '/cases');
  assert.match(await banner(counsel), /The instruction has been returned/);
  assert.doesNotMatch(await counsel.locator('main').textContent(), /62 CF 1112223 26/);
  assert.match(await email(firm, ADMIN, 'instruction_returned'), /Jones Chambers has returned your organisation’s instruction for Rhys Morgan on case 62 CF 1112223 26/);
  await firm.goto(`${caseUrl}/access`);
  assert.equal(await firm.locator('.app-counsel').count(), 0);
  assert.match(await firm.locator('#history').textContent(), /Jones Chambers returned the instruction for Rhys Morgan/);
  await signOut(counsel);
  expectNoProblems(firm);
  expectNoProblems(counsel);
});
