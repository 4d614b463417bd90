// Drives headless Chromium through debrief's web UI as a person would: sign in, open an
// incident, write a review that the linter flags, see the finding, fix it, publish, see the
// fishbone, file a near miss; and posts a hostile review to prove nothing in it runs.
//
// Run by crates/debrief/tests/server.rs against a real server:
//   DEBRIEF_URL=http://127.0.0.1:PORT DEBRIEF_TOKEN=dbt_… node ui.mjs
// DEBRIEF_SCREENSHOTS=DIR also saves screenshots of the main pages there (docs/screenshots).
// CHROMIUM names the browser (default /usr/bin/chromium).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = process.env.DEBRIEF_URL;
const token = process.env.DEBRIEF_TOKEN;
const shots = process.env.DEBRIEF_SCREENSHOTS;
assert.ok(base && token, 'set DEBRIEF_URL and DEBRIEF_TOKEN');
if (shots) mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // This machine has no network beyond loopback: keep Chromium from reaching for it.
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

async function shot(page, name, fullPage = false) {
  if (shots) await page.screenshot({ path: `${shots}/${name}.jpg`, type: 'jpeg', quality: 70, fullPage });
}

async function run() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  // Anything a hostile review manages to run would show up here.
  const ran = [];
  page.on('dialog', async (d) => { ran.push(`dialog: ${d.message()}`); await d.dismiss(); });
  page.on('pageerror', (e) => ran.push(`page error: ${e.message}`));

  // Sign in.
  await page.goto(`${base}/`);
  assert.match(page.url(), /\/signin$/, 'a browser that is not signed in goes to the sign-in page');
  await shot(page, 'signin');
  await page.fill('input[name=token]', 'dbt_wrong');
  await page.click('button:has-text("Sign in")');
  assert.match(await page.textContent('main'), /unknown or revoked/);
  await page.goto(`${base}/signin`);
  await page.fill('input[name=token]', token);
  await page.click('button:has-text("Sign in")');
  await page.waitForSelector('h1:has-text("Incidents")');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'debrief_session');
  assert.ok(session && session.httpOnly && session.sameSite === 'Strict', 'an HttpOnly, SameSite=Strict session cookie');
  assert.equal(await page.evaluate(() => document.cookie), '', 'page scripts cannot read the session cookie');
  await shot(page, 'incidents');
  step('sign in with a token');
  // For the README: an example review's page, as a reader first meets it.
  if (shots && process.env.DEBRIEF_SHOWCASE) {
    await page.goto(`${base}/incidents/${process.env.DEBRIEF_SHOWCASE}`);
    await shot(page, 'incident-example');
    await page.locator('h2:has-text("Contributing factors")').scrollIntoViewIfNeeded();
    await page.evaluate(() => window.scrollBy(0, -20));
    await shot(page, 'fishbone');
    await page.goto(`${base}/`);
  }

  // Create an incident.
  await page.click('a:has-text("New incident")');
  await page.fill('input[name=title]', 'Checkout slow after a cache flush');
  await page.selectOption('select[name=severity]', 'SEV2');
  await page.fill('input[name=services]', 'checkout, cache');
  await page.fill('textarea[name=summary]', 'Checkout took seconds per request for 40 minutes.');
  await page.click('button:has-text("Create")');
  await page.waitForSelector('textarea[name=text]');
  const id = page.url().match(/\/incidents\/(INC-\d+)\/edit/)[1];
  assert.match(await page.inputValue('textarea[name=text]'), /# Checkout slow after a cache flush/);
  step(`create incident ${id}`);

  // Write a review that blames someone; save; the finding shows beside the text.
  const blaming = 'Dana was careless and forgot to warm the cache before the flush.';
  const blameless = 'The flush job has no warm-up step, so the cache was cold when traffic arrived.';
  const review = (summary) => `---
severity: SEV2
review: draft
services:
- checkout
- cache
---

# Checkout slow after a cache flush

## Summary

${summary}

## Timeline

- 2026-11-20T14:00:00Z — The nightly cache flush runs during peak traffic.
- 2026-11-20T14:05:00Z — Checkout latency alert fires.
- 2026-11-20T14:40:00Z — Cache warm; latency back to normal.

## Contributing factors

### F1. The flush job empties the cache with no warm-up

- level: technical
- category: tooling

Every request after the flush went to the database.

### F2. The runbook does not say when a flush is safe

- level: process
- category: process

Nothing tells the person running it to avoid peak hours.

#### Why-chain

1. Why did the flush run at peak? The schedule predates the traffic shift.

### F3. Cache work has no owning team

- level: organization
- category: management

Nobody reviews the cache jobs when traffic patterns change.

## Lessons

### What went well

- The latency alert fired within five minutes.

## Action items

- [ ] Add a warm-up step to the flush job
  - kind: prevent
  - owner: platform-team
  - due: 2026-12-31
`;
  await page.fill('textarea[name=text]', review(blaming));
  await page.click('button[value=save]');
  await page.waitForSelector('.notice.good');
  const finding = page.locator('li.finding.error');
  assert.ok(await finding.count() >= 1, 'an error finding for the blaming sentence');
  assert.match(await finding.first().textContent(), /careless/);
  assert.match(await page.textContent('aside'), /line \d+/);
  await shot(page, 'editor');
  step('a blaming sentence is flagged beside the text');

  // Check (without saving) keeps the text and lints it.
  await page.fill('textarea[name=text]', review(blaming) + '\nAn extra line nobody saved.\n');
  await page.click('button[value=check]');
  await page.waitForSelector('.notice.good:has-text("not saved")');
  assert.match(await page.inputValue('textarea[name=text]'), /An extra line nobody saved/);
  // A broken document is not saved, and the text stays in the editor.
  await page.fill('textarea[name=text]', '---\nseverity: [unclosed\n---\n# Broken\n');
  await page.click('button[value=save]');
  await page.waitForSelector('.notice.bad');
  assert.match(await page.textContent('.notice.bad'), /Not saved/);
  assert.match(await page.inputValue('textarea[name=text]'), /severity: \[unclosed/);
  step('check lints without saving; a broken document keeps its text');

  // Submit, try to publish: refused with the gate's reasons.
  await page.goto(`${base}/incidents/${id}/publish`);
  await page.click('button:has-text("Submit for review")');
  await page.waitForSelector('.notice.good:has-text("Submitted")');
  await page.click('button:has-text("Publish")');
  await page.waitForSelector('.notice.bad:has-text("Not published")');
  assert.match(await page.textContent('ol.blockers'), /careless/);
  await shot(page, 'publish-blocked');
  step('publishing is refused with the finding as the reason');

  // Fix the sentence; the finding is gone; publish.
  await page.goto(`${base}/incidents/${id}/edit`);
  const current = await page.inputValue('textarea[name=text]');
  assert.ok(current.includes(blaming), 'the editor holds the saved review');
  await page.fill('textarea[name=text]', current.replace(blaming, blameless));
  await page.click('button[value=save]');
  await page.waitForSelector('.notice.good');
  assert.equal(await page.locator('li.finding.error').count(), 0, 'no error finding after the fix');
  await page.goto(`${base}/incidents/${id}/publish`);
  assert.match(await page.textContent('#gate'), /Nothing blocks publishing/);
  await page.click('button:has-text("Publish")');
  await page.waitForSelector('.notice.good:has-text("Published")');
  assert.match(await page.textContent('ol.steps li.current'), /Published/);
  step('fixed and published');

  // The incident page: the review, the timeline and the fishbone.
  await page.goto(`${base}/incidents/${id}`);
  const fishbone = page.locator('svg.fishbone');
  await fishbone.waitFor();
  const bones = await fishbone.textContent();
  for (const text of ['tooling', 'process', 'management', 'warm-up']) {
    assert.ok(bones.includes(text), `the fishbone shows ${text}`);
  }
  const box = await fishbone.boundingBox();
  assert.ok(box && box.width > 300 && box.height > 100, 'the fishbone is drawn at a readable size');
  assert.ok(await page.locator('figure.drawing svg').count() >= 2, 'a timeline drawing too');
  await shot(page, 'incident');
  step('the incident page shows the timeline and the fishbone');

  // Readable on a phone: nothing wider than the screen but the drawings, which scroll.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  await phone.addCookies([session]);
  const small = await phone.newPage();
  await small.goto(`${base}/incidents/${id}`);
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page fits a phone's width (${overflow}px too wide)`);
  await shot(small, 'incident-phone');
  await phone.close();
  step('the incident page fits a phone');

  // The other pages.
  await page.goto(`${base}/actions`);
  assert.match(await page.textContent('main'), /Add a warm-up step to the flush job/);
  await shot(page, 'actions');
  await page.goto(`${base}/signals`);
  await page.waitForSelector('h1:has-text("Weak signals")');
  if (await page.locator('svg.spark').count() > 0) await shot(page, 'signals');
  step('the action board and the signals page');
  await page.goto(`${base}/digest`);
  await page.waitForSelector('h1:has-text("Learning digest")');
  await shot(page, 'digest', true);
  step('the digest page');

  // A retro held in the browser: open it, add items, vote, close with an owner.
  await page.goto(`${base}/retros`);
  await page.fill('#new-retro input[name=title]', 'Checkout team, sprint 7');
  await page.fill('#new-retro input[name=team]', 'checkout');
  await page.click('button:has-text("Open a retro")');
  await page.waitForSelector('h1:has-text("Checkout team, sprint 7")');
  const retro = page.url().match(/\/retros\/(RETRO-\d+)$/)[1];
  for (const [kind, text] of [['stop', 'Flushing caches at peak'], ['start', 'Warm caches before a flush']]) {
    await page.selectOption('select[name=kind]', kind);
    await page.fill('input[name=text]', text);
    await page.click('button:has-text("Add")');
    await page.waitForSelector(`#items td:has-text("${text}")`);
  }
  for (let i = 0; i < 2; i++) {
    await page.click('button[aria-label="vote for item 2"]');
    // The page comes back with the votes counted: item 2 first, with one vote more.
    await page.waitForFunction((n) => {
      const cells = document.querySelectorAll('#items tbody tr:first-child td');
      return cells.length > 3 && cells[2].textContent.includes('Warm caches')
        && cells[3].textContent.trim().startsWith(String(n));
    }, i + 1);
  }
  const top = await page.textContent('#items tbody tr:first-child');
  assert.match(top, /Warm caches before a flush\s*2/, 'the item with most votes comes first');
  await page.fill('#close input[name=owner_2]', 'checkout');
  await page.fill('#close input[name=due]', '+30d');
  await shot(page, 'retro', true);
  await page.click('button:has-text("Close the retro")');
  await page.waitForSelector('p.muted:has-text("closed")');
  assert.match(await page.textContent('#items'), /A-\d+ open, owner checkout, due/);
  assert.equal(await page.locator('form[action$="/vote"]').count(), 0, 'a closed retro takes no votes');
  await page.goto(`${base}/actions`);
  assert.match(await page.textContent('main'), new RegExp(`Start: Warm caches before a flush[\\s\\S]*${retro}`));
  step(`a retro (${retro}) is held, voted and closed into an owned action item`);

  // Search from the box on every page; the words found are marked.
  await page.fill('header input[name=q]', 'cache flush');
  await page.press('header input[name=q]', 'Enter');
  await page.waitForSelector('ol.hits');
  assert.match(await page.textContent('ol.hits'), /Checkout slow after a cache flush/);
  assert.ok(await page.locator('ol.hits mark').count() > 0, 'the words found are marked');
  await shot(page, 'search');
  await page.goto(`${base}/problems`);
  await page.waitForSelector('h1:has-text("Problems")');
  assert.match(await page.textContent('main'), /What recurs/);
  step('search and the problems page');

  // The near-miss form, in a browser that never signed in.
  const anonymous = await browser.newContext();
  const reporter = await anonymous.newPage();
  await reporter.goto(`${base}/near-miss`);
  await reporter.fill('textarea[name=what]', 'A migration nearly ran against production from a laptop.');
  await reporter.fill('textarea[name=made_possible]', 'Production credentials in a shared env file.');
  await reporter.fill('textarea[name=stopped_it]', 'The confirmation prompt showed the host name.');
  await shot(reporter, 'near-miss');
  await reporter.click('button:has-text("Send")');
  await reporter.waitForSelector('h1:has-text("Thank you")');
  assert.equal((await anonymous.cookies()).length, 0, 'the near-miss form sets no cookie');
  await anonymous.close();
  step('file a near miss without signing in');

  // A hostile review: script tags, event handlers, javascript: links, an SVG with onload.
  await page.goto(`${base}/incidents/new`);
  await page.fill('input[name=title]', 'Hostile <img src=x onerror="window.__pwned=\'title\'">');
  await page.click('button:has-text("Create")');
  await page.waitForSelector('textarea[name=text]');
  const hostileId = page.url().match(/\/incidents\/(INC-\d+)\/edit/)[1];
  const hostile = `---
severity: SEV3
---

# Hostile <script>window.__pwned='heading'</script>

## Summary

<script>window.__pwned = 'script'; alert('script')</script>
<img src="x" onerror="window.__pwned='img'; alert('img')">
<svg onload="window.__pwned='svg'"><circle r="5"/></svg>
<a href="javascript:window.__pwned='link'" id="jslink">click me</a>
[markdown link](javascript:window.__pwned='md') and <iframe src="javascript:alert(1)"></iframe>
<div style="background:url(javascript:alert(1))" onmouseover="window.__pwned='hover'">hover</div>

## Contributing factors

### F1. <b onclick="window.__pwned='factor'">bold</b> factor

- level: process
- category: process

<details open ontoggle="window.__pwned='toggle'">x</details>
`;
  await page.fill('textarea[name=text]', hostile);
  await page.click('button[value=save]');
  await page.waitForSelector('.notice.good:has-text("Saved")');
  const hostileUrl = `${base}/incidents/${hostileId}`;
  await page.goto(hostileUrl);
  await page.waitForLoadState('load');
  // Hover and click everything in the review a person might (not the page's own links).
  for (const sel of ['main div', 'main a:not(.actions-bar a)', 'main b', 'main details']) {
    for (const el of await page.locator(sel).all()) {
      await el.hover({ timeout: 1000 }).catch(() => {});
      await el.click({ timeout: 1000 }).catch(() => {});
      await page.waitForLoadState('load');
      if (page.url().split('#')[0] !== hostileUrl) await page.goto(hostileUrl);
    }
  }
  await page.waitForTimeout(300);
  const verdict = await page.evaluate(() => ({
    pwned: window.__pwned ?? null,
    scripts: document.querySelectorAll('script').length,
    handlers: [...document.querySelectorAll('*')]
      .flatMap((el) => [...el.attributes].map((a) => a.name))
      .filter((n) => n.startsWith('on')),
    jsLinks: [...document.querySelectorAll('[href],[src]')]
      .map((el) => el.getAttribute('href') || el.getAttribute('src'))
      .filter((u) => /^\s*javascript:/i.test(u)),
    iframes: document.querySelectorAll('iframe').length,
    text: document.querySelector('main').textContent,
  }));
  assert.deepEqual(ran, [], 'no dialog opened and no script error');
  assert.equal(verdict.pwned, null, 'no script from the review ran');
  assert.equal(verdict.scripts, 0, 'no script element on the page');
  assert.deepEqual(verdict.handlers, [], 'no event-handler attribute on the page');
  assert.deepEqual(verdict.jsLinks, [], 'no javascript: address on the page');
  assert.equal(verdict.iframes, 0, 'no iframe');
  assert.ok(verdict.text.includes("<script>window.__pwned = 'script'"), `the hostile HTML is shown as text: ${verdict.text}`);
  step('a hostile review is shown as text and nothing in it runs');
  await context.close();
}
