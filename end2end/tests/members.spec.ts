import { test, expect, hydrated, signIn, signedInPage, guestPage } from './fixtures';
import { generateLink, outboxMails } from './steps';
import path from 'node:path';
import type { Page } from '@playwright/test';

/** Screenshots for looking at (end2end/.screens/, as screens.spec.ts). */
const shots = path.join(__dirname, '..', '.screens');
const sizes = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

async function screens(page: Page, name: string) {
  for (const size of sizes) {
    await page.setViewportSize(size);
    await page.screenshot({ path: path.join(shots, `${name}-${size.name}.png`), fullPage: true });
  }
  await page.setViewportSize(sizes[0]);
}

/** Workspace Settings > Members, opened by its address. */
async function membersSettings(page: Page, url: string) {
  await page.goto(`${url}/settings/workspace`);
  await hydrated(page);
  return page.getByRole('region', { name: 'Members', exact: true });
}

test('an admin deactivates a member, whose open page goes to sign-in, and reactivates her', async ({ browser, server }) => {
  // Grace made client-calls' external link and has the channel open.
  const grace = await signedInPage(browser, server, 'grace@example.com');
  const { link: gracesLink } = await generateLink(grace, 'client-calls');
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const members = await membersSettings(ada, server.url);
  // Ada cannot deactivate herself: her row has no such button.
  await expect(members.getByRole('button', { name: 'Send Ada Lovelace a password reset' })).toBeVisible();
  await expect(members.getByRole('button', { name: 'Deactivate Ada Lovelace' })).toHaveCount(0);

  // Asking first; "Keep it" backs out.
  const deactivate = members.getByRole('button', { name: 'Deactivate Grace Hopper' });
  await deactivate.click();
  await expect(deactivate).toHaveAttribute('aria-expanded', 'true');
  await expect(members.getByText('They are signed out everywhere, leave their calls')).toBeVisible();
  await expect(members.getByLabel('Deactivating someone also replaces the guest links they created')).toBeChecked();
  await screens(ada, 'members-confirm');
  await members.getByRole('button', { name: 'Keep it' }).click();
  await expect(members.getByText('They are signed out everywhere, leave their calls')).toHaveCount(0);

  // With the keyboard alone: Enter asks, Tab reaches the red button, Enter does it.
  await deactivate.focus();
  await ada.keyboard.press('Enter');
  await ada.keyboard.press('Tab');
  await expect(members.getByRole('button', { name: 'Deactivate', exact: true })).toBeFocused();
  await ada.keyboard.press('Enter');
  await expect(members.getByRole('status')).toHaveText(
    'Grace Hopper was deactivated and signed out everywhere. The guest link they created was replaced.',
  );
  const graceRow = members.getByRole('row', { name: /Grace Hopper/ });
  await expect(graceRow).toContainText('Member, deactivated');
  await expect(graceRow.getByRole('button', { name: 'Reactivate Grace Hopper' })).toBeVisible();
  // Her open page goes to sign-in without a reload; the link she made
  // leads nowhere now.
  await expect(grace).toHaveURL(/\/signin$/);
  const guest = await guestPage(browser);
  await guest.goto(gracesLink);
  await expect(guest.getByRole('heading', { name: 'This link is no longer valid' })).toBeVisible();
  await screens(ada, 'members');

  // Her right password is told why; nothing lets her in.
  await hydrated(grace);
  await grace.getByLabel('Email address', { exact: true }).fill('grace@example.com');
  await grace.getByLabel('Password').fill('anteroom-demo');
  await grace.getByRole('button', { name: 'Sign in' }).click();
  await expect(grace.getByRole('alert').filter({ hasText: 'This account was deactivated. Ask a workspace admin.' })).toBeVisible();
  await grace.goto(`${server.url}/office`);
  await expect(grace).toHaveURL(/\/signin$/);

  // Reactivated, she signs in again.
  await graceRow.getByRole('button', { name: 'Reactivate Grace Hopper' }).click();
  await members.getByRole('button', { name: 'Reactivate', exact: true }).click();
  await expect(members.getByRole('status')).toContainText('Grace Hopper can sign in again');
  await expect(members.getByRole('row', { name: /Grace Hopper/ })).not.toContainText('deactivated');
  await signIn(grace, server, 'grace@example.com');
});

test('a password reset email sets a new password through its link, once', async ({ browser, server }) => {
  const alansLaptop = await signedInPage(browser, server, 'alan@example.com');
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const members = await membersSettings(ada, server.url);
  await members.getByRole('button', { name: 'Send Alan Turing a password reset' }).click();
  await members.getByRole('button', { name: 'Send link' }).click();
  await expect(members.getByRole('status')).toHaveText('A reset link was sent to alan@example.com. It works once, within an hour.');

  const mails = outboxMails(server.outbox).filter((mail) => mail.includes('To: alan@example.com'));
  expect(mails).toHaveLength(1);
  expect(mails[0]).toContain('Subject: Choose a new password for Acme Studio');
  const link = mails[0].match(/http:\/\/\S+\/reset-password\/[\w-]+/)![0];

  // Opened in another browser by its address (a plain page: no script).
  const alan = await guestPage(browser);
  await alan.goto(link);
  await expect(alan.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
  await expect(alan.getByText('For alan@example.com.')).toBeVisible();
  await screens(alan, 'reset-password');
  await alan.getByLabel('New password', { exact: true }).fill('enigma machine');
  await alan.getByLabel('New password again').fill('enigma machin');
  await alan.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(alan.getByText('This differs from the new password above.')).toBeVisible();
  await expect(alan.getByLabel('New password again')).toHaveAttribute('aria-invalid', 'true');
  await alan.getByLabel('New password', { exact: true }).fill('enigma machine');
  await alan.getByLabel('New password again').fill('enigma machine');
  await alan.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(alan).toHaveURL(/\/office$/);
  // His other sessions ended: the laptop's open page goes to sign-in.
  await expect(alansLaptop).toHaveURL(/\/signin$/);

  // The link is spent; the new password works, the old one does not.
  const again = await guestPage(browser);
  await again.goto(link);
  await expect(again.getByRole('alert')).toContainText('This password reset link was already used.');
  await expect(again.getByRole('link', { name: 'Go to sign in' })).toBeVisible();
  await signIn(alansLaptop, server, 'alan@example.com', 'enigma machine');
});
