// Files in channels (issue 35): a member attaches files (the button, several
// at once, a drop), watches a large one's progress on a slow link, cancels
// one, and sends; the other member sees the preview and downloads the same
// bytes; the Files page finds and sorts them; a guest in a call, in Chromium
// and in Firefox, gets none of it, even holding a member's file URL.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { expect, hydrated, guestPage, signedInPage, test } from './fixtures';
import type { Page } from '@playwright/test';
import { generateLink, joinCall } from './steps';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Bytes that differ from file to file. */
function bytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed * 2654435761;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

/** A 400×300 PNG, drawn by the browser. */
async function png(page: Page): Promise<Buffer> {
  const base64 = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 400;
    canvas.height = 300;
    const context = canvas.getContext('2d')!;
    context.fillStyle = '#3157d5';
    context.fillRect(0, 0, 400, 300);
    context.fillStyle = '#ffffff';
    context.fillRect(100, 75, 200, 150);
    return canvas.toDataURL('image/png').split(',')[1];
  });
  return Buffer.from(base64, 'base64');
}

async function openGeneral(page: Page) {
  await page.getByRole('navigation', { name: 'Channels' }).getByRole('link', { name: /general/ }).click();
  await expect(page.getByRole('heading', { name: 'general', level: 1 })).toBeVisible();
  await hydrated(page);
}

/** Drops files on the conversation, as dragging them from the desktop does. */
async function drop(page: Page, files: { name: string; type: string; size: number }[]) {
  const transfer = await page.evaluateHandle((files) => {
    const transfer = new DataTransfer();
    for (const file of files) transfer.items.add(new File([new Uint8Array(file.size)], file.name, { type: file.type }));
    return transfer;
  }, files);
  await page.dispatchEvent('.conversation', 'dragover', { dataTransfer: transfer });
  await page.dispatchEvent('.conversation', 'drop', { dataTransfer: transfer });
}

test('files attached in a channel show progress, can be cancelled, and reach the other member byte for byte', async ({
  browser,
  server,
}) => {
  test.setTimeout(120_000);
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const alan = await signedInPage(browser, server, 'alan@example.com');
  await openGeneral(ada);
  const tray = ada.getByRole('list', { name: 'Files to send' });

  // A slow uplink (about 2 Mbit/s), so a 3 MB file takes a while.
  const cdp = await ada.context().newCDPSession(ada);
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 20,
    downloadThroughput: -1,
    uploadThroughput: 256 * 1024,
  });
  const report = bytes(1, 3 * 1024 * 1024);
  const picture = await png(ada);
  await ada.getByLabel('Attach files').setInputFiles([
    { name: 'Q3 report.pdf', mimeType: 'application/pdf', buffer: report },
    { name: 'plan.png', mimeType: 'image/png', buffer: picture },
  ]);
  // The report's bar moves while it goes.
  const bar = tray.getByRole('progressbar', { name: 'Uploading Q3 report.pdf' });
  await expect
    .poll(async () => Number(await bar.getAttribute('value')), { message: 'upload progress' })
    .toBeGreaterThan(0.1);
  // Sending before it is up says to wait.
  await ada.getByRole('textbox', { name: 'Message #general' }).fill('The numbers, and the plan');
  await ada.getByRole('button', { name: 'Send' }).click();
  await expect(ada.getByText('Wait for the files to finish uploading, or remove them.')).toBeVisible();

  // A third file, dropped, is cancelled halfway.
  await drop(ada, [{ name: 'big.bin', type: 'application/octet-stream', size: 6 * 1024 * 1024 }]);
  await expect(tray.getByRole('progressbar', { name: 'Uploading big.bin' })).toBeVisible();
  await tray.getByRole('button', { name: 'Cancel uploading big.bin' }).click();
  await expect(tray.getByText('big.bin')).toHaveCount(0);
  // One too large for the server is refused before a byte goes.
  await drop(ada, [{ name: 'huge.mov', type: 'video/quicktime', size: 26 * 1024 * 1024 }]);
  await expect(tray.getByRole('alert')).toHaveText(/Files are at most 25\.0 MB/);
  await tray.getByRole('button', { name: 'Remove huge.mov' }).click();

  await expect(tray.getByText('Ready')).toHaveCount(2, { timeout: 60_000 });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });
  await ada.getByRole('button', { name: 'Send' }).click();
  await expect(tray).toHaveCount(0);

  // Alan sees the message with its files, the image as its preview.
  await openGeneral(alan);
  const message = alan.locator('.message').filter({ hasText: 'The numbers, and the plan' });
  const preview = message.getByRole('img', { name: 'plan.png' });
  await expect(preview).toBeVisible();
  await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(320);
  const [download] = await Promise.all([
    alan.waitForEvent('download'),
    message.getByRole('link', { name: /Download Q3 report\.pdf \(3\.0 MB\)/ }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('Q3 report.pdf');
  expect(sha256(fs.readFileSync(await download.path()))).toBe(sha256(report));

  // The Files page, opened by its address: both files, found by name, sorted.
  await alan.goto(`${server.url}/files`);
  await hydrated(alan);
  const table = alan.getByRole('table');
  await expect(table.getByRole('row')).toHaveCount(3);
  await table.getByRole('button', { name: 'Size' }).click();
  await expect(table.getByRole('columnheader', { name: 'Size' })).toHaveAttribute('aria-sort', 'descending');
  await expect(table.getByRole('row').nth(1)).toContainText('Q3 report.pdf');
  await table.getByRole('button', { name: 'Size' }).click();
  await expect(table.getByRole('row').nth(1)).toContainText('plan.png');
  await alan.getByRole('searchbox', { name: 'Search files by name' }).fill('report');
  await expect(table.getByRole('row')).toHaveCount(2);
  await expect(table.getByRole('row').nth(1)).toContainText('#general');
  // Its channel link opens the message in the channel's history.
  await table.getByRole('link', { name: '#general' }).click();
  await expect(alan.locator('.message.focused')).toContainText('The numbers, and the plan');
});

for (const engine of ['chromium', 'firefox'] as const) {
  test(`a guest in a call (${engine}) cannot open the channel, the Files page or a member's file URL`, async ({
    browser,
    firefox,
    server,
  }) => {
    test.setTimeout(120_000);
    const ada = await signedInPage(browser, server, 'ada@example.com');
    // Ada shares a file in client-calls, the channel the guest is invited to.
    const shared = await ada.evaluate(async () => {
      const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
      const office = await (await fetch('/api/load_office', { method: 'POST', headers: form })).json();
      const channel = office.channels.find((c: { name: string }) => c.name === 'client-calls').id;
      const upload = await fetch(`/api/files?channel=${channel}&name=notes.txt`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: 'Pricing notes for members only',
      });
      const file = await upload.json();
      const body = new URLSearchParams({ channel: String(channel), body: 'Notes', client_key: 'notes' });
      body.append('files[0]', String(file.id));
      const posted = await fetch('/api/post_message', { method: 'POST', body });
      if (!posted.ok) throw new Error(`post: ${posted.status} ${await posted.text()}`);
      return { channel, url: `/files/${file.id}` };
    });
    expect((await ada.request.get(`${server.url}${shared.url}`)).status()).toBe(200);

    const grace = await signedInPage(browser, server, 'grace@example.com');
    const { link } = await generateLink(grace, 'client-calls');
    await grace.keyboard.press('Escape');
    await joinCall(grace);
    const guest = await guestPage(engine === "firefox" ? firefox : browser);
    await guest.goto(link);
    await hydrated(guest);
    await guest.getByLabel('Your Name').fill('Lin Park');
    await guest.getByRole('button', { name: 'Join', exact: true }).click();
    await expect(guest.locator('.conference')).toHaveAttribute('data-call-status', 'live', { timeout: 20_000 });

    // From the guest's own browser (its cookies, its pass): nothing.
    for (const url of [shared.url, `${shared.url}/thumbnail`, '/mail-files/1']) {
      expect((await guest.request.get(`${server.url}${url}`)).status(), url).toBe(401);
    }
    const other = await guest.context().newPage();
    for (const page of [`/channel/${shared.channel}`, '/files']) {
      await other.goto(`${server.url}${page}`);
      await expect(other, page).toHaveURL(/\/signin$/);
    }
    await other.close();
    // And the guest is still in the call, none the wiser.
    await expect(guest.locator('.conference')).toHaveAttribute('data-call-status', 'live');
  });
}
