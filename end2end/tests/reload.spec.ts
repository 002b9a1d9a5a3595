import { test, expect, signedInPage, guestPage, hydrated, pageConsole, pageErrors, type RunningServer } from './fixtures';
import type { Browser, Locator, Page } from '@playwright/test';
import { generateLink, inviteLink, joinCall } from './steps';

// Every page by its address: each member page as each demo role, and each
// guest page as a guest, opened by its address again and again (every other
// time a reload), in Chromium and in Firefox. After every load the page
// must wake up (its WebAssembly takes over) and answer a click with
// something visible. No load may be dead, and none may report an error
// (the fixtures fail the test on those too).

/** Loads of each page, for each role, in each browser. */
const LOADS = Number(process.env.ANTEROOM_E2E_RELOADS ?? 20);
/** After this many dead loads in a row, a page's remaining loads are skipped. */
const GIVE_UP_AFTER = 3;
/** A load's wait for the page to wake up, and each check's waits. */
const WAKE_UP = 15_000;
const ANSWER = 10_000;

type Member = { first: string; email: string; fullName: string; admin: boolean };
const MEMBERS: Member[] = [
  { first: 'Ada', email: 'ada@example.com', fullName: 'Ada Lovelace', admin: true },
  { first: 'Grace', email: 'grace@example.com', fullName: 'Grace Hopper', admin: false },
  { first: 'Alan', email: 'alan@example.com', fullName: 'Alan Turing', admin: false },
];

/** A page by its address, and how to tell it answers. */
type Address = { name: string; url: string; answers: (page: Page) => Promise<void> };

/** What the demo workspace's pages are called, found once per test:
 * channel and inbox ids from Grace's sidebar, the guest links, and a call
 * that ended in client-calls (so its Past calls list one). */
type Demo = {
  channels: Record<'client-calls' | 'interviews' | 'general', string>;
  inboxes: Record<'Sales' | 'Support', string>;
  roomLink: string;
  channelLink: string;
};

async function demoAddresses(browser: Browser, server: RunningServer): Promise<Demo> {
  const grace = await signedInPage(browser, server, 'grace@example.com');
  const href = async (list: Locator, name: RegExp | string) =>
    `${server.url}${await list.getByRole('link', { name }).getAttribute('href')}`;
  const sidebar = grace.getByRole('navigation', { name: 'Channels' });
  const inboxes = grace.getByRole('list', { name: 'Inboxes' });
  const demo = {
    channels: {
      'client-calls': await href(sidebar, /^client-calls/),
      interviews: await href(sidebar, /^interviews/),
      general: await href(sidebar, /^general/),
    },
    inboxes: { Sales: await href(inboxes, 'Sales'), Support: await href(inboxes, 'Support') },
  };
  const { link: channelLink } = await generateLink(grace, 'client-calls');
  await grace.keyboard.press('Escape');
  await joinCall(grace);
  await grace.getByRole('button', { name: 'Hang up' }).click();
  await expect(grace.getByRole('button', { name: 'Join call' })).toBeVisible();
  // The call's record is written just after it ends.
  await expect(async () => {
    await grace.reload();
    await hydrated(grace);
    await expect(grace.locator('.past-call')).toHaveCount(1, { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });

  await grace.goto(`${server.url}/office`);
  await hydrated(grace);
  const roomLink = await inviteLink(grace, 'Design Review');
  await grace.keyboard.press('Escape');
  await grace.getByRole('button', { name: 'Hang up' }).click();
  await expect(grace.getByRole('button', { name: 'Enter Design Review' })).toBeVisible();
  await grace.context().close();
  return { ...demo, roomLink, channelLink };
}

/** Clicks a link of the app's router and checks that the app, not the
 * browser, followed it: the document is the same one. */
async function followsLinkInPlace(page: Page, link: Locator, heading: string) {
  await page.evaluate(() => ((window as any).__sameDocument = true));
  await link.click();
  await expect(page.getByRole('heading', { name: heading, level: 1 })).toBeVisible({ timeout: ANSWER });
  expect(await page.evaluate(() => (window as any).__sameDocument), 'the router followed the link without a reload').toBe(true);
}

function memberAddresses(server: RunningServer, demo: Demo, member: Member): Address[] {
  const settingsTitle = member.admin ? 'Workspace settings' : 'Members';
  const channelDetails = async (page: Page, channel: string) => {
    await page.getByRole('button', { name: `Details of ${channel}` }).click();
    const details = page.getByRole('dialog');
    await expect(details.getByRole('tab', { name: 'About' })).toHaveAttribute('aria-selected', 'true', { timeout: ANSWER });
    await details.getByRole('tab', { name: 'External Link' }).click();
    await expect(details.getByRole('tab', { name: 'External Link' })).toHaveAttribute('aria-selected', 'true', { timeout: ANSWER });
  };
  const inboxOverview = async (page: Page, inbox: string) => {
    await page.getByRole('button', { name: inbox, exact: true }).click();
    const overview = page.getByRole('dialog', { name: inbox });
    await overview.getByRole('tab', { name: 'Members' }).click();
    await expect(overview.getByRole('tab', { name: 'Members' })).toHaveAttribute('aria-selected', 'true', { timeout: ANSWER });
  };
  return [
    {
      name: 'the office',
      url: `${server.url}/office`,
      answers: async (page) => {
        await page.getByRole('button', { name: 'Build mode' }).click();
        await expect(page.getByRole('toolbar', { name: 'Build mode' })).toBeVisible({ timeout: ANSWER });
      },
    },
    {
      name: 'client-calls and its past call',
      url: demo.channels['client-calls'],
      answers: async (page) => {
        // Past calls are drawn once the page has woken up; opening one loads it.
        const past = page.getByRole('region', { name: 'Past calls' });
        await past.locator('.past-call summary').click({ timeout: ANSWER });
        await expect(past.getByText('Nobody wrote in the chat.')).toBeVisible({ timeout: ANSWER });
        await channelDetails(page, 'client-calls');
      },
    },
    {
      name: 'interviews',
      url: demo.channels.interviews,
      answers: async (page) => {
        await expect(page.getByText('No call has ended in this channel yet.')).toBeVisible({ timeout: ANSWER });
        await channelDetails(page, 'interviews');
      },
    },
    {
      name: 'general (a text channel)',
      url: demo.channels.general,
      answers: async (page) => {
        // Send with nothing written: the page answers, the server is not asked.
        await page.getByRole('button', { name: 'Send' }).click();
        await expect(page.getByText('Write something before sending.')).toBeVisible({ timeout: ANSWER });
      },
    },
    { name: 'the Sales inbox', url: demo.inboxes.Sales, answers: (page) => inboxOverview(page, 'Sales') },
    { name: 'the Support inbox', url: demo.inboxes.Support, answers: (page) => inboxOverview(page, 'Support') },
    {
      name: 'workspace settings',
      url: `${server.url}/settings/workspace`,
      answers: async (page) => {
        const sections = member.admin ? ['Members', 'Teams', 'Office', 'Channels', 'Inbox'] : ['Members', 'Teams'];
        for (const name of sections) {
          await expect(page.getByRole('region', { name, exact: true })).toBeVisible({ timeout: ANSWER });
        }
        if (member.admin) {
          // A click in each section that has one that changes nothing on the server.
          const teams = page.getByRole('region', { name: 'Teams', exact: true });
          await teams.getByRole('button', { name: 'Rename Design' }).click();
          await expect(teams.getByLabel('New name for Design')).toHaveValue('Design', { timeout: ANSWER });
          const channels = page.getByRole('region', { name: 'Channels', exact: true });
          await channels.getByRole('button', { name: 'Rename client-calls' }).click();
          await expect(channels.getByLabel('New name for client-calls')).toHaveValue('client-calls', { timeout: ANSWER });
          const inboxes = page.getByRole('region', { name: 'Inbox', exact: true });
          await inboxes.getByRole('button', { name: 'Delete Sales' }).click();
          await inboxes.getByRole('button', { name: 'Keep it' }).click({ timeout: ANSWER });
          await expect(inboxes.getByRole('button', { name: 'Delete Sales' })).toBeVisible({ timeout: ANSWER });
        } else {
          await expect(page.getByText('Only workspace admins can add members.')).toBeVisible({ timeout: ANSWER });
        }
        await followsLinkInPlace(page, page.getByRole('banner').getByRole('link', { name: new RegExp(member.fullName) }), 'Your account');
      },
    },
    {
      name: 'account settings',
      url: `${server.url}/settings/account`,
      answers: async (page) => {
        await expect(page.getByText(`Signed in as ${member.fullName} (${member.email}).`)).toBeVisible({ timeout: ANSWER });
        await followsLinkInPlace(page, page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: settingsTitle, exact: true }), settingsTitle);
      },
    },
  ];
}

function guestAddresses(demo: Demo): Address[] {
  const lobby = (heading: string) => async (page: Page) => {
    await expect(page.getByRole('heading', { name: heading, level: 1 })).toBeVisible({ timeout: ANSWER });
    await page.getByRole('button', { name: 'Turn camera off' }).click();
    await expect(page.getByText('Camera is off')).toBeVisible({ timeout: ANSWER });
    await page.getByRole('button', { name: 'Turn camera on' }).click();
    await expect(page.getByText('Camera is off')).toBeHidden({ timeout: ANSWER });
  };
  return [
    { name: 'a room invite link (Design Review)', url: demo.roomLink, answers: lobby('Design Review') },
    { name: "a meeting channel's external link (client-calls)", url: demo.channelLink, answers: lobby('client-calls') },
  ];
}

/** Loads each address LOADS times in `page` and checks it answers each
 * time; returns what went wrong, one entry per bad load, with the page's
 * console during that load. */
async function loadEach(page: Page, who: string, addresses: Address[]): Promise<string[]> {
  const problems: string[] = [];
  for (const address of addresses) {
    let deadInARow = 0;
    for (let load = 1; load <= LOADS; load++) {
      const logFrom = pageConsole(page).length;
      const errorsFrom = pageErrors(page).length;
      let failure: string | undefined;
      try {
        // Every other load is a reload of the page as it stands.
        if (load % 2 === 0 && page.url() === address.url) await page.reload();
        else await page.goto(address.url);
        await page.waitForFunction(() => (window as any).__anteroomHydrated === true, null, { timeout: WAKE_UP });
        await address.answers(page);
      } catch (error) {
        failure = String((error as Error).message ?? error).split('\n').slice(0, 6).join('\n    ');
      }
      const errors = pageErrors(page).slice(errorsFrom);
      if (failure || errors.length) {
        const what = failure ? `dead: ${failure}` : `errors: ${errors.join('; ')}`;
        problems.push(
          [`${who}, ${address.name} (${address.url}), load ${load} of ${LOADS}: ${what}`,
            '  console during that load:',
            ...pageConsole(page).slice(logFrom).map((line) => `    ${line}`)].join('\n'),
        );
      }
      deadInARow = failure ? deadInARow + 1 : 0;
      if (deadInARow === GIVE_UP_AFTER) {
        problems.push(`${who}, ${address.name}: gave up after ${GIVE_UP_AFTER} dead loads in a row`);
        break;
      }
    }
  }
  return problems;
}

async function everyPage(engine: Browser, chromium: Browser, server: RunningServer) {
  // Each load takes about half a second to a second; a dead one up to 25 s.
  test.setTimeout(120_000 + LOADS * (MEMBERS.length * 7 + 2) * 4_000);
  const demo = await demoAddresses(chromium, server);
  const problems: string[] = [];
  let loads = 0;
  const started = Date.now();
  for (const member of MEMBERS) {
    const page = await signedInPage(engine, server, member.email);
    const addresses = memberAddresses(server, demo, member);
    problems.push(...(await loadEach(page, member.first, addresses)));
    loads += addresses.length * LOADS;
    await page.context().close();
  }
  const guest = await guestPage(engine);
  const addresses = guestAddresses(demo);
  problems.push(...(await loadEach(guest, 'a guest', addresses)));
  loads += addresses.length * LOADS;
  console.log(`${loads} loads in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (problems.length) throw new Error(`Of ${loads} loads, these went wrong:\n\n${problems.join('\n\n')}`);
}

test('every page, by its address, wakes up and answers a click after each load, in Chromium', async ({ browser, server }) => {
  await everyPage(browser, browser, server);
});

test('every page, by its address, wakes up and answers a click after each load, in Firefox', async ({ browser, firefox, server }) => {
  await everyPage(firefox, browser, server);
});
