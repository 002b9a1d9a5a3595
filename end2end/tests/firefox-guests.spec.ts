import { test, expect, signedInPage, guestPage, hydrated, inboundMedia, flowing } from './fixtures';
import type { Page } from '@playwright/test';
import { meterMoves, inviteLink, knock, toast, generateLink, joinCall } from './steps';

// The guest stories with the guest in Firefox and the members in Chromium:
// a guest arrives with whatever browser they have.

/** Both sides see and hear each other: every page decodes `count` videos and
 * receives `count` audio tracks with sound in them. */
async function mediaBothWays(pages: Page[], count = 1) {
  for (const page of pages) {
    await expect
      .poll(async () => flowing(await inboundMedia(page), 'video').length, {
        timeout: 20_000,
        message: `video reaching ${page.url()}: ${JSON.stringify(await inboundMedia(page))}`,
      })
      .toBe(count);
    await expect
      .poll(async () => flowing(await inboundMedia(page), 'audio').length, {
        timeout: 20_000,
        message: `audio reaching ${page.url()}: ${JSON.stringify(await inboundMedia(page))}`,
      })
      .toBe(count);
  }
}

test('a Firefox guest checks their camera, knocks, is let into the room, sees and hears the member, and hangs up', async ({ browser, firefox, server }) => {
  test.setTimeout(120_000);
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const link = await inviteLink(ada, 'Design Review');
  await ada.keyboard.press('Escape');

  // The welcome page: where the link leads, a live camera preview, a moving meter.
  const guest = await guestPage(firefox);
  await guest.goto(link);
  await expect(guest.getByRole('heading', { name: 'Design Review' })).toBeVisible();
  await expect(guest.getByText('Acme Studio')).toBeVisible();
  await hydrated(guest);
  await expect
    .poll(() => guest.evaluate(() => (document.querySelector('.preview-video') as HTMLVideoElement).videoWidth))
    .toBeGreaterThan(0);
  await meterMoves(guest);
  await guest.getByRole('button', { name: 'Turn camera off' }).click();
  await expect(guest.getByText('Camera is off')).toBeVisible();
  await guest.getByRole('button', { name: 'Turn camera on' }).click();

  // Knock; Ada accepts from her notification.
  await knock(guest, link, 'Jane Smith', 'jane@example.org');
  await expect(guest.locator('.waiting-pulse')).toBeVisible();
  await toast(ada, 'Jane Smith').getByRole('button', { name: 'Accept' }).click();
  await expect(guest.locator('.conference')).toHaveAttribute('data-call-status', 'live', { timeout: 20_000 });
  await mediaBothWays([guest, ada]);
  await expect(ada.locator('.tiles figure').filter({ hasText: 'Jane Smith' }).locator('.guest-tag')).toHaveText('Guest');

  // Hang up: back to the welcome page, out of Ada's call.
  await guest.getByRole('button', { name: 'Hang up' }).click();
  await expect(guest.getByText('You left the room.')).toBeVisible();
  await expect(guest.getByRole('button', { name: 'Continue to Join' })).toBeVisible();
  await expect(ada.locator('.tiles > li')).toHaveCount(1);
});

test('a Firefox guest joins a channel call from the lobby, media flows both ways, and the channel admin removes them', async ({ browser, firefox, server }) => {
  test.setTimeout(120_000);
  const grace = await signedInPage(browser, server, 'grace@example.com');
  const { link } = await generateLink(grace, 'client-calls');
  await grace.keyboard.press('Escape');
  await joinCall(grace);

  const guest = await guestPage(firefox);
  await guest.goto(link);
  await hydrated(guest);
  await expect(guest.getByRole('heading', { level: 1 })).toHaveText('client-calls');
  await meterMoves(guest);
  await guest.getByLabel('Your Name').fill('Lin Park');
  await guest.getByLabel('Email Address (optional)').fill('lin@example.org');
  await guest.getByRole('button', { name: 'Join', exact: true }).click();
  await expect(guest.locator('.conference')).toHaveAttribute('data-call-status', 'live', { timeout: 20_000 });
  await mediaBothWays([guest, grace]);
  await expect(grace.locator('.conference-activity')).toHaveText('Lin Park joined as a guest');

  // Grace, the channel's admin, removes the guest.
  await grace.getByRole('button', { name: 'Participants' }).click();
  await grace.getByRole('button', { name: 'Remove Lin Park from the call' }).click();
  await expect(guest.getByText('You were removed from the call.')).toBeVisible();
  await expect(guest.getByRole('button', { name: 'Join', exact: true })).toBeVisible();
  await expect(grace.locator('.conference-activity')).toHaveText('Lin Park (guest) left');
  await expect(grace.locator('.tiles figure').filter({ hasText: 'Lin Park' })).toHaveCount(0);
});
