import {
  test,
  expect,
  hydrated,
  signIn,
  guestPage,
  expectPageErrors,
  expectServerErrors,
  pageErrors,
  serverErrors,
  unexpectedErrors,
} from './fixtures';
import { execFileSync } from 'node:child_process';

// The fixtures' watch on errors (fixtures.ts), shown at work on real pages
// and a real server: each test causes errors on purpose and checks that the
// watch caught them, as what the test would fail with (`unexpectedErrors`
// is what the fixture fails a test with when it ends). Declared expected,
// they no longer count. If the watch stopped seeing errors, these fail.

test('an uncaught error, a panic and a dropped closure on a page fail the test unless it expects them', async ({ page, server }) => {
  await page.goto(`${server.url}/signin`);
  await hydrated(page);
  expect(unexpectedErrors()).toEqual([]);

  await page.evaluate(() => {
    setTimeout(() => {
      throw new Error('deliberate uncaught error');
    });
    // What the WebAssembly panic hook prints, and wasm-bindgen's message for
    // a dropped closure (counted even when not logged as an error).
    console.error('panicked at app/src/lib.rs:1:1:\ndeliberate panic');
    console.warn('Error: closure invoked recursively or after being dropped (deliberate)');
  });
  await expect
    .poll(unexpectedErrors)
    .toEqual([
      expect.stringMatching(/^Chromium page \d+: console\.error: panicked at app\/src\/lib\.rs:1:1:\ndeliberate panic/),
      expect.stringMatching(/^Chromium page \d+: console\.warning: Error: closure invoked recursively or after being dropped \(deliberate\)/),
      expect.stringMatching(/^Chromium page \d+: uncaught Error: deliberate uncaught error$/),
    ]);

  expectPageErrors(page, /deliberate panic|closure invoked .*\(deliberate\)/);
  expect(unexpectedErrors()).toEqual([expect.stringContaining('deliberate uncaught error')]);
  expectPageErrors(page, /^uncaught Error: deliberate uncaught error$/);
  expect(unexpectedErrors()).toEqual([]);
  expect(pageErrors(page)).toHaveLength(3);
});

test('the same in Firefox, on a page of a context made on the firefox fixture', async ({ firefox, server }) => {
  const guest = await guestPage(firefox);
  await guest.goto(`${server.url}/signin`);
  await hydrated(guest);
  await guest.evaluate(() => {
    setTimeout(() => {
      throw new Error('deliberate uncaught error');
    });
  });
  await expect.poll(unexpectedErrors).toEqual([expect.stringMatching(/^Firefox page \d+: uncaught Error: deliberate uncaught error$/)]);
  expectPageErrors(guest.context(), /deliberate uncaught error/);
  expect(unexpectedErrors()).toEqual([]);
});

test('an ERROR line in the server log fails the test unless it expects it', async ({ page, server }) => {
  await signIn(page, server, 'ada@example.com');
  // The teams table gone, the settings page's list of teams fails on the server.
  execFileSync('sqlite3', [server.databasePath, 'ALTER TABLE teams RENAME TO teams_gone']);
  await page.goto(`${server.url}/settings/workspace`);
  await expect(page.getByRole('region', { name: 'Teams' })).toContainText('Something went wrong on the server');
  await expect.poll(() => serverErrors(server)).toContainEqual(expect.stringMatching(/ ERROR .*database error.*no such table: teams/));
  expect(unexpectedErrors()).toContainEqual(expect.stringMatching(/^server http:\S+: \S+ ERROR .*no such table: teams/));

  expectServerErrors(server, /ERROR .*database error.*no such table: teams/);
  // Chromium reports the failed request too.
  expectPageErrors(page, /status of 500 .*\/api\/list_teams\)$/);
  expect(unexpectedErrors()).toEqual([]);
});

test('an unexpected page error fails the test when it ends (this test is expected to fail)', async ({ page, server }) => {
  // The fixture fails this test as it ends: test.fail() turns that into a
  // pass. Were the error not caught, the test would pass, and so fail.
  test.fail();
  await page.goto(`${server.url}/signin`);
  await hydrated(page);
  await page.evaluate(() => setTimeout(() => {
    throw new Error('deliberate uncaught error, not expected');
  }));
  await expect.poll(() => pageErrors(page)).toEqual(['uncaught Error: deliberate uncaught error, not expected']);
});
