import { test, expect, signedInPage, hydrated, guestPage, inboundMedia, flowing } from './fixtures';
import path from 'node:path';

/** Screenshots of each screen at desktop and phone width, for looking at
 * (end2end/.screens/, the README's pictures come from here). Each also checks
 * that the screen shows what it is for. */
const shots = path.join(__dirname, '..', '.screens');
const sizes = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

test('screens: sign in, office, workspace settings', async ({ browser, server }) => {
  const signIn = await guestPage(browser);
  await signIn.goto(`${server.url}/signin`);
  await expect(signIn.getByRole('heading', { name: 'Sign in to Anteroom' })).toBeVisible();
  for (const size of sizes) {
    await signIn.setViewportSize(size);
    await signIn.screenshot({ path: path.join(shots, `signin-${size.name}.png`) });
  }

  const grace = await signedInPage(browser, server, 'grace@example.com');
  await grace.getByRole('button', { name: 'Enter Engineering' }).click();
  const ada = await signedInPage(browser, server, 'ada@example.com');
  await ada.getByRole('button', { name: 'Enter Design Review' }).click();
  await ada.getByRole('button', { name: 'Show the office map' }).click();
  await expect(ada.getByRole('list', { name: 'People in Engineering' }).getByText('Grace Hopper')).toBeVisible();
  await expect(ada.getByRole('list', { name: 'People in Design Review' }).getByText('Ada Lovelace')).toBeVisible();
  for (const size of sizes) {
    await ada.setViewportSize(size);
    await ada.screenshot({ path: path.join(shots, `office-${size.name}.png`), fullPage: true });
  }

  // Build mode, with a room focused for the keyboard.
  await ada.setViewportSize(sizes[0]);
  await ada.getByRole('button', { name: 'Build mode' }).click();
  await expect(ada.getByRole('toolbar', { name: 'Build mode' })).toBeVisible();
  await ada.locator('.map .room').filter({ hasText: 'Focus Booth' }).focus();
  for (const size of sizes) {
    await ada.setViewportSize(size);
    await ada.screenshot({ path: path.join(shots, `build-mode-${size.name}.png`), fullPage: true });
  }
  await ada.getByRole('button', { name: 'Done' }).click();

  await ada.setViewportSize(sizes[0]);
  await ada.getByRole('link', { name: 'Workspace settings' }).click();
  await expect(ada.getByRole('cell', { name: 'katherine@example.com' })).toBeVisible();
  for (const size of sizes) {
    await ada.setViewportSize(size);
    await ada.screenshot({ path: path.join(shots, `settings-${size.name}.png`), fullPage: true });
  }
});

test('screens: conference with chat open', async ({ browser, server }) => {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const grace = await signedInPage(browser, server, 'grace@example.com');
  for (const page of [ada, grace]) {
    await page.getByRole('button', { name: 'Enter Design Review' }).click();
    await expect(page.locator('.conference')).toHaveAttribute('data-call-status', 'live');
  }
  await expect(ada.locator('.tiles > li')).toHaveCount(2);
  await ada.getByRole('button', { name: 'Chat' }).click();
  await ada.getByLabel('Message', { exact: true }).fill('Welcome, everyone');
  await ada.getByRole('button', { name: 'Send' }).click();
  await expect(ada.locator('.chat-message')).toHaveCount(1);
  await expect
    .poll(() => ada.evaluate(() => [...document.querySelectorAll('.tiles video')].every((v) => (v as HTMLVideoElement).videoWidth > 0)))
    .toBe(true);
  for (const size of sizes) {
    await ada.setViewportSize(size);
    await ada.screenshot({ path: path.join(shots, `conference-${size.name}.png`), fullPage: true });
  }

  await ada.setViewportSize(sizes[0]);
  await ada.locator('.conference').getByRole('button', { name: 'Invite a guest to Design Review' }).click();
  await expect(ada.getByRole('dialog').getByLabel('Invite link')).toHaveValue(/\/guest\//);
  for (const size of sizes) {
    await ada.setViewportSize(size);
    await ada.screenshot({ path: path.join(shots, `invite-dialog-${size.name}.png`) });
  }
});

test('screens: guest welcome, waiting, the members\' notification and badge, the guest in the call', async ({ browser, server }) => {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  await ada.getByRole('button', { name: 'Enter Design Review' }).click();
  await ada.locator('.conference').getByRole('button', { name: 'Invite a guest to Design Review' }).click();
  const link = ada.getByRole('dialog').getByLabel('Invite link');
  await expect(link).toHaveValue(/\/guest\//);
  const guest = await guestPage(browser);
  await guest.goto(await link.inputValue());
  await expect.poll(() => guest.evaluate(() => (document.querySelector('.preview-video') as HTMLVideoElement)?.videoWidth ?? 0)).toBeGreaterThan(0);
  for (const size of sizes) {
    await guest.setViewportSize(size);
    await guest.screenshot({ path: path.join(shots, `guest-welcome-${size.name}.png`), fullPage: true });
  }

  await guest.setViewportSize(sizes[0]);
  await hydrated(guest);
  await guest.getByLabel('Your Name').fill('Jane Smith');
  await guest.getByLabel('Email Address').fill('jane@example.org');
  await guest.getByRole('button', { name: 'Continue to Join' }).click();
  await expect(guest.getByRole('heading', { name: 'Waiting for approval' })).toBeVisible();
  for (const size of sizes) {
    await guest.setViewportSize(size);
    await guest.screenshot({ path: path.join(shots, `guest-waiting-${size.name}.png`), fullPage: true });
  }

  await ada.keyboard.press('Escape');
  await ada.getByRole('button', { name: 'Show the office map' }).click();
  const request = ada.getByRole('alertdialog', { name: 'Jane Smith asks to join' });
  await expect(request).toBeVisible();
  await ada.getByRole('button', { name: '1 guest waiting to join Design Review' }).hover();
  await expect(ada.getByRole('tooltip')).toHaveText('Jane Smith');
  for (const size of sizes) {
    await ada.setViewportSize(size);
    await ada.screenshot({ path: path.join(shots, `guest-request-${size.name}.png`) });
  }

  await ada.setViewportSize(sizes[0]);
  await request.getByRole('button', { name: 'Accept' }).click();
  await expect(guest.locator('.conference')).toHaveAttribute('data-call-status', 'live');
  await expect
    .poll(() => guest.evaluate(() => [...document.querySelectorAll('.tiles video')].every((v) => (v as HTMLVideoElement).videoWidth > 0)))
    .toBe(true);
  await expect(guest.locator('.tiles > li')).toHaveCount(2);
  for (const size of sizes) {
    await guest.setViewportSize(size);
    await guest.screenshot({ path: path.join(shots, `guest-call-${size.name}.png`), fullPage: true });
  }
});

test('screens: an inbox conversation and its Channel Overview', async ({ browser, server }) => {
  const grace = await signedInPage(browser, server, 'grace@example.com');
  await grace.getByRole('list', { name: 'Inboxes' }).getByRole('link', { name: 'Sales' }).click();
  await expect(grace.getByRole('heading', { name: 'Sales' })).toBeVisible();
  await grace.getByRole('button', { name: /Pricing for 40 seats/ }).click();
  await expect(grace.getByLabel('Reply')).toBeVisible();
  for (const size of sizes) {
    await grace.setViewportSize(size);
    await grace.screenshot({ path: path.join(shots, `inbox-${size.name}.png`), fullPage: true });
  }
  await grace.setViewportSize(sizes[0]);
  await grace.getByRole('button', { name: 'Sales', exact: true }).click();
  const overview = grace.getByRole('dialog', { name: 'Sales' });
  await overview.getByLabel('Search members and teams by name').fill('des');
  await overview.getByRole('checkbox', { name: /Design/ }).check();
  await expect(overview.getByLabel('Role for Design')).toBeVisible();
  for (const size of sizes) {
    await grace.setViewportSize(size);
    await grace.screenshot({ path: path.join(shots, `inbox-overview-${size.name}.png`) });
  }
});

test('screens: a meeting channel, its details, the guest lobby and the call', async ({ browser, server }) => {
  const grace = await signedInPage(browser, server, 'grace@example.com');
  await grace.getByRole('navigation', { name: 'Channels' }).getByRole('link', { name: /^client-calls/ }).click();
  await expect(grace.getByRole('button', { name: 'Join call' })).toBeVisible();
  await hydrated(grace);
  for (const size of sizes) {
    await grace.setViewportSize(size);
    await grace.screenshot({ path: path.join(shots, `channel-${size.name}.png`), fullPage: true });
  }
  await grace.setViewportSize(sizes[0]);
  await grace.getByRole('button', { name: 'External link settings' }).click();
  await grace.getByRole('dialog').getByRole('button', { name: 'Generate Link' }).click();
  const field = grace.getByRole('dialog').getByLabel('External link');
  await expect(field).toHaveValue(/\/guest\//);
  const link = await field.inputValue();
  for (const size of sizes) {
    await grace.setViewportSize(size);
    await grace.screenshot({ path: path.join(shots, `channel-link-${size.name}.png`) });
  }
  await grace.setViewportSize(sizes[0]);
  await grace.getByRole('dialog').getByRole('tab', { name: 'Call Schedule' }).click();
  await grace.getByRole('dialog').getByLabel('Title').fill('Weekly client sync');
  await grace.getByRole('dialog').getByLabel('First call').fill('2030-01-07T10:00');
  await grace.getByRole('dialog').getByLabel('Repeats').selectOption('weekly');
  await grace.getByRole('dialog').getByLabel('External participants').fill('lin@client.example');
  await grace.getByRole('dialog').getByRole('button', { name: 'Save schedule' }).click();
  const next = grace.getByRole('dialog').getByRole('list', { name: 'Next calls of Weekly client sync' });
  await expect(next.getByRole('listitem').first()).toContainText('Mon, 7 Jan 2030, 10:00');
  for (const size of sizes) {
    await grace.setViewportSize(size);
    await grace.screenshot({ path: path.join(shots, `channel-schedule-${size.name}.png`) });
  }
  await grace.setViewportSize(sizes[0]);
  await grace.keyboard.press('Escape');

  const guest = await guestPage(browser);
  await guest.goto(link);
  await hydrated(guest);
  await expect(guest.getByRole('heading', { level: 1 })).toHaveText('client-calls');
  await guest.getByLabel('Your Name').fill('Lin Park');
  for (const size of sizes) {
    await guest.setViewportSize(size);
    await guest.screenshot({ path: path.join(shots, `channel-lobby-${size.name}.png`), fullPage: true });
  }
  await guest.setViewportSize(sizes[0]);
  await grace.getByRole('button', { name: 'Join call' }).click();
  await guest.getByRole('button', { name: 'Join', exact: true }).click();
  await expect(grace.locator('.conference-activity')).toHaveText('Lin Park joined as a guest');
  await expect.poll(async () => flowing(await inboundMedia(grace), 'video').length, { timeout: 20_000 }).toBe(1);
  await grace.getByRole('button', { name: 'Participants' }).click();
  for (const size of sizes) {
    await grace.setViewportSize(size);
    await grace.screenshot({ path: path.join(shots, `channel-call-${size.name}.png`), fullPage: true });
  }
});

test('screens: your account, and an HTML email in its sandboxed frame', async ({ browser, server }) => {
  const katherine = await signedInPage(browser, server, 'katherine@example.com');
  await katherine.goto(`${server.url}/settings/account`);
  await expect(katherine.getByRole('heading', { name: 'Change password' })).toBeVisible();
  for (const size of sizes) {
    await katherine.setViewportSize(size);
    await katherine.screenshot({ path: path.join(shots, `account-${size.name}.png`), fullPage: true });
  }

  await katherine.setViewportSize(sizes[0]);
  await katherine.goto(`${server.url}/office`);
  await katherine.getByRole('list', { name: 'Inboxes' }).getByRole('link', { name: 'Support' }).click();
  await katherine.getByRole('button', { name: /Cannot join the call/ }).click();
  await expect(katherine.frameLocator('iframe.message-html').locator('b')).toHaveText('black');
  await expect(katherine.getByText('Reply to sam@partner.example')).toBeVisible();
  for (const size of sizes) {
    await katherine.setViewportSize(size);
    await katherine.screenshot({ path: path.join(shots, `inbox-html-${size.name}.png`), fullPage: true });
  }
});
