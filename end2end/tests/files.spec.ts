// Files in channels (issue 35): a member attaches files (the button, several
// at once, a drop), watches a large one's progress on a slow link, cancels
// one, and sends; the other member sees the preview and downloads the same
// bytes; the Files page finds and sorts them; a guest in a call, in Chromium
// and in Firefox, gets none of it, even holding a member's file URL.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { expect, hydrated, guestPage, signedInPage, startServer, stopServer, test } from './fixtures';
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
    .toBeGreaterThan(10);
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

/** A free local port (for the server's SMTP receiver). */
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Sends `raw` over SMTP, as a mail server would, and waits for 250. */
async function smtpSend(port: number, from: string, to: string, raw: string) {
  const socket = net.connect(port, '127.0.0.1');
  let buffered = '';
  const waiting: ((line: string) => void)[] = [];
  socket.on('data', (chunk) => {
    buffered += chunk.toString();
    let end;
    while ((end = buffered.indexOf('\r\n')) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      // The last line of a reply has a space after its code.
      if (/^\d{3} /.test(line)) waiting.shift()?.(line);
    }
  });
  const reply = () => new Promise<string>((resolve) => waiting.push(resolve));
  const say = async (command: string, code: string) => {
    const answer = reply();
    socket.write(`${command}\r\n`);
    const line = await answer;
    if (!line.startsWith(code)) throw new Error(`${command.slice(0, 20)}: ${line}`);
  };
  const greeting = await reply();
  if (!greeting.startsWith('220')) throw new Error(greeting);
  await say('EHLO client.example', '250');
  await say(`MAIL FROM:<${from}>`, '250');
  await say(`RCPT TO:<${to}>`, '250');
  await say('DATA', '354');
  await say(`${raw.replace(/\r\n\./g, '\r\n..')}\r\n.`, '250');
  await say('QUIT', '221');
  socket.end();
}

test('a mail with files shows its Cc, its inline image and its attachments, and a reply to all carries a file', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const smtp = await freePort();
  const started = await startServer(true, undefined, { ANTEROOM_SMTP_LISTEN: `127.0.0.1:${smtp}` });
  try {
    const server = started.server;
    const grace = await signedInPage(browser, server, 'grace@example.com');
    const logo = await png(grace);
    const contract = bytes(7, 40_000);
    const b64 = (data: Buffer) => data.toString('base64').replace(/(.{76})/g, '$1\r\n');
    const raw = [
      'From: Lin Park <lin@example.org>',
      'To: sales@acme.example',
      'Cc: Max Roe <max@example.org>',
      'Subject: Contract',
      'Message-ID: <contract@example.org>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary=outer',
      '',
      '--outer',
      'Content-Type: multipart/related; boundary=inner',
      '',
      '--inner',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>Signed copy attached.</p><img src="cid:logo@example.org" alt="Acme logo">',
      '--inner',
      'Content-Type: image/png',
      'Content-ID: <logo@example.org>',
      'Content-Transfer-Encoding: base64',
      '',
      b64(logo),
      '--inner--',
      '--outer',
      'Content-Type: application/pdf; name=contract.pdf',
      'Content-Disposition: attachment; filename=contract.pdf',
      'Content-Transfer-Encoding: base64',
      '',
      b64(contract),
      '--outer',
      'Content-Type: text/csv; name=prices.csv',
      'Content-Disposition: attachment; filename=prices.csv',
      '',
      'item,price',
      'seat,12',
      '--outer--',
    ].join('\r\n');
    await smtpSend(smtp, 'lin@example.org', 'sales@acme.example', raw);

    await grace.getByRole('navigation', { name: 'Channels' }).getByRole('link', { name: 'Sales' }).click();
    await grace.getByRole('button', { name: /Contract/ }).click();
    const conversation = grace.getByRole('region', { name: 'Conversation', exact: true });
    await expect(conversation.getByText('Cc: max@example.org')).toBeVisible();
    const frame = grace.frameLocator('iframe[title="Message from Lin Park"]');
    await expect(frame.getByText('Signed copy attached.')).toBeVisible();
    await expect
      .poll(() => frame.getByRole('img', { name: 'Acme logo' }).evaluate((img: HTMLImageElement) => img.naturalWidth))
      .toBe(400);
    const attachments = conversation.getByRole('list', { name: 'Attachments' });
    await expect(attachments.getByRole('link')).toHaveCount(2);
    const [download] = await Promise.all([
      grace.waitForEvent('download'),
      attachments.getByRole('link', { name: /Download contract\.pdf/ }).click(),
    ]);
    expect(sha256(fs.readFileSync(await download.path()))).toBe(sha256(contract));

    // Reply to all, with a file.
    await grace.getByRole('radio', { name: /Reply all \(also max@example\.org\)/ }).check();
    await grace.getByRole('textbox', { name: 'Reply' }).fill('Countersigned copy attached.');
    const quote = bytes(8, 50_000);
    await conversation.getByLabel('Attach files').setInputFiles({
      name: 'countersigned.pdf',
      mimeType: 'application/pdf',
      buffer: quote,
    });
    await expect(conversation.getByRole('list', { name: 'Files to send' }).getByText('Ready')).toBeVisible();
    await grace.getByRole('button', { name: 'Send reply' }).click();
    await expect(grace.locator('.message.outgoing')).toContainText('Countersigned copy attached.');
    await expect(grace.locator('.message.outgoing')).toContainText('Cc: max@example.org');
    await expect(grace.locator('.message.outgoing').getByRole('link', { name: /countersigned\.pdf/ })).toBeVisible();
    const kept = fs.readdirSync(server.outbox).map((name) => fs.readFileSync(path.join(server.outbox, name), 'utf8'));
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatch(/^To: lin@example\.org\r?$/m);
    expect(kept[0]).toMatch(/^Cc: max@example\.org\r?$/m);
    expect(kept[0]).toContain('filename="countersigned.pdf"');
    const part = kept[0].split('filename="countersigned.pdf"')[1].split(/\r?\n\r?\n/)[1].split('--')[0];
    expect(sha256(Buffer.from(part.replace(/\s/g, ''), 'base64'))).toBe(sha256(quote));
  } finally {
    await stopServer(started);
  }
});
