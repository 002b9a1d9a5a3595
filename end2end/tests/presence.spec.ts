import { test, expect, hydrated, signedInPage } from './fixtures';

test('members see each other walk into and out of rooms without reloading', async ({ browser, server }) => {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const grace = await signedInPage(browser, server, 'grace@example.com');
  await expect(grace.locator('main.office')).toHaveAttribute('data-live', 'connected');
  await expect(ada.locator('main.office')).toHaveAttribute('data-live', 'connected');

  const lobbyOnGrace = grace.getByRole('list', { name: 'People in the open lobby' });
  const designReviewOnGrace = grace.getByRole('list', { name: 'People in Design Review' });
  await expect(lobbyOnGrace.getByText('Ada Lovelace')).toBeVisible();

  // Grace keeps a handle on her document: a reload would replace it and fail the check below.
  await grace.evaluate(() => ((window as any).__sameDocument = true));

  await ada.getByRole('button', { name: 'Enter Design Review' }).click();
  // Walking in opens the room's call; the map is a click away and shows her there.
  await expect(ada.getByRole('heading', { name: 'Design Review', level: 2 })).toBeVisible();
  await ada.getByRole('button', { name: 'Show the office map' }).click();
  await expect(ada.getByRole('list', { name: 'People in Design Review' }).getByText('Ada Lovelace')).toBeVisible();
  await expect(designReviewOnGrace.getByText('Ada Lovelace')).toBeVisible();
  await expect(lobbyOnGrace.getByText('Ada Lovelace')).toHaveCount(0);

  await ada.getByRole('button', { name: 'Leave room' }).click();
  await expect(designReviewOnGrace.getByText('Ada Lovelace')).toHaveCount(0);
  await expect(lobbyOnGrace.getByText('Ada Lovelace')).toBeVisible();

  // Closing the tab takes Ada offline for everyone.
  await ada.context().close();
  await expect(lobbyOnGrace.getByText('Ada Lovelace')).toHaveCount(0);
  expect(await grace.evaluate(() => (window as any).__sameDocument)).toBe(true);
});

test('the office works from the keyboard at phone width', async ({ browser, server }) => {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  await ada.setViewportSize({ width: 390, height: 844 });
  const enter = ada.getByRole('button', { name: 'Enter Coffee Corner' });
  await enter.focus();
  await ada.keyboard.press('Enter');
  await expect(ada.locator('.conference')).toHaveAttribute('data-call-status', 'live');
  await ada.getByRole('button', { name: 'Hang up' }).focus();
  await ada.keyboard.press('Enter');
  await expect(ada.getByRole('list', { name: 'People in the open lobby' }).getByText('Ada Lovelace')).toBeVisible();
  await expect(ada.getByRole('navigation', { name: 'Channels' }).getByText('client-calls')).toBeVisible();
});

test('signing out in one tab signs the other tabs out too', async ({ browser, server }) => {
  const first = await signedInPage(browser, server, 'ada@example.com');
  const second = await first.context().newPage();
  await second.goto(`${server.url}/office`);
  await expect(second.locator('main.office')).toHaveAttribute('data-live', 'connected');
  await hydrated(first);
  await first.getByRole('button', { name: 'Sign out' }).click();
  await expect(first).toHaveURL(/\/signin$/);
  await expect(second).toHaveURL(/\/signin$/);
});
