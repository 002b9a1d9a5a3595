import { chromium, type Browser, type Page } from '@playwright/test';
import { chromiumArgs } from '../playwright.config';
import { test, expect, startServer, stopServer, signedInPage, enter, watchBrowser, type RunningServer } from './fixtures';
import { NetworkNamespace } from './netns';

/** Someone's picture as `page` shows it: the decoded width, and how many
 * frames it has shown so far. */
async function pictureOf(page: Page, who: string) {
  return page.getByLabel(`Video of ${who}`).evaluate((video: HTMLVideoElement) => ({
    width: video.videoWidth,
    frames: video.getVideoPlaybackQuality().totalVideoFrames,
  }));
}

/** A big screen: a call of three shows each tile 300 px tall, which takes
 * the full 480-line layer. */
const DESKTOP = { width: 1920, height: 1080 };

/** Ada, Grace and Alan signed in, with the viewport each is given. */
async function threeMembers(browser: Browser, server: RunningServer, viewports: { width: number; height: number }[]) {
  const pages = await Promise.all(
    ['ada', 'grace', 'alan'].map((name) => signedInPage(browser, server, `${name}@example.com`)),
  );
  await Promise.all(pages.map((page, i) => page.setViewportSize(viewports[i])));
  return pages;
}

/** The local UDP port of the page's receiving connection (its subscribe
 * link): where the SFU's packets to it go. */
async function receivingPort(page: Page): Promise<number> {
  return page.evaluate(async () => {
    for (const pc of (window as any).__pcs as RTCPeerConnection[]) {
      if (pc.connectionState !== 'connected') continue;
      const report = await pc.getStats();
      let receives = false;
      let pairId: string | undefined;
      report.forEach((s: any) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') receives = true;
        if (s.type === 'transport') pairId = s.selectedCandidatePairId;
      });
      if (!receives || !pairId) continue;
      return report.get(report.get(pairId).localCandidateId).port as number;
    }
    throw new Error('no connection receives video');
  });
}

test('a subscriber on a capped link gets a smaller picture that keeps moving, while the others keep the full one', async () => {
  test.setTimeout(120_000);
  // The server and the browsers share a loopback of their own, where one
  // subscriber's link can be capped without touching the machine's.
  const netns = NetworkNamespace.create();
  const started = await startServer(true, netns.name);
  const browser = watchBrowser(await chromium.launch({ executablePath: netns.chromium(), args: chromiumArgs }));
  try {
    const [ada, grace, alan] = await threeMembers(browser, started.server, [DESKTOP, DESKTOP, DESKTOP]);
    for (const page of [ada, grace, alan]) await enter(page, 'Design Review');

    // Ada's fake camera (640 × 480) is sent in two layers, 640 and 320
    // wide; both others get the full one while their links are fast.
    for (const page of [grace, alan]) {
      await expect.poll(async () => (await pictureOf(page, 'Ada Lovelace')).width, { timeout: 20_000 }).toBe(640);
    }

    // Alan's link now takes 1 Mbit/s: two full pictures do not fit.
    netns.capUdpPort(await receivingPort(alan), '1mbit');
    await expect.poll(async () => (await pictureOf(alan, 'Ada Lovelace')).width, { timeout: 30_000 }).toBe(320);
    const capped = await pictureOf(alan, 'Ada Lovelace');
    await expect
      .poll(async () => (await pictureOf(alan, 'Ada Lovelace')).frames - capped.frames, { timeout: 10_000 })
      .toBeGreaterThan(30);
    expect(netns.cappedBytes(), 'the cap carried Alan\'s media').toBeGreaterThan(100_000);

    // Grace's link is untouched: she keeps the full picture, moving.
    const full = await pictureOf(grace, 'Ada Lovelace');
    await expect
      .poll(async () => (await pictureOf(grace, 'Ada Lovelace')).frames - full.frames, { timeout: 10_000 })
      .toBeGreaterThan(30);
    await expect.poll(async () => (await pictureOf(grace, 'Ada Lovelace')).width).toBe(640);
  } finally {
    await browser.close();
    await stopServer(started);
    netns.delete();
  }
});

test('a small tile gets a small layer: on a phone, Ada arrives at 320 px; on a big screen, at 640', async ({ browser, server }) => {
  const phone = { width: 390, height: 844 };
  const [ada, grace, alan] = await threeMembers(browser, server, [DESKTOP, DESKTOP, phone]);
  for (const page of [ada, grace, alan]) await enter(page, 'Design Review');
  await expect.poll(async () => (await pictureOf(grace, 'Ada Lovelace')).width, { timeout: 20_000 }).toBe(640);
  await expect.poll(async () => (await pictureOf(alan, 'Ada Lovelace')).width, { timeout: 20_000 }).toBe(320);
  const small = await pictureOf(alan, 'Ada Lovelace');
  await expect
    .poll(async () => (await pictureOf(alan, 'Ada Lovelace')).frames - small.frames, { timeout: 10_000 })
    .toBeGreaterThan(30);

  // Turned to a big screen, the tile grows and the full picture follows.
  await alan.setViewportSize(DESKTOP);
  await expect.poll(async () => (await pictureOf(alan, 'Ada Lovelace')).width, { timeout: 20_000 }).toBe(640);
});

/** Bytes the page's camera has sent in its full-size layer (rid "f") so
 * far, and whether that layer is switched on. */
async function fullLayerOf(page: Page) {
  return page.evaluate(async () => {
    for (const pc of (window as any).__pcs as RTCPeerConnection[]) {
      for (const sender of pc.getSenders()) {
        if (sender.track?.kind !== 'video') continue;
        const encoding = sender.getParameters().encodings.find((e) => e.rid === 'f');
        if (!encoding) continue;
        let bytes = 0;
        (await sender.getStats()).forEach((s: any) => {
          if (s.type === 'outbound-rtp' && s.rid === 'f') bytes = s.bytesSent;
        });
        return { active: encoding.active, bytes };
      }
    }
    throw new Error('the page sends no camera layer "f"');
  });
}

test('when every tile showing Ada is small, her browser stops encoding the full layer, and starts again when one grows', async ({
  browser,
  server,
}) => {
  const phone = { width: 390, height: 844 };
  const [ada, grace, alan] = await threeMembers(browser, server, [DESKTOP, phone, phone]);
  for (const page of [ada, grace, alan]) await enter(page, 'Design Review');
  for (const page of [grace, alan]) {
    await expect.poll(async () => (await pictureOf(page, 'Ada Lovelace')).width, { timeout: 20_000 }).toBe(320);
  }

  // Nobody needs the full picture: Ada's browser is told to pause it, and
  // its bytes stop growing (a paused encoding sends nothing at all).
  // (A second of frames passes first, for what was in flight to settle.)
  await expect.poll(async () => (await fullLayerOf(ada)).active, { timeout: 10_000 }).toBe(false);
  const framesShown = async () => (await pictureOf(grace, 'Ada Lovelace')).frames;
  const secondLater = async () => {
    const from = await framesShown();
    await expect.poll(async () => (await framesShown()) - from, { timeout: 10_000 }).toBeGreaterThan(30);
  };
  await secondLater();
  const paused = await fullLayerOf(ada);
  await secondLater();
  expect((await fullLayerOf(ada)).bytes, 'nothing was sent in the paused layer').toBe(paused.bytes);

  // Grace turns to a big screen: the full layer comes back, and reaches her.
  await grace.setViewportSize(DESKTOP);
  await expect.poll(async () => (await pictureOf(grace, 'Ada Lovelace')).width, { timeout: 20_000 }).toBe(640);
  expect((await fullLayerOf(ada)).bytes).toBeGreaterThan(paused.bytes);
});
