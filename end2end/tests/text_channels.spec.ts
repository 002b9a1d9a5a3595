// Text channels (issue 35): two members talking in #general, live, with
// unread counts, edits and deletions; history paged back by scrolling up;
// and a message typed while the network is cut, delivered exactly once.
import { expect, expectPageErrors, hydrated, signedInPage, test } from './fixtures';
import type { Page } from '@playwright/test';

/** Opens #general from the sidebar, as a member would. */
async function openGeneral(page: Page) {
  await page.getByRole('navigation', { name: 'Channels' }).getByRole('link', { name: /general/ }).click();
  await expect(page.getByRole('heading', { name: 'general', level: 1 })).toBeVisible();
  await hydrated(page);
}

function composer(page: Page) {
  return page.getByRole('textbox', { name: 'Message #general' });
}

function messages(page: Page) {
  return page.locator('.message-list > li.message:not(.pending)');
}

/** Posts `count` messages in channel `channel` through the server function
 * the composer uses (the page's own session). */
async function postMany(page: Page, channel: string, count: number) {
  await page.evaluate(
    async ({ channel, count }) => {
      for (let n = 0; n < count; n++) {
        const body = new URLSearchParams({ channel, body: `Old news ${n}`, client_key: `seed-${n}` });
        const answer = await fetch('/api/post_message', { method: 'POST', body });
        if (!answer.ok) throw new Error(`post ${n}: ${answer.status} ${await answer.text()}`);
      }
    },
    { channel, count },
  );
}

test('a message reaches the other member live, with an unread count, and edits and deletions follow', async ({
  browser,
  server,
}) => {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const alan = await signedInPage(browser, server, 'alan@example.com');
  await openGeneral(ada);
  await expect(ada.getByText('This is the start of the channel.')).toBeVisible();

  // Enter sends; Shift+Enter is a new line inside the message.
  await composer(ada).fill('Hello **team**');
  await composer(ada).press('Shift+Enter');
  await composer(ada).pressSequentially('second line');
  await composer(ada).press('Enter');
  await expect(composer(ada)).toHaveValue('');
  const mine = messages(ada).last();
  await expect(mine.locator('strong', { hasText: 'team' })).toBeVisible();
  await expect(mine).toContainText('second line');

  // Alan, on the office page, sees the count in the sidebar.
  const sidebarLink = alan.getByRole('navigation', { name: 'Channels' }).getByRole('link', { name: /general/ });
  await expect(alan.getByRole('navigation', { name: 'Channels' }).getByText('1 unread message')).toBeAttached();
  await sidebarLink.click();
  await expect(messages(alan).last()).toContainText('Hello team');
  await expect(alan.getByRole('navigation', { name: 'Channels' }).getByText(/unread message/)).toHaveCount(0);
  // Read stays read: a reload (the page by its address) shows no count.
  await alan.reload();
  await hydrated(alan);
  await expect(messages(alan).last()).toContainText('Hello team');
  await expect(alan.getByRole('navigation', { name: 'Channels' }).getByText(/unread message/)).toHaveCount(0);

  // Ada edits her message: Alan sees the new words, marked edited.
  await mine.getByRole('button', { name: /Edit your message/ }).click();
  const edit = ada.getByRole('textbox', { name: 'Edit your message' });
  await edit.fill('Hello everyone');
  await edit.press('Enter');
  await expect(messages(alan).last()).toContainText('Hello everyone');
  await expect(messages(alan).last()).toContainText('(edited)');
  // Alan may not edit or delete it.
  await expect(messages(alan).last().getByRole('button')).toHaveCount(0);

  // Ada deletes it: its place says so for both.
  await messages(ada).last().getByRole('button', { name: 'Delete the message by Ada Lovelace' }).click();
  await ada.getByRole('button', { name: 'Delete message' }).click();
  await expect(messages(alan).last()).toContainText('This message was deleted.');
  await expect(messages(ada).last()).toContainText('This message was deleted.');
});

test('older history loads as the member scrolls up, to the start of the channel', async ({ browser, server }) => {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  await openGeneral(ada);
  const channel = /\/channel\/(\d+)/.exec(ada.url())![1];
  await postMany(ada, channel, 120);

  const grace = await signedInPage(browser, server, 'grace@example.com');
  await grace.goto(`${server.url}/channel/${channel}`);
  await hydrated(grace);
  await expect(messages(grace)).toHaveCount(50);
  await expect(messages(grace).last()).toContainText('Old news 119');
  // Scrolling to the top loads the page before, and the next, then says where it starts.
  const list = grace.locator('.message-list');
  await list.evaluate((el) => (el.scrollTop = 0));
  await expect(messages(grace)).toHaveCount(100);
  await list.evaluate((el) => (el.scrollTop = 0));
  await expect(messages(grace)).toHaveCount(120);
  await expect(grace.getByText('This is the start of the channel.')).toBeVisible();
  await expect(messages(grace).first()).toContainText('Old news 0');
});

test('a message written while the network is cut is sent once it is back, exactly once', async ({
  browser,
  server,
}) => {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const grace = await signedInPage(browser, server, 'grace@example.com');
  await openGeneral(ada);
  await openGeneral(grace);

  // The browser logs the post that could not go out; that is expected here.
  expectPageErrors(ada, /ERR_INTERNET_DISCONNECTED \(http:\/\/127\.0\.0\.1:\d+\/api\/post_message\)/);
  await ada.context().setOffline(true);
  await composer(ada).fill('Written on the train');
  await composer(ada).press('Enter');
  // It waits under the history, said to be not sent yet: nothing is lost.
  await expect(ada.getByText('Not sent yet: it goes when you are back online.')).toBeVisible();
  await expect(ada.locator('.message.pending')).toContainText('Written on the train');

  await ada.context().setOffline(false);
  await expect(ada.locator('.message.pending')).toHaveCount(0);
  await expect(messages(grace).filter({ hasText: 'Written on the train' })).toHaveCount(1);
  await expect(messages(ada).filter({ hasText: 'Written on the train' })).toHaveCount(1);
  await grace.reload();
  await hydrated(grace);
  await expect(messages(grace).filter({ hasText: 'Written on the train' })).toHaveCount(1);
});

test('search finds a message in another channel and opens its history there, newer messages following', async ({
  browser,
  server,
}) => {
  const ada = await signedInPage(browser, server, 'ada@example.com');
  const sidebar = ada.getByRole('navigation', { name: 'Channels' });
  const random = /\/channel\/(\d+)/.exec((await sidebar.getByRole('link', { name: /^random/ }).getAttribute('href'))!)![1];
  await openGeneral(ada);
  await ada.evaluate(async (channel) => {
    const body = new URLSearchParams({ channel, body: 'The quarterly numbers are in', client_key: 'numbers' });
    await fetch('/api/post_message', { method: 'POST', body });
  }, random);
  await postMany(ada, random, 80);

  const grace = await signedInPage(browser, server, 'grace@example.com');
  await grace.getByRole('searchbox', { name: 'Search messages' }).fill('quarterly numbers');
  await grace.getByRole('searchbox', { name: 'Search messages' }).press('Enter');
  const hit = grace.getByRole('list', { name: 'Messages found' }).getByRole('link');
  await expect(hit).toHaveCount(1);
  await expect(hit).toContainText('#random · Ada Lovelace');
  await hit.click();
  await expect(grace).toHaveURL(new RegExp(`/channel/${random}\\?message=\\d+$`));
  await expect(grace.locator('.message.focused')).toContainText('The quarterly numbers are in');
  await expect(grace.locator('.message.focused')).toBeInViewport();
  // Below it, newer messages load as Grace scrolls down, to the newest.
  const list = grace.locator('.message-list');
  await expect(async () => {
    await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect(messages(grace).last()).toContainText('Old news 79', { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expect(grace.getByRole('button', { name: 'Load newer messages' })).toHaveCount(0);
  // The same address opened afresh (a bookmark) shows the same.
  await grace.reload();
  await hydrated(grace);
  await expect(grace.locator('.message.focused')).toContainText('The quarterly numbers are in');
});

test("a meeting call's chat stays in the channel's history after the call, under the call's marker", async ({
  browser,
  server,
}) => {
  const grace = await signedInPage(browser, server, 'grace@example.com');
  await grace.getByRole('navigation', { name: 'Channels' }).getByRole('link', { name: /^client-calls/ }).click();
  await hydrated(grace);
  await grace.getByRole('button', { name: 'Join call' }).click();
  await expect(grace.locator('.conference')).toHaveAttribute('data-call-status', 'live', { timeout: 20_000 });
  await grace.getByRole('button', { name: 'Chat' }).click();
  await grace.getByLabel('Message', { exact: true }).fill('Agenda: pricing, then hiring');
  await grace.getByLabel('Message', { exact: true }).press('Enter');
  await expect(grace.locator('.chat-message').filter({ hasText: 'Agenda: pricing' })).toBeVisible();
  await grace.getByRole('button', { name: 'Hang up' }).click();

  // Alan, who was not in the call, reads it on the channel's page.
  const alan = await signedInPage(browser, server, 'alan@example.com');
  await alan.getByRole('navigation', { name: 'Channels' }).getByRole('link', { name: /^client-calls/ }).click();
  await hydrated(alan);
  const history = alan.getByRole('region', { name: 'Messages in client-calls' });
  await expect(history.getByRole('separator')).toContainText(/^Call on \d{4}-\d\d-\d\d/);
  await expect(history.locator('.message').filter({ hasText: 'Agenda: pricing, then hiring' })).toContainText(
    'Grace Hopper',
  );
  // And finds it by search.
  await alan.getByRole('searchbox', { name: 'Search messages' }).fill('pricing');
  await alan.getByRole('searchbox', { name: 'Search messages' }).press('Enter');
  await expect(alan.getByRole('list', { name: 'Messages found' }).getByRole('link')).toContainText('#client-calls');
});
