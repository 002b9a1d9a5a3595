import { test, expect, signedInPage, guestPage, hydrated } from './fixtures';
import { inviteLink, knock, toast } from './steps';
import type { Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';

/** A room on a member's map, by name. */
function roomOn(page: Page, name: string) {
  return page.locator('.map .room').filter({ has: page.getByRole('heading', { name, exact: true }) });
}

/** The room's place as the server keeps it: x, y, width, height. */
function stored(databasePath: string, name: string): number[] {
  const row = execFileSync('sqlite3', [databasePath, `SELECT x, y, width, height FROM rooms WHERE name = '${name}'`]);
  return row.toString().trim().split('|').map(Number);
}

test('a member builds a room, drags and renames it while another map follows; deleting it ends the guest visit for good', async ({
  browser,
  server,
}) => {
  const alan = await signedInPage(browser, server, 'alan@example.com');
  const grace = await signedInPage(browser, server, 'grace@example.com');

  // Alan, a member, enters build mode and adds a room; Grace's map shows it.
  await alan.getByRole('button', { name: 'Build mode' }).click();
  const toolbar = alan.getByRole('toolbar', { name: 'Build mode' });
  await toolbar.getByLabel('New room').fill('Studio');
  await toolbar.getByRole('button', { name: 'Add room' }).click();
  await expect(roomOn(alan, 'Studio')).toBeVisible();
  await expect(roomOn(grace, 'Studio')).toBeVisible();
  // Names are unique whatever their case.
  await toolbar.getByLabel('New room').fill('studio');
  await toolbar.getByRole('button', { name: 'Add room' }).click();
  await expect(alan.getByText('A room named “studio” already exists.')).toBeVisible();

  // He drags it: the database and Grace's map follow.
  const before = stored(server.databasePath, 'Studio');
  const box = (await roomOn(alan, 'Studio').locator('.occupants').boundingBox())!;
  const graceLeft = await roomOn(grace, 'Studio').evaluate((el) => (el as HTMLElement).style.left);
  await alan.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await alan.mouse.down();
  await alan.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2 + 40, { steps: 5 });
  await alan.mouse.up();
  await expect.poll(() => stored(server.databasePath, 'Studio')[0]).toBeGreaterThan(before[0]);
  expect(stored(server.databasePath, 'Studio')[1]).toBeGreaterThan(before[1]);
  await expect.poll(() => roomOn(grace, 'Studio').evaluate((el) => (el as HTMLElement).style.left)).not.toBe(graceLeft);

  // And with the keyboard: an arrow key moves the focused room back a step.
  const moved = stored(server.databasePath, 'Studio');
  await roomOn(alan, 'Studio').focus();
  await alan.keyboard.press('ArrowLeft');
  await expect.poll(() => stored(server.databasePath, 'Studio')[0]).toBe(moved[0] - 10);
  // Keys pressed faster than saves are answered: the last place is the one
  // stored, and nothing is refused.
  for (const key of ['ArrowRight', 'ArrowLeft', 'ArrowRight', 'ArrowLeft', 'ArrowRight']) await alan.keyboard.press(key);
  await expect.poll(() => stored(server.databasePath, 'Studio')[0]).toBe(moved[0]);
  await expect(alan.getByRole('alert')).toBeHidden();

  // Renamed; Grace's map follows without a reload.
  await roomOn(alan, 'Studio').getByRole('button', { name: 'Rename Studio' }).click();
  await alan.getByLabel('New name for Studio').fill('Recording Studio');
  await alan.getByLabel('New name for Studio').press('Enter');
  await expect(roomOn(grace, 'Recording Studio')).toBeVisible();

  // Escape leaves build mode.
  await alan.keyboard.press('Escape');
  await expect(toolbar).toHaveCount(0);

  // Grace invites a guest into the new room and lets her in.
  const link = await inviteLink(grace, 'Recording Studio');
  const guest = await guestPage(browser);
  await knock(guest, link, 'Lin Park', 'lin@example.org');
  await toast(grace, 'Lin Park').getByRole('button', { name: 'Accept' }).click();
  await expect(guest.locator('.conference')).toHaveAttribute('data-call-status', 'live');

  // Alan deletes the room: the guest is told it is gone, Grace is in the lobby.
  await alan.getByRole('button', { name: 'Build mode' }).click();
  await roomOn(alan, 'Recording Studio').getByRole('button', { name: 'Delete Recording Studio' }).click();
  await alan.getByRole('button', { name: 'Delete the room' }).click();
  await expect(roomOn(alan, 'Recording Studio')).toHaveCount(0);
  await expect(guest.getByRole('heading', { name: 'This room no longer exists' })).toBeVisible();
  await expect(grace.getByRole('list', { name: 'People in the open lobby' }).getByText('Grace Hopper')).toBeVisible();
  await expect(roomOn(grace, 'Recording Studio')).toHaveCount(0);
  // The old link leads nowhere.
  await guest.goto(link);
  await hydrated(guest);
  await expect(guest.getByRole('heading', { name: 'This link is no longer valid' })).toBeVisible();
});

test('a workspace admin can keep build mode to admins', async ({ browser, server }) => {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  await ada.getByRole('link', { name: 'Workspace settings' }).click();
  const setting = ada.getByRole('checkbox', { name: 'Only workspace admins can use build mode' });
  await expect(setting).not.toBeChecked();
  await setting.check();
  await expect(setting).toBeChecked();
  const alan = await signedInPage(browser, server, 'alan@example.com');
  await expect(alan.getByRole('heading', { name: 'Office' })).toBeVisible();
  await expect(alan.getByRole('button', { name: 'Build mode' })).toHaveCount(0);
  await ada.goto(server.url);
  await expect(ada.getByRole('button', { name: 'Build mode' })).toBeVisible();
});
