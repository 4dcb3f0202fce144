/**
 * Issue 9: the REST docs page in a real browser (Debian's Chromium, driven by playwright-core).
 * It loads offline from this server alone, lists the contract's 30 operations, and a developer
 * can paste a token, try GET /customer-segment/{tenant}/segments and see this server's 200.
 *
 * Chromium is /usr/bin/chromium (`apt-get install -y chromium`; CHROMIUM_PATH to point
 * elsewhere). Without it the suite is skipped with a warning, except under CI=true, where it
 * fails: .ci/run installs it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
if (!haveChromium && !inCi) {
  console.warn(`test/docs/browser.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
}

// Flags that keep Chromium from reaching for Google's hosts on a closed network. playwright-core
// gives every launch a fresh temporary profile (its own --user-data-dir).
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const OPERATION = '#operations-Segments-GET-customer-segment-retrieve-segments';

/** A fresh browser context on /docs, recording what the page asks for and what the browser refuses. */
interface DocsPage {
  page: Page;
  /** Every request the page made. */
  requests: string[];
  /** Requests for anywhere but this server: refused, and recorded. */
  offHost: string[];
  cspViolations: string[];
  /** Uncaught script errors on the page. */
  pageErrors: string[];
}

async function openDocs(browser: Browser, base: string): Promise<DocsPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const opened: DocsPage = { page: await context.newPage(), requests: [], offHost: [], cspViolations: [], pageErrors: [] };
  await context.route(
    (url) => url.origin !== base,
    (route) => {
      opened.offHost.push(route.request().url());
      return route.abort();
    },
  );
  const { page } = opened;
  page.setDefaultTimeout(10_000);
  page.on('request', (r) => opened.requests.push(r.url()));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) opened.cspViolations.push(m.text());
  });
  page.on('pageerror', (e) => opened.pageErrors.push(e.message));
  await page.goto(`${base}/docs`);
  await page.waitForSelector('.opblock');
  return opened;
}

(haveChromium || inCi ? describe : describe.skip)('the docs page in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`CI=true and no Chromium at ${CHROMIUM}: apt-get install -y chromium`);
    t = await startTestApp();
    base = await t.listen();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  test('loads from this server alone and lists the 30 operations', async () => {
    const { page, requests, offHost, cspViolations, pageErrors } = await openDocs(browser, base);
    expect(await page.locator('.opblock').count()).toBe(30);
    expect(await page.locator('#servers option').allTextContents()).toEqual(['/ - This server']);
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.filter((u) => !u.startsWith(`${base}/`))).toEqual([]);
    expect(offHost).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.context().close();
  });

  test('authorize with a bearer token, try GET /segments for tenant acme: 200 from this server', async () => {
    const created = await t.rest('POST', '/segments', { body: { id: 'seg-docs', name: { en: 'Docs' }, siteCode: 'main' } });
    expect(created.statusCode).toBe(201);
    const token = await t.token();
    const { page, requests, offHost, cspViolations, pageErrors } = await openDocs(browser, base);

    await page.click('.scheme-container button.authorize');
    await page.fill('#auth-bearer-value', token);
    await page.click('.auth-btn-wrapper button.authorize');
    await page.click('.auth-btn-wrapper button.btn-done');

    await page.click(`${OPERATION} .opblock-summary-control`);
    await page.click(`${OPERATION} .try-out__btn`);
    await page.fill(`${OPERATION} tr[data-param-name="tenant"] input`, 'acme');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().startsWith(`${base}/customer-segment/acme/segments`)),
      page.click(`${OPERATION} .execute`),
    ]);
    expect(response.status()).toBe(200);
    expect((await response.request().allHeaders()).authorization).toBe(`Bearer ${token}`);

    // What the page shows the developer: the status and the body this server answered.
    const live = page.locator(`${OPERATION} .live-responses-table`);
    await live.waitFor();
    expect((await live.locator('tr.response td.response-col_status').textContent())?.trim()).toBe('200');
    expect(await live.locator('tr.response td.response-col_description pre').first().textContent()).toContain('"id": "seg-docs"');

    expect(requests.filter((u) => !u.startsWith(`${base}/`))).toEqual([]);
    expect(offHost).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csg-docs-'));
    const shot = path.join(dir, 'docs-try-it.png');
    // The operation as the developer left it: the tenant filled in, the request and the answer.
    await page.locator(OPERATION).screenshot({ path: shot });
    console.log(`docs page screenshot: ${shot}`);
    await page.context().close();
  });
});
