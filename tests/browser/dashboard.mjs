// The dashboard's scenarios, each driving Chromium as a person would. The site
// (crates/cli/tests/dashboard_browser.rs) has three logins: `cat` (staff, compliance: data
// protection), `hal` (staff, hr: approves access, gets the alerts) and `ann` (staff), a
// published policy, Ann's request for out-of-hours access and an alert about Ann's mail.
//
// A new page's test: add a function here, and its name to the `scenarios!` list of the
// Rust test, which gives it a fresh site of its own.
import assert from 'node:assert/strict';
import { expectAccessible, screenshot } from './harness.mjs';

/** The row holding `text` of the table under the heading `section`, once it is shown. */
async function rowWith(page, section, text) {
  const table = page.locator('section', { has: page.getByRole('heading', { name: section }) });
  const row = table.locator('tr', { hasText: text }).first();
  await row.waitFor();
  return row;
}

/** Within the pack's time zone, `hours` ago as `YYYY-MM-DD HH:MM`. */
function londonTime(hoursAgo) {
  const at = new Date(Date.now() - hoursAgo * 3600_000);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }).formatToParts(at).map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

export const scenarios = {
  async signs_in_with_a_totp_code(s) {
    let sawQr = false;
    const page = await s.signIn('cat', {
      onCodePage: async (p) => {
        sawQr = await p.getByAltText('QR code of your sign-in secret').isVisible();
      },
    });
    assert.ok(sawQr, 'the first sign-in shows the QR code to enrol');
    await page.getByRole('heading', { name: 'What needs doing now' }).waitFor();
    assert.ok(await page.locator('header').getByText('Cat Officer').isVisible(), 'who is signed in');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'charter_session');
    assert.ok(session, 'a session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie.includes('charter_session')), false,
      'scripts cannot read the session');
    // A wrong code is refused in a second browser.
    const other = await s.page();
    await other.goto('/login');
    await other.getByLabel('Login').fill('ann');
    await other.getByLabel('Password').fill(s.site.password);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.waitForURL('**/login/code');
    await other.getByLabel('Code from your authenticator').fill('000000');
    await other.getByRole('button', { name: 'Continue' }).click();
    await other.getByText('Sign-in failed: check the login, password and code.').waitFor();
    assert.match(new URL(other.url()).pathname, /^\/login\/code$/);
    assert.equal((await other.goto('/api/me')).status(), 401, 'no session without the code');
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await page.waitForURL('**/login');
    assert.equal((await page.goto('/api/me')).status(), 401, 'logged out');
  },

  async acknowledges_the_policy(s) {
    const page = await s.signIn('ann');
    await page.getByRole('link', { name: 'Policy' }).click();
    await page.getByRole('heading', { name: 'The policy' }).waitFor();
    assert.ok(await page.getByText('Access outside of work hours without express permission').isVisible(),
      "the policy's rules with their words");
    await page.getByRole('button', { name: 'I have read the policy and will abide by it' }).click();
    await page.getByText('You have acknowledged').waitFor();
    const mine = await (await page.request.get('/api/acknowledgements')).json();
    assert.equal(mine.acknowledged_latest, true);
  },

  async logs_a_breach_and_sees_its_clock(s) {
    // No breach form yet: the page logs it through the API with the session's CSRF token,
    // as a page's script would, and the overview shows its 72-hour clock.
    const page = await s.signIn('cat');
    const logged = await page.evaluate(async ([recent, old]) => {
      const me = await (await fetch('/api/me')).json();
      const post = (body) => fetch('/api/breaches', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf },
        body: JSON.stringify({
          data_categories: 'names and addresses', likely_consequences: 'none known yet',
          measures: 'device wiped remotely', ...body,
        }),
      }).then(async (r) => (r.status === 200 ? 200 : `${r.status} ${await r.text()}`));
      const forged = await fetch('/api/breaches', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ description: 'no token' }),
      }).then((r) => r.status);
      return [
        await post({ description: 'Laptop left on a train', aware_at: recent }),
        await post({ description: 'USB stick lost at a conference', aware_at: old }),
        forged,
      ];
    }, [londonTime(2), londonTime(80)]);
    assert.deepEqual(logged, [200, 200, 403]);
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: 'Breaches: report to the ICO within 72 hours' }).waitFor();
    const recent = await (await rowWith(page, 'Breaches: report to the ICO within 72 hours', 'Laptop left on a train')).innerText();
    assert.match(recent, /2 days (21|22) hours/, `about 70 hours left: ${recent}`);
    assert.doesNotMatch(recent, /OVERDUE/);
    const old = await rowWith(page, 'Breaches: report to the ICO within 72 hours', 'USB stick lost at a conference');
    assert.match(await old.innerText(), /OVERDUE by 8 hours|OVERDUE by 7 hours/);
    assert.equal(await old.locator('.overdue').count(), 1, 'OVERDUE is marked');
    assert.equal(await page.getByText('no token').count(), 0);
  },

  async approves_an_access_request(s) {
    const page = await s.signIn('hal');
    await page.getByRole('link', { name: 'Approvals' }).click();
    await page.getByRole('heading', { name: 'Approvals' }).waitFor();
    const row = await rowWith(page, 'Access requests waiting for you', 'Ann Staff');
    assert.match(await row.innerText(), /remote-access-out-of-hours/);
    await row.getByLabel('Reason').first().fill('month-end close');
    await row.getByRole('button', { name: 'Approve for a week' }).click();
    const access = page.locator('section', {
      has: page.getByRole('heading', { name: 'Access requests waiting for you' }),
    });
    await access.getByText('Nothing.').waitFor();
    const waiting = await (await page.request.get('/api/approvals')).json();
    assert.equal(waiting.length, 0, 'the inbox is empty once decided');
  },

  async triages_an_alert(s) {
    const page = await s.signIn('hal');
    await page.getByRole('link', { name: 'Alerts' }).click();
    const row = await rowWith(page, 'Alerts routed to you', 'ann');
    assert.match(await row.innerText(), /misconduct/);
    await row.getByLabel('Note').nth(1).fill('a quoted film line, not abuse');
    await row.getByRole('button', { name: 'Dismiss' }).click();
    await page.waitForURL('**/alerts');
    const after = await (await rowWith(page, 'Alerts routed to you', 'dismissed')).innerText();
    assert.match(after, /dismissed/);
    assert.equal(await page.getByRole('button', { name: 'Dismiss' }).count(), 0, 'no triage left');
  },

  async staff_are_refused_what_their_role_may_not_see(s) {
    const page = await s.signIn('ann');
    assert.equal(await page.getByRole('link', { name: 'Approvals' }).count(), 0, 'no Approvals link');
    assert.equal(await page.getByText('Breaches').count(), 0, 'no breach section');
    const inbox = await page.goto('/approvals');
    assert.equal(inbox.status(), 403);
    assert.match(await page.locator('body').innerText(), /not|may/i);
    assert.equal((await page.request.get('/api/breaches')).status(), 403);
    assert.equal((await page.request.get('/api/people')).status(), 403);
  },

  async main_pages_are_accessible(s) {
    const login = await s.page();
    await login.goto('/login');
    await expectAccessible(login, 'sign-in');
    await screenshot(login, 'sign-in');
    const officer = await s.signIn('cat', {
      onCodePage: async (p) => {
        await expectAccessible(p, 'code');
        await screenshot(p, 'code');
      },
    });
    await expectAccessible(officer, 'overview');
    await screenshot(officer, 'overview');
    await officer.goto('/policy');
    await expectAccessible(officer, 'policy');
    await screenshot(officer, 'policy');
    const hr = await s.signIn('hal');
    await hr.goto('/alerts');
    await expectAccessible(hr, 'alerts');
    await screenshot(hr, 'alerts');
    await hr.goto('/approvals');
    await expectAccessible(hr, 'approvals');
    await screenshot(hr, 'approvals');
  },
};
