import { chromium, type Browser, type Page } from '@playwright/test';
import { chromiumArgs } from '../playwright.config';
import { test, expect, signedInPage, guestPage, hydrated, watchBrowser } from './fixtures';
import { generateLink, joinCall, outboxMails } from './steps';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A WAV of `text` said by espeak-ng, then a pause, for a fake
 * microphone to play. (Chromium plays it over and over: a short sentence
 * repeated without end reads to the speech engine as a stuck loop, and is
 * dropped as one, so each voice says a few different things.) */
function spoken(text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'anteroom-speech-')), 'speech.wav');
  execFileSync('espeak-ng', ['-m', '-v', 'en-us', '-s', '140', '-w', file, `${text}<break time="1s"/>`]);
  return file;
}

/** A Chromium whose fake microphone says `text`, over and over. */
async function browserSaying(text: string): Promise<Browser> {
  return watchBrowser(
    await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [...chromiumArgs, `--use-file-for-fake-audio-capture=${spoken(text)}`],
    }),
  );
}

/** Seconds of the others' audio the page has played so far. */
async function secondsHeard(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let seconds = 0;
    for (const pc of (window as any).__pcs as RTCPeerConnection[]) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: any) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') seconds += s.totalSamplesDuration ?? 0;
      });
    }
    return seconds;
  });
}

// Lin stays only a few seconds; the notes go to guests who stayed the
// minimum (one minute by default), so this server asks for none.
test.use({ serverEnv: { ANTEROOM_GUEST_NOTES_MIN_STAY_SECS: '0' } });

test('a transcribed call: each voice is written down as its speaker, the guest gets the summary and transcript, members find it under Past calls', async ({
  server,
}) => {
  test.setTimeout(180_000);
  const graces = await browserSaying(
    'Welcome, everyone. The launch budget is approved. We agreed to hire two designers next month.',
  );
  const lins = await browserSaying(
    'Thanks for having me. I will send the contract on Friday, and our lawyers will read it next week.',
  );
  try {
    // Grace, the channel's admin, turns on transcripts and the notes, for
    // guests and for herself.
    const grace = await signedInPage(graces, server, 'grace@example.com');
    const { details, link } = await generateLink(grace, 'client-calls');
    await details.getByRole('tab', { name: 'Transcription' }).click();
    for (const name of [
      'Transcribe calls',
      'External users receive email summary',
      'Email me the notes after each call',
    ]) {
      await details.getByRole('checkbox', { name }).check();
      await expect(details.getByRole('checkbox', { name })).toBeChecked();
    }
    await grace.keyboard.press('Escape');
    await joinCall(grace);
    await expect(grace.getByText('Transcription on')).toBeVisible();

    // The guest is told before joining.
    const lin = await guestPage(lins);
    await lin.goto(link);
    await hydrated(lin);
    await expect(lin.getByRole('note')).toHaveText(/Transcription on: what everyone says in this call is written down/);
    await lin.getByLabel('Your Name').fill('Lin Park');
    await lin.getByLabel('Email Address (optional)').fill('lin@example.org');
    await lin.getByRole('button', { name: 'Join', exact: true }).click();
    await expect(lin.locator('.conference')).toHaveAttribute('data-call-status', 'live', { timeout: 20_000 });
    await expect(lin.getByText('Transcription on')).toBeVisible();

    // Both talk for a while (each says everything once at least), then hang up.
    for (const page of [grace, lin]) {
      await expect.poll(() => secondsHeard(page), { timeout: 30_000 }).toBeGreaterThan(9);
    }
    await lin.getByRole('button', { name: 'Hang up' }).click();
    await grace.getByRole('button', { name: 'Hang up' }).click();

    // The guest's notes: the summary, then the transcript, each line with
    // who said it, and the transcript as an attachment.
    await expect.poll(() => outboxMails(server.outbox).length, { timeout: 90_000 }).toBe(2);
    const notes = outboxMails(server.outbox).find((mail) => mail.includes('To: lin@example.org'))!;
    expect(notes).toBeDefined();
    // Grace gets the same notes.
    const gracesNotes = outboxMails(server.outbox).find((mail) => mail.includes('To: grace@example.com'))!;
    expect(gracesNotes).toMatch(/\] Lin Park \(guest\): [^\n]*contract/i);
    expect(notes).toContain('Key points');
    expect(notes).toMatch(/\] Grace Hopper: [^\n]*budget/i);
    expect(notes).toMatch(/\] Lin Park \(guest\): [^\n]*contract/i);
    expect(notes).not.toMatch(/\] Grace Hopper: [^\n]*contract/i);
    expect(notes).toContain('filename="transcript.txt"');
    expect(notes).not.toContain('Transcript unavailable');

    // The same transcript is in the database, line by line.
    const rows = execFileSync('sqlite3', [server.databasePath, 'SELECT speaker, text FROM transcript_lines']).toString();
    expect(rows).toMatch(/^Lin Park\|.*Friday/im);
    expect(rows).toMatch(/^Grace Hopper\|.*approved/im);

    // Members find it under Past calls, and by searching for a word said.
    await grace.reload();
    await hydrated(grace);
    const past = grace.getByRole('region', { name: 'Past calls' });
    const call = past.locator('.past-call').filter({ hasText: 'Lin Park (guest)' });
    await expect(call).toContainText('Transcript');
    await call.locator('summary').click();
    await expect(call.getByRole('list').first()).toBeVisible();
    await expect(call).toContainText(/Grace Hopper: [^\n]*budget/i);
    await expect(call).toContainText(/Lin Park \(guest\): [^\n]*contract/i);
    await past.getByLabel('Search transcripts').fill('contract');
    await past.getByRole('button', { name: 'Search' }).click();
    const found = past.getByRole('list', { name: 'Transcript lines found' });
    await expect(found).toContainText(/Lin Park \(guest\): .*contract/i);
    await expect(found).toContainText('client-calls');
  } finally {
    await graces.close();
    await lins.close();
  }
});
