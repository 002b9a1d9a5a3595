import { test, expect, signedInPage } from './fixtures';
import type { Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';

function sidebarInboxes(page: Page) {
  return page.getByRole('list', { name: 'Inboxes' });
}

test('inbox access follows participants, roles and teams live', async ({ browser, server }) => {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const katherine = await signedInPage(browser, server, 'katherine@example.com');

  // Ada, a workspace admin, creates an inbox in Workspace Settings > Inbox.
  await ada.getByRole('link', { name: 'Workspace settings' }).click();
  await ada.getByLabel('Inbox name').fill('Partners');
  await ada.getByLabel('Email addresses').fill('partners@acme.test, nope');
  await ada.getByRole('button', { name: 'Create inbox' }).click();
  await expect(ada.getByText('“nope” is not a valid email address')).toBeVisible();
  // acme.test is not one of the workspace's mail domains until Ada adds it.
  await ada.getByLabel('Email addresses').fill('partners@acme.test');
  await ada.getByRole('button', { name: 'Create inbox' }).click();
  await expect(ada.getByText("partners@acme.test is not at the workspace's mail domains (acme.example)")).toBeVisible();
  await expect(ada.getByLabel('Mail domains')).toHaveValue('acme.example');
  await ada.getByLabel('Mail domains').fill('acme.example, acme.test');
  await ada.getByRole('button', { name: 'Save domains' }).click();
  await expect(ada.getByText('Inbox addresses may now be at acme.example, acme.test.')).toBeVisible();
  await ada.getByRole('button', { name: 'Create inbox' }).click();
  await ada.getByRole('list', { name: 'All inboxes' }).getByRole('link', { name: 'Partners' }).click();
  await expect(ada.getByRole('heading', { name: 'Partners' })).toBeVisible();
  const inboxUrl = ada.url();

  // Katherine, not a participant: no sidebar entry, and the URL answers like an unknown inbox.
  await expect(katherine.getByRole('link', { name: 'Partners' })).toHaveCount(0);
  const hers = await katherine.context().newPage();
  await hers.goto(inboxUrl);
  await expect(hers.getByRole('heading', { name: 'This inbox was not found' })).toBeVisible();
  const unknownText = await hers.locator('main').innerText();
  await hers.goto(`${server.url}/inbox/999999`);
  await expect(hers.getByRole('heading', { name: 'This inbox was not found' })).toBeVisible();
  expect(await hers.locator('main').innerText()).toBe(unknownText);
  await hers.close();

  // Ada adds her as a Viewer from the Channel Overview's Members tab.
  await ada.getByRole('button', { name: 'Partners', exact: true }).click();
  const overview = ada.getByRole('dialog', { name: 'Partners' });
  await overview.getByRole('tab', { name: 'Members' }).click();
  await overview.getByLabel('Search members and teams by name').fill('kath');
  await overview.getByRole('checkbox', { name: /Katherine Johnson/ }).check();
  await overview.getByLabel('Role for Katherine Johnson').selectOption('viewer');
  await overview.getByRole('button', { name: 'Add to inbox' }).click();
  await expect(overview.getByLabel('Role of Katherine Johnson')).toHaveValue('viewer');

  // It appears in her sidebar without a reload; she can read but not reply.
  await sidebarInboxes(katherine).getByRole('link', { name: 'Partners' }).click();
  await expect(katherine.getByText('you can read conversations but not reply')).toBeVisible();
  await expect(katherine.locator('.inbox-role')).toHaveAttribute('data-can-send', 'false');

  // A role change reaches her open page.
  await overview.getByLabel('Role of Katherine Johnson').selectOption('member');
  await expect(katherine.locator('.inbox-role')).toHaveAttribute('data-can-send', 'true');

  // Removed: gone from her sidebar, and her page says so.
  await overview.getByRole('button', { name: 'Remove Katherine Johnson' }).click();
  await expect(sidebarInboxes(katherine).getByRole('link', { name: 'Partners' })).toHaveCount(0);
  await expect(katherine.getByRole('heading', { name: 'This inbox was not found' })).toBeVisible();

  // A team: Engineering (Katherine is in it) as Viewer gives her access...
  await overview.getByLabel('Search members and teams by name').fill('engin');
  await overview.getByRole('checkbox', { name: /Engineering/ }).check();
  await overview.getByRole('button', { name: 'Add to inbox' }).click();
  await expect(overview.getByLabel('Role of Engineering')).toHaveValue('member');
  await expect(sidebarInboxes(katherine).getByRole('link', { name: 'Partners' })).toBeVisible();
  await ada.keyboard.press('Escape');

  // ...and taking her out of the team takes it away.
  await ada.getByRole('link', { name: 'Workspace settings' }).click();
  await ada.getByRole('button', { name: 'Remove Katherine Johnson from Engineering' }).click();
  await expect(ada.getByRole('list', { name: 'Members of Engineering' })).not.toContainText('Katherine Johnson');
  await expect(sidebarInboxes(katherine)).toHaveCount(0);
});

test('viewers read without a reply box; made a Member, the box appears without reload and a reply goes out', async ({ browser, server }) => {
  const grace = await signedInPage(browser, server, 'grace@example.com');
  const alan = await signedInPage(browser, server, 'alan@example.com');

  // Alan is a Viewer of the demo Sales inbox: he reads Lin's conversation, with no reply box.
  await sidebarInboxes(alan).getByRole('link', { name: 'Sales' }).click();
  await alan.getByRole('button', { name: /Pricing for 40 seats/ }).click();
  const conversation = alan.getByRole('region', { name: 'Conversation', exact: true });
  await expect(conversation.getByText('do guests need an account?')).toBeVisible();
  await expect(conversation.getByText('What would 40 seats cost per year?')).toBeVisible();
  await expect(alan.getByLabel('Reply')).toHaveCount(0);
  await expect(alan.getByText('You can read this conversation but not reply.')).toBeVisible();
  await expect(alan.getByRole('button', { name: 'New email' })).toHaveCount(0);

  // Grace, the inbox's Admin, makes him a Member.
  await sidebarInboxes(grace).getByRole('link', { name: 'Sales' }).click();
  await grace.getByRole('button', { name: 'Sales', exact: true }).click();
  await grace.getByRole('dialog', { name: 'Sales' }).getByLabel('Role of Alan Turing').selectOption('member');

  // His open page gets the reply box; his reply is kept in the outbox (no relay configured).
  await alan.getByLabel('Reply').fill('Guests need no account: they open a link.');
  await alan.getByRole('button', { name: 'Send reply' }).click();
  await expect(alan.locator('.message.outgoing')).toContainText('Guests need no account');
  await expect(alan.locator('.message.outgoing')).toContainText('Kept in the local outbox');
  await expect(alan.getByLabel('Reply')).toHaveValue('');
  const kept = fs.readdirSync(server.outbox).map((name) => fs.readFileSync(path.join(server.outbox, name), 'utf8'));
  expect(kept).toHaveLength(1);
  expect(kept[0]).toContain('In-Reply-To: <pricing-2@client.example>');
  expect(kept[0]).toContain('Subject: Re: Pricing for 40 seats');
  expect(kept[0]).toContain('Guests need no account');
  // A team with a higher role: the overview says which role counts.
  const overview = grace.getByRole('dialog', { name: 'Sales' });
  await overview.getByLabel('Search members and teams by name').fill('engin');
  await overview.getByRole('checkbox', { name: /Engineering/ }).check();
  await overview.getByLabel('Role for Engineering').selectOption('admin');
  await overview.getByRole('button', { name: 'Add to inbox' }).click();
  await expect(overview.getByRole('listitem').filter({ hasText: 'Alan Turing' })).toContainText(
    'Also Admin through Engineering: the higher role counts.',
  );
  // Grace sees the reply in the conversation too, without reloading.
  await grace.keyboard.press('Escape');
  await grace.getByRole('button', { name: /Pricing for 40 seats/ }).click();
  await expect(grace.locator('.message.outgoing')).toContainText('Guests need no account');
});

test('an HTML email is shown in a sandboxed frame of its own origin, sanitised', async ({ browser, server }) => {
  const katherine = await signedInPage(browser, server, 'katherine@example.com');
  await sidebarInboxes(katherine).getByRole('link', { name: 'Support' }).click();
  await katherine.getByRole('button', { name: /Cannot join the call/ }).click();

  const frame = katherine.getByTitle('Message from Sam Lee');
  await expect(frame).toHaveAttribute('sandbox', 'allow-popups allow-popups-to-escape-sandbox');
  const content = katherine.frameLocator('iframe[title="Message from Sam Lee"]');
  await expect(content.locator('b')).toHaveText('black');
  await expect(content.getByRole('link', { name: 'our setup notes' })).toHaveAttribute('rel', 'noopener noreferrer nofollow');
  await expect(content.locator('script')).toHaveCount(0);
  // The page cannot reach into the frame, nor the frame into the page: its origin is opaque.
  expect(await frame.evaluate((element: HTMLIFrameElement) => element.contentDocument)).toBeNull();
  expect(await katherine.title()).not.toBe('pwned');
});

test('a workspace admin creates a team, gives it an inbox, and deleting the team takes the inbox away live', async ({ browser, server }) => {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const katherine = await signedInPage(browser, server, 'katherine@example.com');
  // She has Support (through Engineering), not Sales.
  await expect(sidebarInboxes(katherine).getByRole('link', { name: 'Support' })).toBeVisible();
  await expect(sidebarInboxes(katherine).getByRole('link', { name: 'Sales' })).toHaveCount(0);

  // Workspace Settings > Teams: create, refuse a taken name, rename, add Katherine.
  await ada.getByRole('link', { name: 'Workspace settings' }).click();
  await ada.getByLabel('Team name').fill('  Field Desk ');
  await ada.getByRole('button', { name: 'Create team' }).click();
  await expect(ada.getByRole('heading', { name: 'Field Desk', level: 3 })).toBeVisible();
  await ada.getByLabel('Team name').fill('field desk');
  await ada.getByRole('button', { name: 'Create team' }).click();
  await expect(ada.getByText('A team named “field desk” already exists.')).toBeVisible();
  await ada.getByRole('button', { name: 'Rename Field Desk' }).click();
  await ada.getByLabel('New name for Field Desk').fill('Field Team');
  await ada.getByLabel('New name for Field Desk').press('Enter');
  await expect(ada.getByRole('heading', { name: 'Field Team', level: 3 })).toBeVisible();
  await ada.getByLabel('Add a member to Field Team').selectOption({ label: 'Katherine Johnson' });
  await ada.getByRole('button', { name: 'Add to Field Team' }).click();
  await expect(ada.getByRole('list', { name: 'Members of Field Team' })).toContainText('Katherine Johnson');

  // The team becomes a Viewer of Sales: Katherine's sidebar shows it at once.
  await ada.getByRole('list', { name: 'All inboxes' }).getByRole('link', { name: 'Sales' }).click();
  await ada.getByRole('button', { name: 'Sales', exact: true }).click();
  const overview = ada.getByRole('dialog', { name: 'Sales' });
  await overview.getByRole('tab', { name: 'Members' }).click();
  await overview.getByLabel('Search members and teams by name').fill('field');
  await overview.getByRole('checkbox', { name: /Field Team/ }).check();
  await overview.getByLabel('Role for Field Team').selectOption('viewer');
  await overview.getByRole('button', { name: 'Add to inbox' }).click();
  await expect(overview.getByLabel('Role of Field Team')).toHaveValue('viewer');
  await expect(sidebarInboxes(katherine).getByRole('link', { name: 'Sales' })).toBeVisible();
  await ada.keyboard.press('Escape');

  // Deleting the team takes its role away: gone from her sidebar, no reload.
  await ada.getByRole('link', { name: 'Workspace settings' }).click();
  await ada.getByRole('button', { name: 'Delete the team Field Team' }).click();
  await ada.getByRole('button', { name: 'Delete the team', exact: true }).click();
  await expect(ada.getByRole('heading', { name: 'Field Team', level: 3 })).toHaveCount(0);
  await expect(sidebarInboxes(katherine).getByRole('link', { name: 'Sales' })).toHaveCount(0);
  await expect(sidebarInboxes(katherine).getByRole('link', { name: 'Support' })).toBeVisible();
});
