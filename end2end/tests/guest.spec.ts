import { test, expect, signedInPage, hydrated } from './fixtures';
import type { Page } from '@playwright/test';

/** Ada walks into a room and copies its guest link from the invite dialog. */
async function inviteLink(ada: Page, room: string): Promise<string> {
  await ada.getByRole('button', { name: `Enter ${room}` }).click();
  await ada.locator('.conference').getByRole('button', { name: `Invite a guest to ${room}` }).click();
  const link = ada.getByRole('dialog').getByLabel('Invite link');
  await expect(link).toHaveValue(/\/guest\//);
  return link.inputValue();
}

test('the guest welcome page shows where the link leads, a live camera and a moving level meter', async ({ browser, server }) => {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const link = await inviteLink(ada, 'Design Review');

  const guest = await (await browser.newContext()).newPage();
  await guest.goto(link);
  await expect(guest.getByRole('heading', { name: 'Design Review' })).toBeVisible();
  await expect(guest.getByText('Acme Studio')).toBeVisible();
  await hydrated(guest);

  // The camera preview plays real frames.
  await expect.poll(() => guest.evaluate(() => (document.querySelector('.preview-video') as HTMLVideoElement).videoWidth)).toBeGreaterThan(0);
  // The fake microphone beeps: the meter moves above zero and back.
  const meter = guest.getByRole('meter', { name: 'Microphone level' });
  await expect.poll(async () => Number(await meter.getAttribute('aria-valuenow')), { timeout: 15_000 }).toBeGreaterThan(5);
  // Toggles switch the camera and microphone.
  await guest.getByRole('button', { name: 'Turn camera off' }).click();
  await expect(guest.getByText('Camera is off')).toBeVisible();
  await guest.getByRole('button', { name: 'Turn camera on' }).click();

  // Both fields are required and the email is checked in the browser.
  await guest.getByRole('button', { name: 'Continue to Join' }).click();
  await expect(guest.getByText('Your name is required.')).toBeVisible();
  await guest.getByLabel('Your Name').fill('Jane Smith');
  await guest.getByLabel('Email Address').fill('jane@');
  await guest.getByRole('button', { name: 'Continue to Join' }).click();
  await expect(guest.getByText('is not a valid email address')).toBeVisible();
  await expect(guest.getByLabel('Email Address')).toHaveAttribute('aria-invalid', 'true');
});

test('a replaced invite link shows a clear "no longer valid" page', async ({ browser, server }) => {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const old = await inviteLink(ada, 'Boardroom');
  const dialog = ada.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Create a new link' }).click();
  await dialog.getByRole('button', { name: 'Replace the link' }).click();
  await expect(dialog.getByLabel('Invite link')).not.toHaveValue(old);

  const guest = await (await browser.newContext()).newPage();
  await guest.goto(old);
  await expect(guest.getByRole('heading', { name: 'This link is no longer valid' })).toBeVisible();
  await expect(guest.getByText('Boardroom')).toHaveCount(0);
  await guest.goto(`${server.url}/guest/not-a-real-token`);
  await expect(guest.getByRole('heading', { name: 'This link is no longer valid' })).toBeVisible();
});
