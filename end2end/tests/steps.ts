import fs from 'node:fs';
import path from 'node:path';
import { expect, hydrated } from './fixtures';
import type { Page } from '@playwright/test';

// Steps of the guest stories that several specs take, in either browser engine.

/** Waits until the microphone level meter shows sound. The fake microphone
 * beeps briefly once a second, so the page is asked often enough not to miss it. */
export async function meterMoves(guest: Page) {
  await expect(guest.getByRole('meter', { name: 'Microphone level' })).toBeVisible();
  await guest.waitForFunction(
    () => Number(document.querySelector('[role=meter]')?.getAttribute('aria-valuenow')) > 5,
    null,
    { polling: 40, timeout: 15_000 },
  );
}

/** Ada walks into a room and copies its guest link from the invite dialog. */
export async function inviteLink(ada: Page, room: string): Promise<string> {
  await ada.getByRole('button', { name: `Enter ${room}` }).click();
  await ada.locator('.conference').getByRole('button', { name: `Invite a guest to ${room}` }).click();
  const link = ada.getByRole('dialog').getByLabel('Invite link');
  await expect(link).toHaveValue(/\/guest\//);
  return link.inputValue();
}

/** Opens the link, fills in the form and knocks; waits for the waiting screen. */
export async function knock(guest: Page, link: string, name: string, email: string) {
  await guest.goto(link);
  await hydrated(guest);
  await guest.getByLabel('Your Name').fill(name);
  await guest.getByLabel('Email Address').fill(email);
  await guest.getByRole('button', { name: 'Continue to Join' }).click();
  await expect(guest.getByRole('heading', { name: 'Waiting for approval' })).toBeVisible();
}

/** The notification a member gets about `name` knocking. */
export function toast(member: Page, name: string) {
  return member.getByRole('alertdialog', { name: `${name} asks to join` });
}

/** Opens a meeting channel from the sidebar. */
export async function openChannel(page: Page, name: string) {
  await page.getByRole('navigation', { name: 'Channels' }).getByRole('link', { name: new RegExp(`^${name}`) }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(name);
  await hydrated(page);
}

/** Opens the channel's details on the External Link tab. */
export async function externalLinkTab(page: Page) {
  await page.getByRole('button', { name: 'External link settings' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('tab', { name: 'External Link' })).toHaveAttribute('aria-selected', 'true');
  return dialog;
}

/** Opens the channel (as `page`'s member) and generates its external link
 * in the details dialog; returns the dialog, still open, and the link. */
export async function generateLink(page: Page, channel: string) {
  await openChannel(page, channel);
  const details = await externalLinkTab(page);
  await details.getByRole('button', { name: 'Generate Link' }).click();
  const field = details.getByLabel('External link');
  await expect(field).toHaveValue(/\/guest\//);
  return { details, field, link: await field.inputValue() };
}

export async function joinCall(page: Page) {
  await page.getByRole('button', { name: 'Join call' }).click();
  await expect(page.locator('.conference')).toHaveAttribute('data-call-status', 'live', { timeout: 20_000 });
}

/** The text of every .eml file the server kept in its outbox, decoded from
 * quoted-printable (long lines and non-ASCII characters are encoded), with
 * the long lines of attached calendars (folded at 75 characters: a line
 * break and one space) joined again. */
export function outboxMails(outbox: string): string[] {
  if (!fs.existsSync(outbox)) return [];
  return fs.readdirSync(outbox).map((name) =>
    fs
      .readFileSync(path.join(outbox, name), 'utf8')
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)))
      .replace(/\r?\n (?! )/g, ''),
  );
}
