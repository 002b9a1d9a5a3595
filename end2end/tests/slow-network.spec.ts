import { test, expect, signedInPage, guestPage, hydrated, DEMO_PASSWORD } from './fixtures';
import type { Page } from '@playwright/test';
import { inviteLink, meterMoves, toast } from './steps';

/** A 10 Mbit/s link with 40 ms of latency each way (Chromium's network
 * emulation), on which the page takes seconds to become interactive. */
async function slowLink(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 40,
    downloadThroughput: (10_000_000 / 8),
    uploadThroughput: (10_000_000 / 8),
  });
}

// A person types as soon as the form shows, long before the WebAssembly has
// arrived: nothing typed may be lost, and the form must do what it says.
// These tests never wait for hydration before typing.

test('on a slow link, a guest who types at once keeps every letter and knocks', async ({ browser, server }) => {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const link = await inviteLink(ada, 'Design Review');
  const guest = await guestPage(browser);
  await slowLink(guest);
  await guest.goto(link, { waitUntil: 'commit' });
  await guest.getByLabel('Your Name').fill('Jane Smith');
  await guest.getByLabel('Email Address').fill('jane@example.org');
  // The page wakes up with the text still there, and the button works.
  await guest.getByRole('button', { name: 'Continue to Join' }).click();
  await expect(guest.getByRole('heading', { name: 'Waiting for approval' })).toBeVisible();
  await expect(toast(ada, 'Jane Smith')).toContainText('jane@example.org');
});

test('on a slow link, a sign-in typed at once signs in, before or after the page wakes up', async ({ page, server, browser }) => {
  // All typed and sent before the WebAssembly arrives: the form posts itself.
  await slowLink(page);
  await page.goto(`${server.url}/signin`, { waitUntil: 'commit' });
  await page.getByLabel('Email address', { exact: true }).fill('grace@example.com');
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByLabel('Password').press('Enter');
  await expect(page).toHaveURL(/\/office$/);
  await expect(page.getByRole('banner').getByText('Grace Hopper')).toBeVisible();

  // The email typed at once, the password only once the page has woken up
  // (a slower typist): the email is still there.
  const other = await guestPage(browser);
  await slowLink(other);
  await other.goto(`${server.url}/signin`, { waitUntil: 'commit' });
  await other.getByLabel('Email address', { exact: true }).fill('alan@example.com');
  await hydrated(other);
  await other.getByLabel('Password').fill(DEMO_PASSWORD);
  await other.getByLabel('Password').press('Enter');
  await expect(other).toHaveURL(/\/office$/);
  await expect(other.getByRole('banner').getByText('Alan Turing')).toBeVisible();
});

test('a guest sees their own camera before the app has loaded, and the app takes that picture over', async ({ browser, server }) => {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const link = await inviteLink(ada, 'Design Review');
  const guest = await guestPage(browser);
  // The WebAssembly is held back until the preview shows real frames: it
  // must not be what the picture waits for.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await guest.route('**/*.wasm', async (route) => {
    await held;
    await route.continue();
  });
  await guest.goto(link, { waitUntil: 'commit' });
  const preview = guest.getByLabel('Your camera');
  const framesShown = () => preview.evaluate((video: HTMLVideoElement) => video.getVideoPlaybackQuality().totalVideoFrames);
  await expect.poll(framesShown, { timeout: 15_000 }).toBeGreaterThan(0);
  expect(await guest.evaluate(() => (window as any).__anteroomHydrated === true)).toBe(false);
  const streamId = () => preview.evaluate((video: HTMLVideoElement) => (video.srcObject as MediaStream).id);
  const early = await streamId();

  release();
  await hydrated(guest);
  // The app kept that camera stream (it did not open the camera twice):
  // frames keep coming, and the microphone meter it starts on it moves.
  expect(await streamId()).toBe(early);
  const before = await framesShown();
  await expect.poll(framesShown).toBeGreaterThan(before);
  await meterMoves(guest);
});
