import { test, expect, hydrated, signIn, signedInPage, guestPage } from './fixtures';

test.describe('a fresh install', () => {
  test.use({ demo: false });

  test('the first visitor creates the workspace, signs out, and signs back in', async ({ page, server }) => {
    await page.goto(server.url);
    await expect(page).toHaveURL(/\/signup$/);
    await hydrated(page);

    await page.getByRole('button', { name: 'Create workspace' }).click();
    await expect(page.getByText('Workspace name is required.')).toBeVisible();
    await expect(page.getByLabel('Workspace name')).toHaveAttribute('aria-invalid', 'true');

    await page.getByLabel('Workspace name').fill('Northwind');
    await page.getByLabel('Your name').fill('Nina Northwind');
    await page.getByLabel('Email address', { exact: true }).fill('nina@northwind');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await expect(page.getByText('is not a valid email address')).toBeVisible();

    await page.getByLabel('Email address', { exact: true }).fill('nina@northwind.test');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await expect(page).toHaveURL(/\/office$/);
    await expect(page.getByRole('banner').getByRole('link', { name: 'Northwind', exact: true })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Meeting Room' })).toBeVisible();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/signin$/);
    await page.goto(`${server.url}/office`);
    await expect(page).toHaveURL(/\/signin$/);

    // A second visitor cannot create another workspace.
    await page.goto(`${server.url}/signup`);
    await expect(page.getByText('This Anteroom already has a workspace.')).toBeVisible();

    await page.goto(`${server.url}/signin`);
    await hydrated(page);
    await page.getByLabel('Email address', { exact: true }).fill('nina@northwind.test');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'do not match' })).toBeVisible();
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/office$/);
  });
});

test('an admin adds a member who can then sign in; members cannot add anyone', async ({ browser, server }) => {
  const admin = await signedInPage(browser, server, 'ada@example.com');

  await admin.getByRole('link', { name: 'Workspace settings' }).click();
  await expect(admin.getByRole('heading', { name: 'Add a member' })).toBeVisible();
  await hydrated(admin);
  await admin.getByLabel('Name', { exact: true }).fill('Hedy Lamarr');
  await admin.getByLabel('Email address', { exact: true }).fill('grace@example.com');
  await admin.getByLabel('First password').fill('frequency-hop');
  await admin.getByRole('button', { name: 'Add member' }).click();
  await expect(admin.getByText('A member with the email grace@example.com already exists.')).toBeVisible();
  await admin.getByLabel('Email address', { exact: true }).fill('hedy@example.com');
  await admin.getByRole('button', { name: 'Add member' }).click();
  await expect(admin.getByText('Hedy Lamarr can now sign in as hedy@example.com.')).toBeVisible();
  await expect(admin.getByRole('cell', { name: 'hedy@example.com' })).toBeVisible();

  const hedy = await guestPage(browser);
  await signIn(hedy, server, 'hedy@example.com', 'frequency-hop');
  await hedy.getByRole('link', { name: 'Members' }).click();
  await expect(hedy.getByText('Only workspace admins can add members.')).toBeVisible();
  await expect(hedy.getByRole('heading', { name: 'Add a member' })).toHaveCount(0);
});

test('changing the password signs out the other devices at once, and signing out everywhere ends this one too', async ({ browser, server }) => {
  const laptop = await signedInPage(browser, server, 'katherine@example.com');
  const phone = await signedInPage(browser, server, 'katherine@example.com');
  await hydrated(phone);

  await laptop.getByRole('banner').getByRole('link', { name: /Katherine Johnson/ }).click();
  await expect(laptop).toHaveURL(/\/settings\/account$/);
  await expect(laptop.getByRole('heading', { name: 'Your account' })).toBeVisible();
  await hydrated(laptop);

  await laptop.getByLabel('Current password').fill('not my password');
  await laptop.getByLabel('New password', { exact: true }).fill('a fresh long password');
  await laptop.getByLabel('New password again').fill('a fresh long password');
  await laptop.getByRole('button', { name: 'Change password' }).click();
  await expect(laptop.getByText('That is not your current password.')).toBeVisible();
  await expect(laptop.getByLabel('Current password')).toHaveAttribute('aria-invalid', 'true');

  await laptop.getByLabel('Current password').fill('anteroom-demo');
  await laptop.getByRole('button', { name: 'Change password' }).click();
  await expect(laptop.getByRole('status')).toContainText('Password changed. Your other devices were signed out.');
  // The phone's open office page is sent to sign-in without a reload.
  await expect(phone).toHaveURL(/\/signin$/);
  await laptop.goto(`${server.url}/office`);
  await expect(laptop).toHaveURL(/\/office$/);

  await laptop.goto(`${server.url}/settings/account`);
  await hydrated(laptop);
  await laptop.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(laptop).toHaveURL(/\/signin$/);
  await laptop.goto(`${server.url}/office`);
  await expect(laptop).toHaveURL(/\/signin$/);
});
