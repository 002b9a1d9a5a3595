import { test, expect, signedInPage, inboundMedia, enter, flowing, type RunningServer } from './fixtures';
import type { Browser, Page } from '@playwright/test';

test('three members in a room see and hear each other; a fourth elsewhere gets nothing', async ({ browser, server }) => {
  const names = ['ada', 'grace', 'alan'];
  const inRoom = await Promise.all(names.map((n) => signedInPage(browser, server, `${n}@example.com`)));
  for (const page of inRoom) await enter(page, 'Design Review');
  const elsewhere = await signedInPage(browser, server, 'katherine@example.com');
  await enter(elsewhere, 'Engineering');

  for (const page of inRoom) {
    await expect.poll(async () => flowing(await inboundMedia(page), 'video').length, { timeout: 20_000 }).toBe(2);
    await expect.poll(async () => flowing(await inboundMedia(page), 'audio').length, { timeout: 20_000 }).toBe(2);
    await expect(page.locator('.tiles > li')).toHaveCount(3);
  }
  // Frames keep coming.
  const before = (await inboundMedia(inRoom[0])).filter((s) => s.kind === 'video').map((s) => s.framesDecoded);
  await expect
    .poll(async () => {
      const after = (await inboundMedia(inRoom[0])).filter((s) => s.kind === 'video').map((s) => s.framesDecoded);
      return after.every((frames, i) => frames > (before[i] ?? 0) + 10);
    })
    .toBe(true);

  // The fake microphones beep: someone's tile lights up as the active speaker.
  await expect.poll(() => inRoom[0].locator('.tile.speaking').count(), { timeout: 20_000 }).toBeGreaterThan(0);
  // The participants panel lists the other two.
  await inRoom[0].getByRole('button', { name: 'Participants' }).click();
  await expect(inRoom[0].locator('.participant-list li')).toHaveText(['You', 'Grace Hopper', 'Alan Turing']);

  const isolated = await inboundMedia(elsewhere);
  expect(isolated.filter((s) => s.bytesReceived > 0)).toEqual([]);
  await expect(elsewhere.locator('.tiles > li')).toHaveCount(1);
});

test('screen share, chat and hang-up reach everyone in the call', async ({ browser, server }) => {
  const [ada, grace, alan] = await Promise.all(
    ['ada', 'grace', 'alan'].map((n) => signedInPage(browser, server, `${n}@example.com`)),
  );
  for (const page of [ada, grace, alan]) await enter(page, 'Boardroom');
  for (const page of [ada, grace, alan]) await expect(page.locator('.tiles > li')).toHaveCount(3);

  // Screen share: Ada's screen takes the stage for the others, with real frames.
  for (const page of [grace, alan]) {
    await expect.poll(async () => flowing(await inboundMedia(page), 'video').length, { timeout: 20_000 }).toBe(2);
  }
  await ada.getByRole('button', { name: 'Share screen' }).click();
  await expect(ada.getByRole('button', { name: 'Stop sharing screen' })).toBeVisible();
  for (const page of [grace, alan]) {
    await expect(page.locator('.screen-stage video')).toBeVisible();
    await expect(page.getByText("Ada Lovelace's screen")).toBeVisible();
    await expect.poll(async () => flowing(await inboundMedia(page), 'video').length, { timeout: 20_000 }).toBe(3);
  }
  await ada.getByRole('button', { name: 'Stop sharing screen' }).click();
  for (const page of [grace, alan]) await expect(page.locator('.screen-stage')).toHaveCount(0);
  // Sharing again: the browser's offer now carries the first share's
  // stopped sections too, and the server still takes it.
  await ada.getByRole('button', { name: 'Share screen' }).click();
  for (const page of [grace, alan]) {
    await expect(page.locator('.screen-stage video')).toBeVisible();
    await expect.poll(async () => flowing(await inboundMedia(page), 'video').length, { timeout: 20_000 }).toBe(3);
  }
  await ada.getByRole('button', { name: 'Stop sharing screen' }).click();
  for (const page of [grace, alan]) await expect(page.locator('.screen-stage')).toHaveCount(0);

  // Chat: a message from Grace appears for the others.
  await grace.getByRole('button', { name: 'Chat' }).click();
  await grace.getByLabel('Message', { exact: true }).fill('Can everyone see the slides?');
  await grace.getByRole('button', { name: 'Send' }).click();
  await expect(alan.getByRole('button', { name: 'Chat, 1 unread' })).toBeVisible();
  await alan.getByRole('button', { name: 'Chat, 1 unread' }).click();
  await expect(alan.locator('.chat-message').filter({ hasText: 'Can everyone see the slides?' })).toContainText('Grace Hopper');

  // Hang up: Alan's tile goes for everyone else, and he is back in the lobby.
  await alan.getByRole('button', { name: 'Hang up' }).click();
  for (const page of [ada, grace]) {
    await expect(page.locator('.tiles figcaption').filter({ hasText: 'Alan Turing' })).toHaveCount(0);
    await expect(page.locator('.tiles > li')).toHaveCount(2);
  }
  await expect(alan.getByRole('list', { name: 'People in the open lobby' }).getByText('Alan Turing')).toBeVisible();
});

/** Ada and Grace in one room's call with media flowing; Grace's page is
 * marked so a test can tell it was never reloaded. */
async function twoInACall(browser: Browser, server: RunningServer) {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const grace = await signedInPage(browser, server, 'grace@example.com');
  for (const page of [ada, grace]) await enter(page, 'Focus Booth');
  await expect.poll(async () => flowing(await inboundMedia(grace), 'video').length, { timeout: 20_000 }).toBe(1);
  await grace.evaluate(() => ((window as any).__sameDocument = true));
  const gracesTileOnAda = ada.locator('.tiles figure').filter({ hasText: 'Grace Hopper' });
  const streamBefore = await gracesTileOnAda.getAttribute('data-stream');
  return { ada, grace, gracesTileOnAda, streamBefore };
}

/** Video flows both ways again, and Grace's page was never reloaded. */
async function mediaFlowsAgain(ada: Page, grace: Page) {
  await expect.poll(async () => flowing(await inboundMedia(grace), 'video').length, { timeout: 20_000 }).toBe(1);
  await expect.poll(async () => flowing(await inboundMedia(ada), 'video').length, { timeout: 20_000 }).toBe(1);
  expect(await grace.evaluate(() => (window as any).__sameDocument)).toBe(true);
}

test('a dropped connection comes back without reloading the page', async ({ browser, server }) => {
  const { ada, grace, gracesTileOnAda, streamBefore } = await twoInACall(browser, server);

  // Grace's signalling connection drops; her client notices and rejoins.
  await grace.evaluate(() => {
    for (const socket of (window as any).__sockets as WebSocket[]) {
      if (socket.url.includes('/api/signal') && socket.readyState === WebSocket.OPEN) socket.close();
    }
  });
  await expect(grace.locator('.conference')).toHaveAttribute('data-call-status', 'live', { timeout: 20_000 });
  await mediaFlowsAgain(ada, grace);
  // She rejoined as a new participant (the server saw the old one leave).
  await expect(gracesTileOnAda).not.toHaveAttribute('data-stream', streamBefore!);
  await expect(gracesTileOnAda).toHaveAttribute('data-stream', /^p\d+-camera-[0-9a-f]{8}$/);
});

test('a media link that fails (ICE) is rebuilt without reloading the page', async ({ browser, server }) => {
  const { ada, grace, gracesTileOnAda, streamBefore } = await twoInACall(browser, server);
  const connectionsBefore = await grace.evaluate(() => (window as any).__pcs.length);

  // Grace's publish link reports what Chromium reports when ICE consent
  // checks stop getting answers: connectionState "failed".
  await grace.evaluate(() => {
    const publish = ((window as any).__pcs as RTCPeerConnection[]).find(
      (pc) => pc.connectionState === 'connected' && pc.getSenders().some((s) => s.track),
    )!;
    Object.defineProperty(publish, 'connectionState', { get: () => 'failed' });
    publish.dispatchEvent(new Event('connectionstatechange'));
  });
  // Both links are built anew and media flows both ways again.
  await expect.poll(() => grace.evaluate(() => (window as any).__pcs.length), { timeout: 20_000 }).toBe(connectionsBefore + 2);
  await expect(grace.locator('.conference')).toHaveAttribute('data-call-status', 'live', { timeout: 20_000 });
  await mediaFlowsAgain(ada, grace);
  await expect(gracesTileOnAda).not.toHaveAttribute('data-stream', streamBefore!);
});

test('a member inside a room copies its guest link, from the title bar or the call header', async ({ browser, server }) => {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  await ada.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await enter(ada, 'Design Review');

  // From the conference header.
  await ada.locator('.conference').getByRole('button', { name: 'Invite a guest to Design Review' }).click();
  const dialog = ada.getByRole('dialog', { name: 'Invite a guest to Design Review' });
  const link = dialog.getByLabel('Invite link');
  await expect(link).toHaveValue(new RegExp(`^${server.url}/guest/[A-Za-z0-9_-]{43}$`));
  await dialog.getByRole('button', { name: 'Copy link' }).click();
  await expect(dialog.getByRole('button', { name: 'Copied' })).toBeVisible();
  const first = await link.inputValue();
  expect(await ada.evaluate(() => navigator.clipboard.readText())).toBe(first);

  // Replacing asks first, then gives a different link.
  await dialog.getByRole('button', { name: 'Create a new link' }).click();
  await dialog.getByRole('button', { name: 'Replace the link' }).click();
  await expect(link).not.toHaveValue(first);
  await expect(link).toHaveValue(/\/guest\//);
  const second = await link.inputValue();
  await ada.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  // From the room's title bar on the map: the same (new) link.
  await ada.getByRole('button', { name: 'Show the office map' }).click();
  const titleBarButton = ada.locator('.room').filter({ hasText: 'Design Review' }).getByRole('button', { name: 'Invite a guest to Design Review' });
  await titleBarButton.focus();
  await ada.keyboard.press('Enter');
  await expect(ada.getByRole('dialog').getByLabel('Invite link')).toHaveValue(second);
  // Rooms she is not in offer no invite.
  await expect(ada.getByRole('button', { name: 'Invite a guest to Engineering' })).toHaveCount(0);
});
