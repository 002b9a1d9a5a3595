import { test, expect, signedInPage, inboundMedia, type Inbound } from './fixtures';
import type { Page } from '@playwright/test';

async function enter(page: Page, room: string) {
  await page.getByRole('button', { name: `Enter ${room}` }).click();
  await expect(page.locator('.conference')).toHaveAttribute('data-call-status', 'live');
}

/** Inbound tracks of `kind` that are really flowing. */
function flowing(stats: Inbound[], kind: 'audio' | 'video') {
  return stats.filter((s) =>
    s.kind === kind && (kind === 'video' ? s.framesDecoded > 0 : s.bytesReceived > 0 && s.totalAudioEnergy > 0),
  );
}

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

  const isolated = await inboundMedia(elsewhere);
  expect(isolated.filter((s) => s.bytesReceived > 0)).toEqual([]);
  await expect(elsewhere.locator('.tiles > li')).toHaveCount(1);
});
