// The browser tests' harness: Debian's Chromium driven by playwright-core (no browser is ever
// downloaded), sign-in with TOTP codes computed here, axe-core for accessibility, and
// screenshots. `node run.mjs SITE.json SCENARIO...` runs scenarios from dashboard.mjs against
// a site the Rust test (crates/cli/tests/dashboard_browser.rs) started and described in
// SITE.json, and prints `N passed, N failed`.
import { createHmac } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 `secret` at `atMs`. */
export function totp(secret, atMs = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const key = Buffer.alloc(Math.floor(bits.length / 8));
  for (let i = 0; i < key.length; i++) key[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, '0');
}

/** What a scenario gets: the site, a fresh browser context per login, helpers. */
export class Session {
  constructor(browser, site) {
    this.browser = browser;
    this.site = site;
  }

  /** A new page, in its own context (its own cookies), at the dashboard's address. */
  async page() {
    const context = await this.browser.newContext({ baseURL: this.site.url, viewport: { width: 1100, height: 800 } });
    return context.newPage();
  }

  /** Signs `login` in through the forms: password, then a code computed from its secret. */
  async signIn(login, { onCodePage } = {}) {
    const user = this.site.logins[login];
    if (!user) throw new Error(`no login ${login} in the site`);
    const page = await this.page();
    await page.goto('/');
    await page.waitForURL('**/login');
    await page.getByLabel('Login').fill(login);
    await page.getByLabel('Password').fill(this.site.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/login/code');
    if (onCodePage) await onCodePage(page);
    await page.getByLabel('Code from your authenticator').fill(totp(user.secret));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    return page;
  }
}

/** Fails when axe-core finds a serious or critical violation on the page as it is. */
export async function expectAccessible(page, what) {
  // Evaluated through the DevTools protocol, so the page's CSP does not stop it.
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length > 0) {
    const lines = bad.map((v) => `  ${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
    throw new Error(`${what}: accessibility violations\n${lines.join('\n')}`);
  }
}

/** Saves a PNG of the page as DIR/NAME.png when CHARTER_SCREENSHOTS=DIR is set. */
export async function screenshot(page, name) {
  const dir = process.env.CHARTER_SCREENSHOTS;
  if (!dir) return;
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/** Runs `names` (each a key of `scenarios`) one after another; the count of failures. */
export async function run(site, scenarios, names) {
  // playwright-core gives the browser a fresh --user-data-dir of its own and removes it.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  let passed = 0;
  let failed = 0;
  try {
    for (const name of names) {
      const scenario = scenarios[name];
      if (!scenario) {
        console.log(`FAIL ${name}: no such scenario (have: ${Object.keys(scenarios).join(', ')})`);
        failed++;
        continue;
      }
      try {
        await scenario(new Session(browser, site));
        console.log(`ok   ${name}`);
        passed++;
      } catch (e) {
        console.log(`FAIL ${name}: ${e.stack || e}`);
        failed++;
      }
    }
  } finally {
    await browser.close();
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed;
}
