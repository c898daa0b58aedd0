/**
 * The share page in a real headless Chromium against the real stack: the API with its worker,
 * PostgreSQL, the Temporal dev server, Dovecot (IMAP) and an SMTP server, Google's consent step and
 * token endpoint answered by local servers, the LinkedIn simulator. Every page state is
 * screenshotted into test/browser/screenshots and checked with axe-core.
 */
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { SHARE_LINK_TTL_MS } from '../../domain/share-links';
import { inboxNeedsReconnectReason } from '../../domain/pacing';
import { createWorkspaceWithKey } from '../support/api';
import { startDovecot, type DovecotServer } from '../support/dovecot';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp-test-server';
import { expectAccessible, expectNoHorizontalScroll, launchBrowser, screenshot, type TestBrowser } from './support/browser';
import { GOOGLE_CLIENT_ID, RECORDED_GOOGLE_CODE, startPageStack, type PageStack } from './support/stack';

const OWNER = 'owner@browser-test.example';
const OWNER_PASSWORD = 'owner-mailbox-pass-51c2';
const SECOND = 'second@browser-test.example';
const SECOND_PASSWORD = 'second-mailbox-pass-8e07';
const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];

let stack: PageStack;
let dovecot: DovecotServer;
let smtp: SmtpTestServer;
let browser: TestBrowser;

jest.setTimeout(120_000);

beforeAll(async () => {
  const users = { [OWNER]: OWNER_PASSWORD, [SECOND]: SECOND_PASSWORD };
  [stack, dovecot, smtp, browser] = await Promise.all([startPageStack('browser-share'), startDovecot({ users }), startSmtpTestServer({ users }), launchBrowser()]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([stack?.stop(), dovecot?.stop(), smtp?.stop()]);
});

/**
 * Working hours that exclude today and tomorrow (UTC): the identity never acts during the test, so a
 * lead's state only changes through what the test does.
 */
function hoursNotNow() {
  const today = DateTime.utc();
  const skip = new Set([today.weekday, today.plus({ days: 1 }).weekday].map((weekday) => WEEKDAYS[weekday - 1]));
  return { timeZone: 'Europe/Paris', days: WEEKDAYS.filter((day) => !skip.has(day)), start: '09:00', end: '18:00' };
}

async function identityWithLink(firstName: string): Promise<{ identityId: string; url: string; token: string; linkId: string }> {
  const identity = await request(stack.app).post('/identities').set(stack.auth()).send({ firstName, lastName: 'Lovelace', jobTitle: 'Account Executive', workingHours: hoursNotNow() });
  expect(identity.status).toBe(201);
  const link = await request(stack.app).post(`/identities/${identity.body.id}/share-links`).set(stack.auth()).send();
  expect(link.status).toBe(201);
  const url = link.body.url as string;
  expect(url.startsWith(`${stack.baseUrl}/share/`)).toBe(true);
  return { identityId: identity.body.id, url, token: url.split('/').pop()!, linkId: link.body.id };
}

const servers = () => ({ imap: { host: '127.0.0.1', port: dovecot.port, security: 'none' }, smtp: { host: '127.0.0.1', port: smtp.port, security: 'none' } });

async function fillServerSettings(page: Page) {
  await page.locator('#server-settings > summary').click();
  const { imap, smtp: outgoing } = servers();
  const incoming = page.getByRole('group', { name: 'Incoming mail (IMAP)' });
  await incoming.getByLabel('Server').fill(imap.host);
  await incoming.getByLabel('Port').fill(String(imap.port));
  await incoming.getByLabel('Security').selectOption(imap.security);
  const sending = page.getByRole('group', { name: 'Outgoing mail (SMTP)' });
  await sending.getByLabel('Server').fill(outgoing.host);
  await sending.getByLabel('Port').fill(String(outgoing.port));
  await sending.getByLabel('Security').selectOption(outgoing.security);
}

const banner = (page: Page) => page.locator('#result');

test('the page shows the identity and its inboxes; an IMAP inbox connects through the form (a wrong password first shows the guidance)', async () => {
  const { identityId, url } = await identityWithLink('Ada');
  const existing = await request(stack.app).post(`/identities/${identityId}/email-accounts/imap`).set(stack.auth()).send({ email: SECOND, password: SECOND_PASSWORD, ...servers() });
  expect(existing.status).toBe(201);

  const page = await browser.newPage();
  await page.goto(url);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Ada Lovelace');
  expect(await page.getByText('Account Executive').isVisible()).toBe(true);
  const validUntil = DateTime.fromISO((await page.locator('time').getAttribute('datetime'))!, { zone: 'Europe/Paris' });
  expect(Math.abs(validUntil.toMillis() - (Date.now() + SHARE_LINK_TTL_MS))).toBeLessThan(60_000);
  expect(await page.locator('time').textContent()).toContain('(Europe/Paris time)');
  const inbox = page.locator(`[data-inbox="${SECOND}"]`);
  expect(await inbox.textContent()).toContain('Connected');
  expect(await page.getByRole('button', { name: 'Reconnect LinkedIn' }).isVisible()).toBe(true);
  expect(await page.getByRole('button', { name: 'Connect Google' }).isVisible()).toBe(true);
  expect(await page.getByRole('button', { name: 'Connect Microsoft' }).isVisible()).toBe(true);
  await expectNoHorizontalScroll(page);
  await screenshot(page, 'share-page');
  await expectAccessible(page);

  // Typing a well-known address fills the servers in (the page's script); typing another clears them.
  await page.getByLabel('Email address', { exact: true }).fill('someone@gmail.com');
  expect(await page.locator('#imapHost').inputValue()).toBe('imap.gmail.com');
  expect(await page.locator('#smtpPort').inputValue()).toBe('587');
  expect(await page.locator('#preset-hint').textContent()).toContain('app password');

  await page.getByLabel('Email address', { exact: true }).fill(OWNER);
  expect(await page.locator('#imapHost').inputValue()).toBe('');
  await page.getByLabel('Password', { exact: true }).fill('not-the-password');
  await fillServerSettings(page);
  await Promise.all([page.waitForURL(/status=failed&code=auth-failed/), page.getByRole('button', { name: 'Connect inbox' }).click()]);
  expect(await banner(page).getAttribute('role')).toBe('alert');
  expect(await banner(page).textContent()).toContain('Authentication failed');
  expect(await banner(page).textContent()).toContain('create an app password');
  // What was typed is still there, except the password.
  expect(await page.getByLabel('Email address', { exact: true }).inputValue()).toBe(OWNER);
  expect(await page.locator('#imapPort').inputValue()).toBe(String(dovecot.port));
  expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
  expect(await page.content()).not.toContain('not-the-password');
  await screenshot(page, 'share-connect-wrong-password');
  await expectAccessible(page);

  await page.getByLabel('Password', { exact: true }).fill(OWNER_PASSWORD);
  await Promise.all([page.waitForURL(/status=connected&code=ok/), page.getByRole('button', { name: 'Connect inbox' }).click()]);
  expect(await banner(page).textContent()).toContain(`${OWNER} is connected`);
  expect(await page.locator(`[data-inbox="${OWNER}"]`).textContent()).toContain('Connected');
  await screenshot(page, 'share-connect-connected');
  await expectAccessible(page);

  const listed = await request(stack.app).get(`/identities/${identityId}/email-accounts`).set(stack.auth());
  expect(listed.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ email: OWNER, status: 'connected', provider: 'imap-smtp' })]));
  // Reloading the result shows the page again; nothing is posted twice.
  await page.reload();
  expect(await stack.harness.db.emailInbox.count({ where: { identityId, email: OWNER } })).toBe(1);
  await page.close();
});

test('an inbox that needs reconnecting is reconnected with the password only, and its waiting leads resume', async () => {
  const { identityId, url } = await identityWithLink('Grace');
  const inbox = await request(stack.app).post(`/identities/${identityId}/email-accounts/imap`).set(stack.auth()).send({ email: OWNER, password: OWNER_PASSWORD, ...servers() });
  expect(inbox.status).toBe(201);
  const campaign = await request(stack.app)
    .post('/campaigns')
    .set(stack.auth())
    .send({ identityId, name: 'Reconnect', emailInbox: inbox.body.id, steps: [{ kind: 'email', delayMinutes: 0, subject: 'Hello {{firstName}}', body: 'Hi {{firstName}}' }] });
  expect(campaign.status).toBe(201);
  await request(stack.app).post(`/campaigns/${campaign.body.id}/leads`).set(stack.auth()).send({ leads: [{ firstName: 'Lin', email: 'lin@lead.example' }, { firstName: 'Kai', email: 'kai@lead.example' }] });
  expect((await request(stack.app).post(`/campaigns/${campaign.body.id}/start`).set(stack.auth())).status).toBe(200);
  // What the worker leaves when the mailbox refuses the stored password (activities/campaign-steps: markNeedsReconnect, parkLeads).
  await stack.harness.db.emailInbox.update({ where: { id: inbox.body.id }, data: { status: 'needs-reconnect', statusReason: '535 5.7.8 Authentication credentials invalid' } });
  await stack.harness.db.lead.updateMany({ where: { campaignId: campaign.body.id }, data: { inboxId: inbox.body.id, dueAt: null, waitingReason: inboxNeedsReconnectReason(OWNER) } });
  const parked = await request(stack.app).get(`/campaigns/${campaign.body.id}/leads`).set(stack.auth());
  expect(parked.body.items.map((lead: { waitingReason: string }) => lead.waitingReason)).toEqual([inboxNeedsReconnectReason(OWNER), inboxNeedsReconnectReason(OWNER)]);

  const page = await browser.newPage();
  await page.goto(url);
  const card = page.locator(`[data-inbox="${OWNER}"]`);
  expect(await card.textContent()).toContain('Needs reconnecting');
  // The server's reply is an internal detail: the page says what to do instead.
  expect(await page.content()).not.toContain('5.7.8');
  // The password is all it asks for: the stored servers are kept.
  expect(await card.locator('input:not([type=hidden])').count()).toBe(1);
  await screenshot(page, 'share-inbox-needs-reconnect');
  await expectAccessible(page);

  await card.getByLabel(`New password for ${OWNER}`).fill(OWNER_PASSWORD);
  await Promise.all([page.waitForURL(/status=reconnected&code=ok/), card.getByRole('button', { name: `Reconnect ${OWNER}` }).click()]);
  expect(await banner(page).textContent()).toContain(`${OWNER} works again`);
  expect(await page.locator(`[data-inbox="${OWNER}"]`).textContent()).toContain('Connected');
  await screenshot(page, 'share-inbox-reconnected');
  await expectAccessible(page);

  const stored = await stack.harness.db.emailInbox.findUniqueOrThrow({ where: { id: inbox.body.id } });
  expect(stored).toMatchObject({ status: 'connected', statusReason: null, imapPort: dovecot.port, smtpPort: smtp.port });
  const resumed = await request(stack.app).get(`/campaigns/${campaign.body.id}/leads`).set(stack.auth());
  for (const lead of resumed.body.items) {
    expect(lead.state).toBe('waiting');
    expect(lead.waitingReason).toBe('outside working hours');
    expect(lead.nextActionAt).not.toBeNull();
  }
  await page.close();
});

test('"Connect Google" goes to the provider (keyboard only), comes back, and the page shows the connected inbox', async () => {
  const { identityId, url, token } = await identityWithLink('Hedy');
  stack.providers.queue('google-token.authorization-code', 'gmail-profile');
  const page = await browser.newPage();
  await page.goto(url);
  // Reach the button with the keyboard alone.
  for (let presses = 0; presses < 40; presses += 1) {
    await page.keyboard.press('Tab');
    if ((await page.evaluate('document.activeElement && document.activeElement.textContent')) === 'Connect Google') break;
  }
  expect(await page.evaluate('document.activeElement.textContent')).toBe('Connect Google');
  await Promise.all([page.waitForURL(/status=connected&code=ok&provider=google/), page.keyboard.press('Enter')]);

  const asked = stack.consent.received.at(-1)!.query;
  expect(asked.get('client_id')).toBe(GOOGLE_CLIENT_ID);
  expect(asked.get('redirect_uri')).toBe(`${stack.baseUrl}/oauth/google/callback`);
  expect(asked.get('scope')).toBe('https://www.googleapis.com/auth/gmail.send https://www.googleapis.com/auth/gmail.readonly');
  expect(asked.get('state')).not.toContain(token);
  expect(new URL(page.url()).pathname).toBe(`/share/${token}`);
  expect(page.url()).not.toContain(RECORDED_GOOGLE_CODE);
  expect(await banner(page).textContent()).toContain('ada.lovelace@gmail-test.example is connected');
  const card = page.locator('[data-inbox="ada.lovelace@gmail-test.example"]');
  expect(await card.textContent()).toContain('Google account');
  expect(await card.textContent()).toContain('Connected');
  expect(await page.content()).not.toContain(RECORDED_GOOGLE_CODE);
  await screenshot(page, 'share-google-connected');
  await expectAccessible(page);
  const listed = await request(stack.app).get(`/identities/${identityId}/email-accounts`).set(stack.auth());
  expect(listed.body.items).toEqual([expect.objectContaining({ email: 'ada.lovelace@gmail-test.example', provider: 'google', status: 'connected' })]);
  expect(stack.harness.logLines.join('\n')).not.toContain(RECORDED_GOOGLE_CODE);

  // Declining at Google comes back to the page with the guidance.
  stack.consent.decision = 'deny';
  try {
    await Promise.all([page.waitForURL(/status=failed&code=access-denied/), page.getByRole('button', { name: 'Connect Google' }).click()]);
    expect(await banner(page).textContent()).toContain('Access was declined');
    await screenshot(page, 'share-google-declined');
    await expectAccessible(page);
  } finally {
    stack.consent.decision = 'allow';
  }
  await page.close();
});

test('"Reconnect LinkedIn" opens the LinkedIn service\'s sign-in page, which sends the owner back to the page', async () => {
  const { identityId, url, token } = await identityWithLink('Alan');
  const page = await browser.newPage();
  await page.goto(url);
  const linkedin = page.locator('#linkedin');
  expect(await linkedin.textContent()).toContain('Needs reconnecting');
  await screenshot(page, 'share-linkedin-disconnected');
  await Promise.all([page.waitForURL(`${stack.linkedin.url}/sign-in/**`), page.getByRole('button', { name: 'Reconnect LinkedIn' }).click()]);
  expect(stack.linkedin.sessions.at(-1)).toEqual({ identityId, returnUrl: `${stack.baseUrl}/share/${token}?status=returned&code=ok&provider=linkedin#linkedin` });
  await Promise.all([page.waitForURL(/status=returned/), page.getByRole('button', { name: 'Sign in' }).click()]);
  expect(new URL(page.url()).pathname).toBe(`/share/${token}`);
  expect(await banner(page).textContent()).toContain('Back from LinkedIn');
  expect(await linkedin.textContent()).toContain('Connected');
  await screenshot(page, 'share-linkedin-returned');
  await expectAccessible(page);
  await page.close();
});

test('an expired, a revoked and an unknown link each show a page saying so, not JSON', async () => {
  const expiring = await identityWithLink('Expired');
  const revoked = await identityWithLink('Revoked');
  await request(stack.app).delete(`/identities/${revoked.identityId}/share-links/${revoked.linkId}`).set(stack.auth());
  const page = await browser.newPage();
  stack.clock.offsetMs = SHARE_LINK_TTL_MS + 1000;
  try {
    const expired = await page.goto(expiring.url);
    expect(expired?.status()).toBe(401);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('This link has expired');
    await screenshot(page, 'share-link-expired');
    await expectAccessible(page);
  } finally {
    stack.clock.offsetMs = 0;
  }
  const cancelled = await page.goto(revoked.url);
  expect(cancelled?.status()).toBe(401);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('This link was cancelled');
  await screenshot(page, 'share-link-revoked');
  await expectAccessible(page);
  const unknown = await page.goto(`${stack.baseUrl}/share/${'Q'.repeat(43)}`);
  expect(unknown?.status()).toBe(401);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('This link does not work');
  expect(unknown?.headers()['content-type']).toMatch(/^text\/html/);
  await screenshot(page, 'share-link-unknown');
  await page.close();
});

test('20 wrong tokens from one client, then the valid link from the same client: the page loads', async () => {
  // Earlier tests' refused links count for this client too: start from a clean limiter.
  stack.resetShareLimits();
  const { url } = await identityWithLink('Steady');
  const page = await browser.newPage();
  const statuses: number[] = [];
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const answer = await page.goto(`${stack.baseUrl}/share/${attempt.toString().padStart(43, 'w')}`);
    statuses.push(answer?.status() ?? 0);
  }
  expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
  expect(statuses.slice(10)).toEqual(Array(10).fill(429));
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Too many attempts');
  await screenshot(page, 'share-too-many-attempts');
  await expectAccessible(page);
  const valid = await page.goto(url);
  expect(valid?.status()).toBe(200);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Steady Lovelace');
  await page.close();
});

test('the result page of a sign-in started through the API (no return URL) is a page too', async () => {
  // Another workspace: the recorded Google account is already connected in the first one.
  const other = await createWorkspaceWithKey(stack.harness.db, 'browser-result');
  const identity = await request(stack.app).post('/identities').set({ Authorization: `Bearer ${other.apiKey}` }).send({ firstName: 'Result', lastName: 'Page', workingHours: hoursNotNow() });
  const started = await request(stack.app).post(`/identities/${identity.body.id}/email-accounts/google/authorize`).set({ Authorization: `Bearer ${other.apiKey}` });
  expect(started.status).toBe(200);
  stack.providers.queue('google-token.authorization-code', 'gmail-profile');
  const page = await browser.newPage();
  const answer = await page.goto(started.body.authorizationUrl);
  expect(answer?.status()).toBe(201);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Inbox connected');
  expect(page.url()).toContain('/oauth/google/callback');
  expect(await page.content()).not.toContain(RECORDED_GOOGLE_CODE);
  await screenshot(page, 'oauth-result-page');
  await expectAccessible(page);
  await page.close();
});

test('no page was blocked by its Content Security Policy and no script failed', () => {
  expect(browser.consoleErrors.filter((text) => /Content Security Policy|Refused to/i.test(text))).toEqual([]);
});
