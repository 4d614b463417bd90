// Opens the static site written by `debrief site build` and the digest's mail HTML from disk
// in headless Chromium, as a reader would: the list, search (with other word forms, prefixes,
// exclusions and phrases), a review whose notes hold hostile HTML, and the digest at a
// phone's width and a desktop's.
//
// Run by crates/debrief/tests/server.rs:
//   DEBRIEF_SITE=DIR DEBRIEF_DIGEST=FILE.html node site.mjs
// DEBRIEF_SCREENSHOTS=DIR also saves screenshots there. CHROMIUM names the browser.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const site = process.env.DEBRIEF_SITE;
const digest = process.env.DEBRIEF_DIGEST;
const shots = process.env.DEBRIEF_SCREENSHOTS;
assert.ok(site && digest, 'set DEBRIEF_SITE and DEBRIEF_DIGEST');
if (shots) mkdirSync(shots, { recursive: true });
const root = pathToFileURL(site.endsWith('/') ? site : `${site}/`).href;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  await run();
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);

function step(name) {
  console.log(`ok - ${name}`);
}

async function shot(page, name) {
  if (shots) await page.screenshot({ path: `${shots}/${name}.jpg`, type: 'jpeg', quality: 80, fullPage: true });
}

async function hits(page, query) {
  await page.goto(`${root}search.html?q=${encodeURIComponent(query)}`);
  await page.waitForFunction(() => !document.getElementById('status').textContent.includes('needs JavaScript'));
  return page.$$eval('#hits li.hit > a strong', (els) => els.map((e) => e.textContent));
}

async function run() {
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('dialog', (d) => { errors.push(`dialog: ${d.message()}`); d.dismiss(); });
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  await page.goto(`${root}index.html`);
  const listed = await page.$$eval('ul.reviews li strong', (els) => els.map((e) => e.textContent));
  assert.deepEqual(listed.sort(), ['INC-100', 'INC-101'], `only the published reviews: ${listed}`);
  await shot(page, 'site');
  step('the list shows the published reviews only');

  // "timeouts" finds the review that says "timeout"; a prefix, an exclusion and a phrase.
  assert.ok((await hits(page, 'timeouts')).includes('INC-100'), 'timeouts → timeout');
  const marks = await page.$$eval('#hits mark', (els) => els.map((e) => e.textContent.toLowerCase()));
  assert.ok(marks.includes('timeout'), `the matched word is marked: ${marks}`);
  await shot(page, 'site-search');
  assert.deepEqual(await hits(page, 'traef*'), ['INC-101'], 'prefix');
  const both = await hits(page, 'config*');
  assert.ok(both.includes('INC-100') && both.includes('INC-101'), `config: ${both}`);
  assert.deepEqual(await hits(page, 'config* -traefik'), ['INC-100'], 'exclusion');
  assert.deepEqual(await hits(page, '"payment gateway"'), ['INC-100'], 'phrase');
  assert.deepEqual(await hits(page, 'zyzzyva'), [], 'no match');
  assert.equal(await page.textContent('#status'), 'No review matches.');
  // A hostile query is searched for as words (INC-101's notes hold them) and runs nothing.
  assert.equal((await hits(page, '<img src=x onerror=alert(1)>'))[0], 'INC-101', 'a hostile query');
  assert.equal(await page.locator('#hits img').count(), 0, 'no element from the query');
  assert.equal(await page.inputValue('#q'), '<img src=x onerror=alert(1)>', 'shown as typed');
  step('search finds other word forms, prefixes, exclusions and phrases');

  // The header's search box leads to the search page.
  await page.goto(`${root}reviews/INC-100.html`);
  await page.fill('header input[name=q]', 'rollback');
  await page.press('header input[name=q]', 'Enter');
  await page.waitForURL(/search\.html\?q=rollback/);
  await page.waitForSelector('#hits li.hit');
  step('the search box on every page');

  // The review with hostile notes: shown as text, nothing runs, no script on the page.
  await page.goto(`${root}reviews/INC-101.html`);
  for (const el of await page.locator('main a, main details, main img').all()) {
    await el.hover({ timeout: 1000 }).catch(() => {});
    await el.click({ timeout: 1000 }).catch(() => {});
    if (!page.url().includes('INC-101.html')) await page.goto(`${root}reviews/INC-101.html`);
  }
  const verdict = await page.evaluate(() => ({
    pwned: window.__pwned ?? null,
    scripts: document.querySelectorAll('script').length,
    handlers: [...document.querySelectorAll('*')]
      .flatMap((el) => [...el.attributes].map((a) => a.name)).filter((n) => n.startsWith('on')),
    text: document.querySelector('main').textContent,
  }));
  assert.equal(verdict.pwned, null, 'nothing from the review ran');
  assert.equal(verdict.scripts, 0, 'a review page has no script');
  assert.deepEqual(verdict.handlers, [], 'no event handlers');
  assert.ok(verdict.text.includes("<script>window.__pwned=1</script>"), 'the hostile HTML is text');
  step('a review with hostile HTML is shown as text and nothing runs');

  await page.goto(`${root}problems.html`);
  await page.waitForSelector('h1:has-text("Problems")');
  await page.goto(`${root}lessons.html`);
  const lessons = await page.$$eval('main li', (els) => els.length);
  assert.ok(lessons >= 5, `lessons listed: ${lessons}`);
  step('the problems and lessons pages');

  // The digest as a mail client shows it: one column, at most 640 px, no sideways scroll.
  for (const width of [390, 1000]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(pathToFileURL(digest).href);
    const m = await page.evaluate(() => {
      const card = document.querySelector('body > table table');
      return {
        card: card.getBoundingClientRect().width,
        scroll: document.documentElement.scrollWidth,
        view: window.innerWidth,
        headings: [...document.querySelectorAll('h2')].map((h) => h.textContent),
        scripts: document.querySelectorAll('script').length,
      };
    });
    assert.ok(m.card <= 640, `the column is ${m.card} px`);
    assert.ok(m.scroll <= m.view, `no sideways scroll at ${width} px: ${m.scroll} > ${m.view}`);
    assert.equal(m.scripts, 0);
    for (const h of ['Reviews published', 'Overdue action items', 'Failure bows']) {
      assert.ok(m.headings.includes(h), `${h} in ${m.headings}`);
    }
    if (width === 390) await shot(page, 'digest-mail-phone');
  }
  step('the digest reads in one column on a phone and a desktop');

  assert.deepEqual(errors, [], 'no script error, console error or dialog');
  await context.close();
}
