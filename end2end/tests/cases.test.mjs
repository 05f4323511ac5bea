// Cases end to end, as two defence firms use them: Smith & Co's administrator signs in (landing on
// their cases), finds a case with a lower-case URN typed with spaces (a wrong date of birth first,
// refused without saying which detail), downloads the IDPC and goes on record for a defendant.
// Jones Chambers' clerk, in Welsh on a tablet, finds the same case, is refused the defendant
// (Smith & Co are on record) and asks them to release it; Smith & Co stop acting; the clerk
// goes on record. axe-core checks every page on the way.
//
// The case comes from end2end/fixtures/cases.json (loaded by the test command).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { BASE, launch, openPage, checkAccessibility, expectNoProblems, TABLET } from '../lib.mjs';
import { DEMO_PASSWORD, DEMO_KEY, submit, signIn, email, errorSummary } from '../journeys.mjs';

const ADMIN = 'admin@smith-solicitors.example';
const CLERK = 'clerk@jones-chambers.example';
const path = (page) => new URL(page.url()).pathname;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function banner(page) {
  const b = page.locator('.govuk-notification-banner--success');
  await b.waitFor();
  return b.textContent();
}

/// Fills the find-case form for the fixture's case: two defendants (a person and a company).
async function findCase(page, { urn = '45kd 1234567 26', day = '14' } = {}) {
  await page.goto(`${BASE}/cases/find`);
  await submit(page, 'button[name=action][value=add]');
  assert.equal(await page.locator('fieldset.app-defendant').count(), 2, 'a second defendant row');
  await page.fill('#urn', urn);
  await page.fill('#d1-first', ' rhiannon ');
  await page.fill('#d1-last', 'LLYR - EVANS');
  await page.fill('#d1-dob-day', day);
  await page.fill('#d1-dob-month', '7');
  await page.fill('#d1-dob-year', '1988');
  await page.fill('#d2-company', 'llŷr haulage cyf');
  await page.check('#declare');
  await submit(page, 'main button[type=submit]:not([name=action])');
}

let caseUrl;
// The defence statement's receipt (Smith & Co's upload through the plain form).
let statementReceipt;

const PLEA = Buffer.from('%PDF-1.7\nPlea: not guilty\n%%EOF\n');

test('a firm finds a case, downloads the IDPC and goes on record for a defendant', async () => {
  const page = await openPage(browser);
  await signIn(page, ADMIN, DEMO_PASSWORD, DEMO_KEY);
  assert.equal(path(page), '/cases', 'signing in lands on the firm’s cases');
  await checkAccessibility(page, 'cases-home-empty');

  // Bad input first: the shape of the URN is checked, and nothing typed is lost.
  await page.goto(`${BASE}/cases/find`);
  await checkAccessibility(page, 'find-case');
  await page.fill('#urn', '45 KD 123');
  await page.fill('#d1-first', 'Rhiannon');
  await submit(page, 'main button[type=submit]:not([name=action])');
  const problems = await errorSummary(page);
  assert.match(problems, /11 or 13 characters/);
  assert.match(problems, /last name/);
  assert.match(problems, /date of birth/);
  assert.match(problems, /appointed/);
  assert.equal(await page.inputValue('#d1-first'), 'Rhiannon');
  await checkAccessibility(page, 'find-case-errors');

  // A wrong date of birth: one answer that does not say which detail was wrong.
  await findCase(page, { day: '15' });
  const noMatch = await errorSummary(page);
  assert.match(noMatch, /No case matches/);
  assert.equal(await page.locator('.govuk-form-group--error').count(), 0, 'no field is singled out');
  assert.equal(await page.inputValue('#d2-company'), 'llŷr haulage cyf', 'every value kept');

  await findCase(page);
  assert.match(path(page), /^\/cases\/[0-9a-f-]+$/);
  caseUrl = page.url().split('?')[0];
  assert.match(await banner(page), /Case found/);
  assert.match(await page.locator('h1').textContent(), /45 KD 1234567 26/);
  await checkAccessibility(page, 'case-summary');

  // The IDPC downloads (the rest of the material waits for association).
  await page.click('.moj-sub-navigation a[href$="/material"]');
  assert.equal(await page.locator('#material a[download]').count(), 1, 'only the IDPC is a link');
  await checkAccessibility(page, 'case-material-idpc-only');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#material a[download]'),
  ]);
  assert.equal(download.suggestedFilename(), 'IDPC Llŷr-Evans.pdf');
  const bytes = readFileSync(await download.path());
  assert.ok(bytes.subarray(0, 5).toString() === '%PDF-', 'a PDF');
  const [pet] = await Promise.all([page.waitForEvent('download'), page.click('#pet-form')]);
  assert.equal(pet.suggestedFilename(), 'PET form 45KD123456726.pdf');

  // Go on record for Rhiannon.
  await page.goto(caseUrl);
  await page.click('#defendant-' + (await defendantId(page, 'Rhiannon')) + ' a.govuk-button');
  assert.equal(path(page), new URL(caseUrl).pathname + '/associate');
  await checkAccessibility(page, 'associate');
  await submit(page, 'main button[type=submit]');
  assert.match(await errorSummary(page), /how you are representing/);
  await page.check('#nature-private');
  await submit(page, 'main button[type=submit]');
  assert.equal(path(page), new URL(caseUrl).pathname + '/access');
  assert.match(await banner(page), /now on record/);
  assert.match(await page.locator('#on-record').textContent(), /Rhiannon Llŷr-Evans/);
  assert.match(await page.locator('#history').textContent(), /Downloaded IDPC/);
  await checkAccessibility(page, 'case-access');

  // Now the whole material is theirs, and the case is on their home page.
  await page.goto(`${caseUrl}/material`);
  assert.equal(await page.locator('#material a[download]').count(), 2);

  // They serve a document through the upload form, as it works before the bundle has loaded or
  // without it (plain multipart; once live, the upload panel takes its place: the next
  // journey; axe needs scripting, so the page has it but is never hydrated). A program renamed
  // .pdf first: refused, and what they typed is kept.
  const plain = await openPage(browser, { hydrate: false });
  await signIn(plain, ADMIN, DEMO_PASSWORD, DEMO_KEY);
  await plain.goto(`${caseUrl}/material`);
  assert.match(await plain.locator('#scanning-off').textContent(), /scanning is switched off/);
  await plain.selectOption('#upload-section', 'defence-statement');
  await plain.fill('#upload-title', 'Defence statement');
  await plain.check('#upload-send-to-cps');
  await plain.setInputFiles('#upload-file', {
    name: 'statement.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ\x90\x00 a program'),
  });
  await submit(plain, '#upload button[type=submit]');
  assert.match(await errorSummary(plain), /not the kind of file its name says/);
  assert.equal(await plain.inputValue('#upload-title'), 'Defence statement');
  assert.equal(await plain.inputValue('#upload-section'), 'defence-statement');
  assert.ok(await plain.isChecked('#upload-send-to-cps'), 'Send to CPS stays ticked');
  await checkAccessibility(plain, 'upload-refused');
  const pdf = Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n');
  await plain.setInputFiles('#upload-file', {
    name: 'Statement of Rhiannon.pdf', mimeType: 'application/pdf', buffer: pdf,
  });
  await submit(plain, '#upload button[type=submit]');
  assert.match(path(plain), /\/receipts\/[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  assert.equal(
    (await plain.locator('#receipt-sha256').textContent()).trim(),
    createHash('sha256').update(pdf).digest('hex'),
  );
  assert.equal((await plain.locator('#receipt-file-name').textContent()).trim(), 'Statement of Rhiannon.pdf');
  assert.match(await plain.locator('#receipt-status').textContent(), /Not checked for viruses/);
  // "Sent to the CPS at …" once the email has actually gone (the sender is woken at once).
  for (let i = 0; i < 20 && !/Sent to the CPS at/.test(await plain.locator('#receipt-cps').textContent()); i++) {
    await plain.waitForTimeout(500);
    await plain.reload();
  }
  assert.match(await plain.locator('#receipt-cps').textContent(), /Sent to the CPS at .*attached/);
  assert.match(await plain.locator('#receipt-notified').textContent(), /No one else/);
  await checkAccessibility(plain, 'receipt');
  const receiptUrl = plain.url();
  statementReceipt = receiptUrl;
  const cps = await email(plain, 'cps@caseaccess.localhost', 'cps_document');
  assert.match(cps, /Defence statement/);
  assert.match(cps, new RegExp(createHash('sha256').update(pdf).digest('hex')));
  await plain.goto(receiptUrl);
  // A copy checked against the receipt: the same bytes match, others do not; neither is kept.
  await plain.setInputFiles('#check-file', { name: 'copy.pdf', mimeType: 'application/pdf', buffer: pdf });
  await submit(plain, 'form[action$="/check"] button');
  assert.match(await plain.locator('#check-result').textContent(), /matches the receipt/);
  await plain.setInputFiles('#check-file', {
    name: 'other.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7\nanother\n'),
  });
  await submit(plain, 'form[action$="/check"] button');
  assert.match(await plain.locator('#check-result').textContent(), /does not match/);
  await checkAccessibility(plain, 'receipt-check');
  await plain.goto(receiptUrl);
  await submit(plain, 'main a[href$="/material"]');
  assert.equal(await plain.locator('#material a[download]').count(), 3, 'the document is listed');
  assert.match(await plain.locator('#material').textContent(), /Defence statement/);
  // A plea goes to the HMCTS service centre's inbox as well.
  await plain.selectOption('#upload-section', 'plea');
  await plain.fill('#upload-title', 'Plea: not guilty');
  await plain.setInputFiles('#upload-file', { name: 'plea.pdf', mimeType: 'application/pdf', buffer: PLEA });
  await submit(plain, '#upload button[type=submit]');
  assert.match(await plain.locator('#receipt-notified').textContent(), /HMCTS service centre/);
  assert.match(await plain.locator('#receipt-cps').textContent(), /Not asked for/);
  await plain.context().close();
  await page.goto(`${BASE}/cases?q=llyr`);
  assert.match(await page.locator('#firm-cases').textContent(), /45 KD 1234567 26/);
  await checkAccessibility(page, 'cases-home-search');
  const laa = await email(page, 'laa@caseaccess.localhost', 'laa_associated');
  assert.match(laa, /Smith & Co/);
  expectNoProblems(page);
  await page.context().close();
});

async function defendantId(page, name) {
  const card = page.locator('.app-defendant-card', { hasText: name }).first();
  return (await card.getAttribute('id')).replace('defendant-', '');
}

// Files of known bytes made in the page (a fixed last-modified time, so choosing "the same
// file" again is recognised, as it is for a file on disk), dropped on the drop zone.
async function drop(page, files) {
  const dt = await page.evaluateHandle((files) => {
    const dt = new DataTransfer();
    for (const f of files) {
      const head = new TextEncoder().encode(f.head);
      let bytes = head;
      if (f.size) {
        bytes = new Uint8Array(f.size).map((_, i) => 32 + (i % 90));
        bytes.set(head, 0);
      }
      dt.items.add(new File([bytes], f.name, { type: f.type ?? 'application/pdf', lastModified: 1_700_000_000_000 }));
    }
    return dt;
  }, files);
  await page.dispatchEvent('.app-upload-dropzone', 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent('.app-upload-dropzone', 'drop', { dataTransfer: dt });
}

/// The upload requests the page makes: method, and Upload-Offset for an append.
function watchUploads(page) {
  const seen = [];
  page.on('request', (r) => {
    if (/\/uploads(\/|$)/.test(new URL(r.url()).pathname)) seen.push([r.method(), r.headers()['upload-offset']]);
  });
  return seen;
}

test('with JavaScript, the upload panel serves several files at once, with progress, and carries on after a dropped connection and a closed page', async () => {
  assert.ok(caseUrl, 'the first journey went on record');
  const page = await openPage(browser);
  await signIn(page, ADMIN, DEMO_PASSWORD, DEMO_KEY);
  const requests = watchUploads(page);
  await page.goto(`${caseUrl}/material`);
  // The panel replaces the plain form once live: a drop zone and a button to choose files.
  await page.locator('#upload-panel').waitFor();
  assert.ok(await page.locator('.app-upload-fallback').isHidden(), 'the plain form steps aside');
  await checkAccessibility(page, 'upload-panel');

  // Chosen with the button (no dragging needed), and dropped: three files.
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click('#upload-choose')]);
  assert.ok(chooser.isMultiple(), 'many files at once');
  await chooser.setFiles([{ name: 'Witness_statement_of_Ann.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7\nAnn saw nothing\n%%EOF\n') }]);
  await drop(page, [
    { name: 'Skeleton argument.pdf', head: '%PDF-1.7\nskeleton\n', size: 3 << 20 },
    { name: 'setup.exe', head: 'MZ a program' },
  ]);
  assert.match(await page.locator('#upload-status').textContent(), /2 files added/);
  const cards = page.locator('.app-upload-file');
  assert.equal(await cards.count(), 3);
  assert.equal(await cards.nth(0).locator('input[type=text]').inputValue(), 'Witness statement of Ann', 'a title from the name');
  // Checked before anything is sent: the program is refused on its card, in the error summary.
  await page.click('#upload-start');
  const summary = page.locator('#upload-panel-errors');
  await summary.waitFor();
  assert.match(await summary.textContent(), /setup\.exe: The selected file must be a PDF/);
  assert.equal(requests.length, 0, 'nothing sent while a file is wrong');
  await checkAccessibility(page, 'upload-panel-refused');
  await cards.nth(2).locator('button', { hasText: 'Remove' }).click();
  assert.equal(await cards.count(), 2);
  // One is a defence statement, to be sent to the CPS too (offered for that section only).
  const first = cards.nth(0);
  assert.ok(await cards.nth(0).locator('button', { hasText: 'Cancel' }).isHidden(), 'nothing to cancel yet');
  await first.locator('select').selectOption('defence-statement');
  await first.locator('input[type=checkbox]').check();
  await first.locator('input[type=text]').fill('Witness statement: Ann Jones');

  // The connection drops on the first append, and the uploads are slow enough to watch.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 20, downloadThroughput: 4 << 20, uploadThroughput: 1 << 20,
  });
  let dropped = false;
  await page.route(/\/uploads\/[^/]+$/, (route) => {
    if (route.request().method() === 'PATCH' && !dropped) {
      dropped = true;
      return route.abort('connectionreset');
    }
    return route.continue();
  });
  await page.click('#upload-start');
  await page.locator('.app-upload-file').nth(1).locator('.app-upload-progress').waitFor({ timeout: 20000 });
  await page.waitForFunction(() => {
    const p = document.querySelectorAll('.app-upload-file progress')[1];
    return p && Number(p.value) > 5 && Number(p.value) < 100;
  }, null, { timeout: 20000 });
  assert.match(await page.locator('.app-upload-file').nth(1).textContent(), /% sent \(.* of 3\.0 MB\)/);
  await checkAccessibility(page, 'upload-panel-progress');
  // Both in: the page shows them in the case's material, with their receipts.
  await page.locator('#uploaded').waitFor({ timeout: 60000 });
  assert.ok(dropped, 'the dropped connection happened');
  assert.match(await page.locator('#uploaded').textContent(), /2 documents uploaded/);
  assert.match(await page.locator('#uploaded').textContent(), /Witness statement: Ann Jones — Receipt [0-9A-Z]{4}-/);
  assert.match(await page.locator('#material').textContent(), /Skeleton argument/);
  await checkAccessibility(page, 'upload-panel-done');
  assert.ok(requests.some(([m]) => m === 'HEAD'), 'after the drop it asked how much the server had');
  await page.unroute(/\/uploads\/[^/]+$/);

  // A file cancelled part-way is abandoned on the server too.
  requests.length = 0;
  await drop(page, [{ name: 'Bundle.pdf', head: '%PDF-1.7\nbundle\n', size: 4 << 20 }]);
  await page.click('#upload-start');
  await page.locator('.app-upload-file', { hasText: '% sent' }).waitFor({ timeout: 20000 });
  await page.locator('.app-upload-file button', { hasText: 'Cancel' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.app-upload-file').length === 0);
  assert.match(await page.locator('#upload-status').textContent(), /Upload of Bundle\.pdf cancelled/);
  await page.waitForFunction(() => true);
  for (let i = 0; i < 20 && !requests.some(([m]) => m === 'DELETE'); i++) await page.waitForTimeout(100);
  assert.ok(requests.some(([m]) => m === 'DELETE'), 'abandoned on the server');

  // The connection is lost for good and the page is closed while a file is on its way; the
  // server kept the first 5 MiB (sent here as one append, as an append cut off keeps what
  // arrived). Opened again, the same file carries on from there.
  requests.length = 0;
  let made;
  page.on('response', (r) => {
    if (r.request().method() === 'POST' && /\/uploads$/.test(new URL(r.url()).pathname)) made = r.headers().location;
  });
  await page.route(/\/uploads\/[^/]+$/, (route) => (route.request().method() === 'PATCH' ? route.abort('internetdisconnected') : route.continue()));
  await drop(page, [{ name: 'Exhibits.pdf', head: '%PDF-1.7\nexhibits\n', size: 16 << 20 }]);
  await page.locator('.app-upload-file input[type=text]').fill('Exhibits AB/1 to AB/4');
  await page.click('#upload-start');
  await page.locator('.app-upload-file', { hasText: 'The connection dropped. Trying again' }).waitFor({ timeout: 20000 });
  assert.ok(made, 'the upload was made');
  const context = page.context();
  await page.close();
  const bytes = Buffer.alloc(16 << 20);
  for (let i = 0; i < bytes.length; i++) bytes[i] = 32 + (i % 90);
  Buffer.from('%PDF-1.7\nexhibits\n').copy(bytes);
  const kept = await context.request.patch(BASE + made, {
    headers: { 'Tus-Resumable': '1.0.0', 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': '0', Origin: BASE },
    data: bytes.subarray(0, 5 << 20),
  });
  assert.equal(kept.status(), 204);
  assert.equal(kept.headers()['upload-offset'], String(5 << 20));
  const again = await context.newPage();
  const resumed = watchUploads(again);
  const errors = [];
  again.on('pageerror', (e) => errors.push(String(e)));
  again.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await again.goto(`${caseUrl}/material`);
  await again.locator('#upload-unfinished').waitFor();
  assert.match(await again.locator('#upload-unfinished').textContent(), /Exhibits\.pdf/);
  await drop(again, [{ name: 'Exhibits.pdf', head: '%PDF-1.7\nexhibits\n', size: 16 << 20 }]);
  assert.equal(await again.locator('.app-upload-file input[type=text]').inputValue(), 'Exhibits AB/1 to AB/4', 'as it was to be served');
  await again.click('#upload-start');
  await again.locator('#uploaded').waitFor({ timeout: 60000 });
  const append = resumed.find(([m]) => m === 'PATCH');
  assert.ok(append && Number(append[1]) === 5 << 20, `carried on from the bytes kept: ${JSON.stringify(resumed)}`);
  assert.ok(!resumed.some(([m]) => m === 'POST'), 'no new upload');
  assert.match(await again.locator('#uploaded').textContent(), /Exhibits AB\/1 to AB\/4/);
  // The document is exactly the file: its receipt's SHA-256.
  await again.click('#uploaded a:has-text("Exhibits AB/1 to AB/4")');
  assert.equal((await again.locator('#receipt-sha256').textContent()).trim(), createHash('sha256').update(bytes).digest('hex'));
  assert.deepEqual(errors, [], 'no errors on the page');
  await context.close();
});

test('the upload panel in Welsh on a tablet', async () => {
  const clerk = await openPage(browser, { viewport: TABLET, hasTouch: true, locale: 'cy-GB' });
  await signIn(clerk, ADMIN, DEMO_PASSWORD, DEMO_KEY);
  await clerk.goto(`${caseUrl}/material?lang=cy`);
  await clerk.locator('#upload-panel').waitFor();
  assert.match(await clerk.locator('.app-upload-dropzone').textContent(), /Llusgwch a gollwng ffeiliau yma neu/);
  await drop(clerk, [{ name: 'Datganiad.pdf', head: '%PDF-1.7\ndatganiad\n' }, { name: 'gwag.pdf', head: '' }]);
  await clerk.click('#upload-start');
  await clerk.locator('#upload-panel-errors').waitFor();
  assert.match(await clerk.locator('#upload-panel-errors').textContent(), /gwag\.pdf: /);
  await checkAccessibility(clerk, 'upload-panel-cy-tablet');
  await clerk.locator('.app-upload-file', { hasText: 'gwag.pdf' }).locator('button', { hasText: 'Tynnu' }).click();
  await clerk.click('#upload-start');
  await clerk.locator('#uploaded').waitFor({ timeout: 30000 });
  assert.match(await clerk.locator('#uploaded').textContent(), /1 ddogfen wedi’i lanlwytho/);
  await checkAccessibility(clerk, 'upload-panel-done-cy-tablet');
  expectNoProblems(clerk);
  await clerk.context().close();
});

test('Smith & Co share a document with the co-defendant’s firm, which is told and sees it as new, then stop sharing', async () => {
  assert.ok(caseUrl && statementReceipt, 'the first journey uploaded the defence statement');
  // Jones Chambers go on record for the co-defendant (the company).
  const clerk = await openPage(browser);
  await signIn(clerk, CLERK, DEMO_PASSWORD, DEMO_KEY);
  await findCase(clerk);
  const company = await defendantId(clerk, 'Haulage');
  await clerk.goto(`${caseUrl}/associate?defendant=${company}`);
  await clerk.check('#nature-private');
  await submit(clerk, 'main button[type=submit]');
  await banner(clerk);
  await clerk.goto(`${caseUrl}/material`);
  assert.doesNotMatch(await clerk.locator('#material').textContent(), /Defence statement/, 'not shared: not there');

  // Smith & Co, on a tablet, share it from its receipt.
  const admin = await openPage(browser, { viewport: TABLET, hasTouch: true });
  await signIn(admin, ADMIN, DEMO_PASSWORD, DEMO_KEY);
  await admin.goto(`${caseUrl}/material`);
  await submit(admin, `#material a[href="${new URL(statementReceipt).pathname}"]`);
  assert.equal(admin.url(), statementReceipt, 'the receipt is reached from the material list');
  assert.match(await admin.locator('#shared-with').textContent(), /No other defendant/);
  const digest = (await admin.locator('#receipt-sha256').textContent()).trim();
  const form = `form[action="${new URL(statementReceipt).pathname}"]`;
  assert.match(await admin.locator(form).textContent(), /Represented by Jones Chambers/);
  await checkAccessibility(admin, 'receipt-sharing-tablet');
  await admin.check(`input[name=share][value="${company}"]`);
  await submit(admin, `${form} button[type=submit]`);
  assert.match(await admin.locator('#sharing-result').textContent(), /Saved/);
  assert.match(await admin.locator('#shared-with').textContent(), /Llŷr Haulage Cyf/);
  assert.ok(await admin.isChecked(`input[name=share][value="${company}"]`));
  await checkAccessibility(admin, 'receipt-shared-tablet');
  await admin.goto(`${caseUrl}/material`);
  assert.match(await admin.locator('#material').textContent(), /Shared with the representatives of Llŷr Haulage Cyf/);

  // The clerk is emailed, sees "new" on their cases and the case, and reads the exact bytes.
  assert.match(await email(clerk, CLERK, 'material_new'), /45 KD 1234567 26/);
  await clerk.goto(`${BASE}/cases`);
  assert.match(await clerk.locator('#firm-cases .app-new-tag').textContent(), /1 new document/);
  await clerk.goto(caseUrl);
  assert.match(await clerk.locator('#new-material').textContent(), /1 new document/);
  await checkAccessibility(clerk, 'case-new-material');
  await clerk.click('.moj-sub-navigation a[href$="/material"]');
  const row = clerk.locator('#material tr', { hasText: 'Defence statement' });
  assert.match(await row.textContent(), /New/);
  assert.match(await row.textContent(), /Shared with your organisation/);
  await checkAccessibility(clerk, 'material-shared-new');
  const href = await row.locator('a[download]').getAttribute('href');
  const [download] = await Promise.all([clerk.waitForEvent('download'), row.locator('a[download]').click()]);
  assert.equal(createHash('sha256').update(readFileSync(await download.path())).digest('hex'), digest);
  await clerk.reload();
  assert.equal(await clerk.locator('#material .app-new-tag').count(), 0, 'opened: no longer new');
  assert.equal(await clerk.locator('#new-material').count(), 0);

  // Smith & Co stop sharing: it is gone for the clerk at once.
  await admin.goto(statementReceipt);
  await admin.uncheck(`input[name=share][value="${company}"]`);
  await submit(admin, `${form} button[type=submit]`);
  assert.match(await admin.locator('#shared-with').textContent(), /No other defendant/);
  await clerk.reload();
  assert.doesNotMatch(await clerk.locator('#material').textContent(), /Defence statement/);
  assert.equal((await clerk.request.get(`${BASE}${href}`)).status(), 404);
  expectNoProblems(admin);
  expectNoProblems(clerk);
  await admin.context().close();
  await clerk.context().close();
});

test('a second firm, in Welsh on a tablet, is refused and asks for a release; the first stops acting; the second goes on record', async () => {
  assert.ok(caseUrl, 'the first journey found the case');
  const clerk = await openPage(browser, { viewport: TABLET, hasTouch: true, locale: 'cy-GB' });
  await signIn(clerk, CLERK, DEMO_PASSWORD, DEMO_KEY);
  await clerk.goto(`${BASE}/cases?lang=cy`);
  assert.equal(await clerk.getAttribute('html', 'lang'), 'cy');
  await findCase(clerk);
  assert.equal(clerk.url().split('?')[0], caseUrl, 'the same case');
  await checkAccessibility(clerk, 'case-summary-cy-tablet');
  const rhiannon = await defendantId(clerk, 'Rhiannon');
  const card = clerk.locator(`#defendant-${rhiannon}`);
  assert.match(await card.textContent(), /Smith & Co/, 'they see which firm is on record');

  // Going straight to the associate form: the database says no, clearly.
  await clerk.goto(`${caseUrl}/associate?defendant=${rhiannon}`);
  await clerk.check('#nature-private');
  await submit(clerk, 'main button[type=submit]');
  assert.match(await errorSummary(clerk), /Smith & Co/);
  await checkAccessibility(clerk, 'associate-refused-cy-tablet');

  // Ask Smith & Co to release the defendant.
  await clerk.goto(caseUrl);
  await clerk.click(`#defendant-${rhiannon} a.govuk-button--secondary`);
  assert.equal(path(clerk), new URL(caseUrl).pathname + '/release');
  assert.match(await clerk.locator('#on-record-firm').textContent(), /Smith & Co/);
  await checkAccessibility(clerk, 'release-cy-tablet');
  await clerk.fill('#message', 'Mae’r cleient wedi ein cyfarwyddo ni heddiw.');
  await submit(clerk, 'main button[type=submit]');
  await banner(clerk);

  // Smith & Co see the request, and stop acting.
  const admin = await openPage(browser);
  await signIn(admin, ADMIN, DEMO_PASSWORD, DEMO_KEY);
  const request = await email(admin, ADMIN, 'release_request');
  assert.match(request, /Jones Chambers/);
  await admin.goto(`${caseUrl}/access`);
  assert.match(await admin.locator('.app-release-request').textContent(), /Jones Chambers/);
  await admin.click('#on-record a[href*="/disassociate"]');
  await checkAccessibility(admin, 'disassociate');
  await submit(admin, 'main button[type=submit]');
  assert.match(await errorSummary(admin), /no longer acts/);
  await admin.check('#confirm');
  await submit(admin, 'main button[type=submit]');
  assert.match(await banner(admin), /no longer on record/);
  assert.match(await admin.locator('#not-on-record').textContent(), /not on record/);
  // Access ended at once: the statement is no longer theirs.
  await admin.goto(`${caseUrl}/material`);
  assert.equal(await admin.locator('#material a[download]').count(), 1, 'the IDPC only (their own declaration)');
  const released = await email(admin, CLERK, 'release_done');
  assert.match(released, /Rhiannon/);
  await admin.context().close();

  // The clerk goes on record.
  await clerk.goto(`${caseUrl}/associate?defendant=${rhiannon}`);
  await clerk.check('#nature');
  await clerk.fill('#laa_account', '');
  await submit(clerk, 'main button[type=submit]');
  await errorSummary(clerk);
  await clerk.fill('#laa_account', '2b345c');
  await submit(clerk, 'main button[type=submit]');
  assert.equal(path(clerk), new URL(caseUrl).pathname + '/access');
  await banner(clerk);
  await checkAccessibility(clerk, 'case-access-cy-tablet');
  await clerk.goto(`${BASE}/cases`);
  assert.match(await clerk.locator('#firm-cases').textContent(), /45 KD 1234567 26/);
  await checkAccessibility(clerk, 'cases-home-cy-tablet');
  expectNoProblems(clerk);
  await clerk.context().close();
});

test('a case is not found by someone who has not found it, and staff cannot look for cases', async () => {
  assert.ok(caseUrl);
  const page = await openPage(browser);
  const res = await page.goto(caseUrl);
  assert.equal(path(page), '/sign-in', 'signed out: sign in first');
  assert.ok(res.ok());
  await signIn(page, 'onboarding@hmcts.example', DEMO_PASSWORD, DEMO_KEY);
  assert.equal((await page.goto(caseUrl)).status(), 404);
  assert.equal((await page.goto(`${BASE}/cases/find`)).status(), 404);
  await page.context().close();
});

test('the service centre finds the case for a caller and sees who is on record; the LAA reads the records, in Welsh', async () => {
  assert.ok(caseUrl);
  const centre = await openPage(browser, { viewport: TABLET });
  await signIn(centre, 'service-centre@hmcts.example', DEMO_PASSWORD, DEMO_KEY);
  assert.equal(path(centre), '/staff/service-centre', 'staff land on their own page');
  await checkAccessibility(centre, 'service-centre');
  // The plea Smith & Co served is in the inbox: read it, then mark it done.
  assert.match(await centre.locator('#inbox-link').textContent(), /\(1\)/);
  await submit(centre, '#inbox-link');
  const inbox = await centre.locator('#inbox').textContent();
  assert.match(inbox, /Plea: not guilty/);
  assert.match(inbox, /Smith & Co/);
  await checkAccessibility(centre, 'service-centre-inbox');
  const doc = await centre.request.get(BASE + await centre.locator('#inbox a[download]').getAttribute('href'));
  assert.equal(doc.status(), 200);
  assert.deepEqual(Buffer.from(await doc.body()), PLEA, 'the bytes served');
  await submit(centre, '#inbox button[type=submit]');
  await banner(centre);
  assert.equal(await centre.locator('#inbox-empty').count(), 1, 'nothing left to do');
  await centre.goto(`${BASE}/staff/service-centre`);
  await centre.fill('#q', 'rhiannon llyr-evans');
  await centre.fill('#dob', '14/7/1988');
  await submit(centre, 'main button[type=submit]');
  const found = await centre.locator('#results').textContent();
  assert.match(found, /45 KD 1234567 26/);
  assert.match(found, /Jones Chambers/, 'the firm on record now');
  await checkAccessibility(centre, 'service-centre-results');
  await centre.fill('#dob', '15/7/1988');
  await submit(centre, 'main button[type=submit]');
  assert.equal(await centre.locator('#no-results').count(), 1, 'another date of birth is another person');
  expectNoProblems(centre);
  assert.equal((await centre.goto(caseUrl)).status(), 404, 'staff do not see the defence pages');
  await centre.context().close();

  const laa = await openPage(browser, { locale: 'cy-GB' });
  await signIn(laa, 'laa@legalaid.example', DEMO_PASSWORD, DEMO_KEY);
  await laa.goto(`${BASE}/staff/laa?lang=cy`);
  assert.equal(await laa.getAttribute('html', 'lang'), 'cy');
  const all = await laa.locator('#records').textContent();
  assert.match(all, /Smith & Co/);
  assert.match(all, /Jones Chambers/);
  await checkAccessibility(laa, 'laa-records-cy');
  await laa.fill('#q', '2b345c');
  await submit(laa, 'main button[type=submit]');
  const mine = await laa.locator('#records').textContent();
  assert.match(mine, /Jones Chambers/);
  assert.doesNotMatch(mine, /Smith & Co/, 'searched by the LAA account number');

  // A representation order names Smith & Co: the defendant moves back to them.
  await laa.click('a[href="/staff/laa/order"]');
  await checkAccessibility(laa, 'laa-order-cy');
  await laa.fill('#urn', '45KD1234567 26');
  await laa.fill('#defendant', 'Rhiannon Llyr-Evans');
  await laa.fill('#laa_account', '9z999z');
  await laa.fill('#reference', 'RO-2026-0042');
  await submit(laa, 'main button[type=submit]');
  await errorSummary(laa);
  await laa.fill('#laa_account', '1a234b');
  await submit(laa, 'main button[type=submit]');
  assert.equal(path(laa), '/staff/laa');
  await banner(laa);
  const rows = await laa.locator('#records tbody tr').allTextContents();
  assert.ok(rows.some((r) => /Smith & Co/.test(r) && /orchymyn/.test(r)), 'Smith & Co put on record by the order');
  assert.ok(rows.some((r) => /Jones Chambers/.test(r) && /orchymyn/.test(r)), 'Jones Chambers taken off');
  expectNoProblems(laa);
  await laa.context().close();
});

test('without a URN, a user asks the service centre, which answers in the product and by email', async () => {
  const user = await openPage(browser);
  await signIn(user, 'caseworker@smith-solicitors.example', DEMO_PASSWORD, DEMO_KEY);
  await user.goto(`${BASE}/cases/find`);
  await user.click('a[href="/cases/no-urn"]');
  assert.equal(path(user), '/cases/no-urn');
  await checkAccessibility(user, 'no-urn');
  await submit(user, 'main button[type=submit]');
  const problems = await errorSummary(user);
  assert.match(problems, /first name/);
  assert.match(problems, /address/);
  await checkAccessibility(user, 'no-urn-errors');
  await user.fill('#first', 'Rhiannon');
  await user.fill('#last', 'Llŷr-Evans');
  await user.fill('#dob-day', '14');
  await user.fill('#dob-month', '7');
  await user.fill('#dob-year', '1988');
  await user.fill('#address', '12 Heol y Frenhines\nCaerdydd\nCF10 2BU');
  await user.selectOption('#court', "Cardiff Magistrates' Court");
  await submit(user, 'main button[type=submit]');
  assert.equal(path(user), '/cases');
  await banner(user);
  assert.match(await user.locator('#urn-requests').textContent(), /Waiting/);

  const centre = await openPage(browser);
  await signIn(centre, 'service-centre@hmcts.example', DEMO_PASSWORD, DEMO_KEY);
  await centre.click('#urn-queue a:has-text("Rhiannon")');
  assert.match(await centre.locator('#request').textContent(), /Heol y Frenhines/);
  await checkAccessibility(centre, 'urn-request-answer');
  await centre.check('#outcome');
  await centre.fill('#urn', '45kd 123');
  await submit(centre, 'main button[type=submit]');
  assert.match(await errorSummary(centre), /11 or 13/);
  await centre.check('#outcome');
  await centre.fill('#urn', '45kd 1234567 26');
  await submit(centre, 'main button[type=submit]');
  await banner(centre);
  assert.equal(await centre.locator('#no-requests').count(), 1, 'the queue is empty');
  const told = await email(centre, 'caseworker@smith-solicitors.example', 'urn_answer');
  assert.match(told, /45 KD 1234567 26/);
  expectNoProblems(centre);
  await centre.context().close();

  await user.goto(`${BASE}/cases`);
  assert.match(await user.locator('#urn-requests').textContent(), /45 KD 1234567 26/);
  await checkAccessibility(user, 'cases-home-urn-answered');
  expectNoProblems(user);
  await user.context().close();
});
