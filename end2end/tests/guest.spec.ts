import { test, expect, signedInPage, guestPage, hydrated, inboundMedia, enter, flowing, type RunningServer } from './fixtures';
import type { Browser } from '@playwright/test';
import { meterMoves, inviteLink, knock, toast } from './steps';

test('the guest welcome page shows where the link leads, a live camera and a moving level meter', async ({ browser, server }) => {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const link = await inviteLink(ada, 'Design Review');

  const guest = await guestPage(browser);
  await guest.goto(link);
  await expect(guest.getByRole('heading', { name: 'Design Review' })).toBeVisible();
  await expect(guest.getByText('Acme Studio')).toBeVisible();
  await hydrated(guest);

  // The camera preview plays real frames.
  await expect.poll(() => guest.evaluate(() => (document.querySelector('.preview-video') as HTMLVideoElement).videoWidth)).toBeGreaterThan(0);
  // The fake microphone beeps: the meter moves above zero and back.
  await meterMoves(guest);
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

  const guest = await guestPage(browser);
  await guest.goto(old);
  await expect(guest.getByRole('heading', { name: 'This link is no longer valid' })).toBeVisible();
  await expect(guest.getByText('Boardroom')).toHaveCount(0);
  await guest.goto(`${server.url}/guest/not-a-real-token`);
  await expect(guest.getByRole('heading', { name: 'This link is no longer valid' })).toBeVisible();
});

/** Ada inside `room` with its invite link, and a guest's fresh browser. */
async function adaAndGuest(browser: Browser, server: RunningServer, room: string) {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const link = await inviteLink(ada, room);
  await ada.keyboard.press('Escape');
  return { ada, link, guest: await guestPage(browser) };
}

test('a guest knocks, members inside decide, and the admitted guest sees and hears them', async ({ browser, server }) => {
  // Five browsers with live video on two cores: the whole story takes a while.
  test.setTimeout(150_000);
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const grace = await signedInPage(browser, server, 'grace@example.com');
  const alan = await signedInPage(browser, server, 'alan@example.com');
  const katherine = await signedInPage(browser, server, 'katherine@example.com');
  await ada.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await enter(grace, 'Design Review');
  await enter(alan, 'Engineering');

  // Ada copies the link from the invite dialog.
  const copied = await inviteLink(ada, 'Design Review');
  await ada.getByRole('dialog').getByRole('button', { name: 'Copy link' }).click();
  expect(await ada.evaluate(() => navigator.clipboard.readText())).toBe(copied);
  await ada.keyboard.press('Escape');

  // The guest checks their microphone, gets the email wrong, then knocks.
  const guest = await guestPage(browser);
  await guest.goto(copied);
  await hydrated(guest);
  await meterMoves(guest);
  await guest.getByLabel('Your Name').fill('Jane Smith');
  await guest.getByLabel('Email Address').fill('jane.example.org');
  await guest.getByRole('button', { name: 'Continue to Join' }).click();
  await expect(guest.getByText('is not a valid email address')).toBeVisible();
  await knock(guest, copied, 'Jane Smith', 'jane@example.org');
  await expect(guest.locator('.waiting-pulse')).toBeVisible();

  // Both members inside get the notification and the badge; others do not.
  for (const member of [ada, grace]) {
    const note = toast(member, 'Jane Smith');
    await expect(note).toContainText('jane@example.org');
    await expect(note).toContainText('Room: Design Review');
    await member.getByRole('button', { name: 'Show the office map' }).click();
    await expect(member.getByRole('button', { name: '1 guest waiting to join Design Review' })).toBeVisible();
    await member.getByRole('button', { name: 'Back to the call' }).click();
  }
  for (const member of [alan, katherine]) await expect(toast(member, 'Jane Smith')).toHaveCount(0);

  // Katherine, in the lobby, sees the badge and who waits; clicking it takes her in.
  const badge = katherine.getByRole('button', { name: '1 guest waiting to join Design Review' });
  await badge.hover();
  await expect(katherine.getByRole('tooltip')).toHaveText('Jane Smith');
  await badge.click();
  await expect(katherine.locator('.conference')).toHaveAttribute('data-call-status', 'live');
  await expect(toast(katherine, 'Jane Smith')).toBeVisible();

  // Grace accepts; the notification goes for everyone else.
  await toast(grace, 'Jane Smith').getByRole('button', { name: 'Accept' }).click();
  for (const member of [ada, grace, katherine]) await expect(toast(member, 'Jane Smith')).toHaveCount(0);

  // The guest is in the room's call: they see and hear the three members...
  await expect(guest.locator('.conference')).toHaveAttribute('data-call-status', 'live');
  await expect(guest.getByText('Acme Studio')).toHaveCount(0);
  await expect.poll(async () => flowing(await inboundMedia(guest), 'video').length, { timeout: 20_000 }).toBe(3);
  await expect
    .poll(async () => flowing(await inboundMedia(guest), 'audio').length, {
      timeout: 20_000,
      message: `audio reaching the guest: ${JSON.stringify(await inboundMedia(guest))}`,
    })
    .toBe(3);
  // ...and the members receive the guest's video and audio, marked as a guest.
  for (const member of [ada, grace, katherine]) {
    await expect.poll(async () => flowing(await inboundMedia(member), 'video').length, { timeout: 20_000 }).toBe(3);
    await expect.poll(async () => flowing(await inboundMedia(member), 'audio').length, { timeout: 20_000 }).toBe(3);
    await expect(member.locator('.tiles figure').filter({ hasText: 'Jane Smith' }).locator('.guest-tag')).toHaveText('Guest');
  }
  // Alan, in another room, receives nothing from the guest, and sees her
  // in Design Review on the map, marked as a guest.
  expect(flowing(await inboundMedia(alan), 'video')).toEqual([]);
  await alan.getByRole('button', { name: 'Show the office map' }).click();
  const designReview = alan.getByRole('list', { name: 'People in Design Review' });
  await expect(designReview.getByRole('listitem').filter({ hasText: 'Jane Smith' })).toContainText('Guest');
  // The guest has no way to the office, its rooms or its channels.
  await expect(guest.getByRole('navigation')).toHaveCount(0);
  await expect(guest.getByRole('button', { name: /Invite a guest/ })).toHaveCount(0);
  await expect(guest.getByText('Engineering')).toHaveCount(0);
});

test('a denied guest sees Access Denied and can try again later', async ({ browser, server }) => {
  const { ada, link, guest } = await adaAndGuest(browser, server, 'Coffee Corner');
  await knock(guest, link, 'Sam Lee', 'sam@example.org');
  await toast(ada, 'Sam Lee').getByRole('button', { name: 'Deny' }).click();
  await expect(guest.getByRole('heading', { name: 'Access Denied' })).toBeVisible();
  await expect(toast(ada, 'Sam Lee')).toHaveCount(0);
  await guest.getByRole('button', { name: 'Try again' }).click();
  await expect(guest.getByLabel('Your Name')).toHaveValue('Sam Lee');
  await guest.getByRole('button', { name: 'Continue to Join' }).click();
  await expect(toast(ada, 'Sam Lee')).toBeVisible();
});

test('a member blocks a network that floods the door, and its knocks are turned away there', async ({ browser, server }) => {
  const { ada, link, guest } = await adaAndGuest(browser, server, 'Coffee Corner');
  await knock(guest, link, 'Spam Bot', 'spam@example.org');
  await toast(ada, 'Spam Bot').getByRole('button', { name: "Block Spam Bot's network" }).click();
  await expect(guest.getByRole('heading', { name: 'Access Denied' })).toBeVisible();
  await expect(toast(ada, 'Spam Bot')).toHaveCount(0);
  // Knocking again from that network is refused with a reason, and the
  // members hear nothing of it.
  await guest.getByRole('button', { name: 'Try again' }).click();
  await guest.getByRole('button', { name: 'Continue to Join' }).click();
  await expect(guest.getByText('This door is not taking requests to join from your network for now.')).toBeVisible();
  await expect(toast(ada, 'Spam Bot')).toHaveCount(0);
});

test('cancelling or closing the tab withdraws the knock everywhere', async ({ browser, server }) => {
  const { ada, link, guest } = await adaAndGuest(browser, server, 'Focus Booth');
  await knock(guest, link, 'Kai Berg', 'kai@example.org');
  await expect(toast(ada, 'Kai Berg')).toBeVisible();
  await guest.getByRole('button', { name: 'Cancel Request' }).click();
  await expect(toast(ada, 'Kai Berg')).toHaveCount(0);
  await expect(guest.getByRole('button', { name: 'Continue to Join' })).toBeVisible();

  // Several at once: Accept all / Deny all appear.
  const second = await guestPage(browser);
  await knock(guest, link, 'Kai Berg', 'kai@example.org');
  await knock(second, link, 'Noor Ali', 'noor@example.org');
  await expect(ada.getByText('2 guests are waiting')).toBeVisible();
  await second.close();
  await expect(toast(ada, 'Noor Ali')).toHaveCount(0);
  await expect(ada.getByText('2 guests are waiting')).toHaveCount(0);
  await guest.close();
  await expect(toast(ada, 'Kai Berg')).toHaveCount(0);
});

test('hang up returns the guest to the welcome page, they knock again, and a member can remove them', async ({ browser, server }) => {
  const { ada, link, guest } = await adaAndGuest(browser, server, 'Boardroom');
  await knock(guest, link, 'Lin Park', 'lin@example.org');
  await toast(ada, 'Lin Park').getByRole('button', { name: 'Accept' }).click();
  await expect(guest.locator('.conference')).toHaveAttribute('data-call-status', 'live');
  await expect(ada.locator('.tiles > li')).toHaveCount(2);

  await guest.getByRole('button', { name: 'Hang up' }).click();
  await expect(guest.getByText('You left the room.')).toBeVisible();
  await expect(ada.locator('.tiles > li')).toHaveCount(1);

  await guest.getByRole('button', { name: 'Continue to Join' }).click();
  await toast(ada, 'Lin Park').getByRole('button', { name: 'Accept' }).click();
  await expect(guest.locator('.conference')).toHaveAttribute('data-call-status', 'live');
  await ada.getByRole('button', { name: 'Participants' }).click();
  await ada.getByRole('button', { name: 'Remove Lin Park from the call' }).click();
  await expect(guest.getByText('You were removed from the room.')).toBeVisible();
  await ada.getByRole('button', { name: 'Show the office map' }).click();
  await expect(ada.getByRole('list', { name: 'People in Boardroom' }).getByText('Lin Park')).toHaveCount(0);
  await ada.getByRole('button', { name: 'Back to the call' }).click();
  await expect(guest.getByRole('button', { name: 'Continue to Join' })).toBeVisible();
  await expect(ada.locator('.tiles > li')).toHaveCount(1);
});

test('several guests at once: Accept all lets them in, and names show exactly as typed', async ({ browser, server }) => {
  const { ada, link, guest } = await adaAndGuest(browser, server, 'Engineering');
  const second = await guestPage(browser);
  const odd = '<img src=x onerror="window.__injected=1">Noor';
  await knock(guest, link, 'Kai Berg', 'kai@example.org');
  await knock(second, link, odd, 'noor@example.org');
  await expect(ada.getByText('2 guests are waiting')).toBeVisible();
  await expect(ada.locator('.toast-title').filter({ hasText: odd })).toHaveCount(1);
  await expect(ada.locator('.guest-requests img')).toHaveCount(0);
  expect(await ada.evaluate(() => (window as any).__injected)).toBeUndefined();

  await ada.getByRole('button', { name: 'Accept all' }).click();
  for (const page of [guest, second]) await expect(page.locator('.conference')).toHaveAttribute('data-call-status', 'live');
  await expect(ada.locator('.tiles > li')).toHaveCount(3);
  await expect(ada.locator('.guest-requests .toast')).toHaveCount(0);
});

test('a guest whose camera and microphone are blocked is told so and can still join', async ({ browser, server }) => {
  const { ada, link, guest } = await adaAndGuest(browser, server, 'Design Review');
  await guest.context().addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  });
  await knock(guest, link, 'Ida Moss', 'ida@example.org');
  await expect(guest.getByText('Camera and microphone are blocked')).toBeVisible();
  await toast(ada, 'Ida Moss').getByRole('button', { name: 'Accept' }).click();
  await expect(guest.locator('.conference')).toHaveAttribute('data-call-status', 'live');
  await expect(guest.getByRole('alert').filter({ hasText: 'Camera and microphone are blocked' })).toBeVisible();
  // Listening and watching still work.
  await expect.poll(async () => flowing(await inboundMedia(guest), 'video').length, { timeout: 20_000 }).toBe(1);
  await expect.poll(async () => flowing(await inboundMedia(guest), 'audio').length, { timeout: 20_000 }).toBe(1);
  await expect(ada.locator('.tiles > li')).toHaveCount(2);
});
