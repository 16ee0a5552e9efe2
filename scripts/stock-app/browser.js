// @ts-check
'use strict';
// Loads the built stock app (served by its backend's app plugin) in Debian's Chromium through
// playwright-core, signs in as the guest, and looks for what the plugin adds: the Self-service
// tab on a Service page (with the run created through the API), the overview card, and the
// page with its nav item.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Opens a signed-in page; returns the checks to run and a close().
 * @param {{ baseUrl: string, service: string, actionName: string, runId: string, shotsDir: string }} options
 */
async function openStockApp(options) {
  const { baseUrl, service, actionName, shotsDir } = options;
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
  }
  const { chromium } = require('playwright-core');
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssa-stock-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: ARGS,
    viewport: { width: 1400, height: 1000 },
  });
  const page = await context.newPage();
  /** @type {string[]} */
  const pageErrors = [];
  page.on('pageerror', error => pageErrors.push(error.message));
  const close = async () => {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };

  /** Runs a check; on failure saves a screenshot and adds what the page said. */
  const check = async (/** @type {string} */ name, /** @type {() => Promise<string>} */ fn) => {
    try {
      return await fn();
    } catch (error) {
      const shot = path.join(shotsDir, `${name.replace(/\W+/g, '-')}.png`);
      await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
      const errors = pageErrors.length ? `; page errors: ${pageErrors.slice(0, 3).join(' | ')}` : '';
      throw new Error(`${/** @type {Error} */ (error).message.split('\n')[0]} (screenshot ${shot}${errors})`);
    }
  };

  const timeout = 60_000;
  await check('sign-in', async () => {
    await page.goto(baseUrl, { waitUntil: 'domcontentloaded', timeout });
    const enter = page.getByRole('button', { name: 'Enter' });
    // the sidebar's <nav> has no height of its own (its items are positioned): wait for a link
    const nav = page.getByRole('navigation', { name: 'sidebar nav' }).getByRole('link').first();
    // the guest sign-in page asks once in a fresh browser profile
    const deadline = Date.now() + timeout;
    while (!(await nav.isVisible())) {
      if (Date.now() > deadline) {
        throw new Error('neither the sign-in page nor the signed-in app appeared');
      }
      if (await enter.isVisible()) {
        await enter.click({ timeout });
      }
      await page.waitForTimeout(250);
    }
    return 'signed in';
  });
  const entityUrl = `${baseUrl}/catalog/default/component/${service}`;

  return {
    close,
    tab: () =>
      check('tab', async () => {
        await page.goto(entityUrl, { waitUntil: 'domcontentloaded', timeout });
        // a tab in the legacy entity page, a tab link in the new one: both go to .../self-service
        await page.locator(`a[href$="/component/${service}/self-service"]`, { hasText: 'Self-service' }).first().click({ timeout });
        await page.waitForURL(/\/self-service$/, { timeout });
        await page.getByText(actionName, { exact: true }).first().waitFor({ timeout });
        // the run created through the API, listed complete in the tab's runs table
        await page.getByText('Complete', { exact: true }).first().waitFor({ timeout });
        // kept beside the app for a person to look at (the README says where)
        await page.screenshot({ path: path.join(shotsDir, 'self-service-tab.png') });
        return `the Self-service tab lists "${actionName}" and the completed run`;
      }),
    card: () =>
      check('card', async () => {
        await page.goto(entityUrl, { waitUntil: 'domcontentloaded', timeout });
        // the overview holds no other part of the plugin: its title and the action are the card's
        await page.getByText('Self-service actions', { exact: true }).first().waitFor({ timeout });
        await page.getByText(actionName, { exact: true }).first().waitFor({ timeout });
        if (!page.url().endsWith(`/component/${service}`)) {
          throw new Error(`expected the overview, at ${page.url()}`);
        }
        return `the overview card "Self-service actions" lists "${actionName}"`;
      }),
    page: () =>
      check('page', async () => {
        await page.goto(baseUrl, { waitUntil: 'domcontentloaded', timeout });
        await page.getByRole('navigation', { name: 'sidebar nav' }).getByRole('link', { name: 'Self-service' }).click({ timeout });
        await page.waitForURL(/\/self-service-actions$/, { timeout });
        await page.getByRole('heading', { name: 'Self-service actions' }).first().waitFor({ timeout });
        await page.getByText('Runs', { exact: true }).first().waitFor({ timeout });
        return 'the sidebar link opens the Self-service page at /self-service-actions';
      }),
  };
}

module.exports = { openStockApp };
