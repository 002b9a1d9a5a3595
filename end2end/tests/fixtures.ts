import {
  test as base,
  expect,
  firefox as firefoxEngine,
  type Browser,
  type BrowserContext,
  type Page,
  type TestInfo,
} from '@playwright/test';
import { firefoxPrefs } from '../playwright.config';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A real Anteroom server started for one test, with its own database file. */
export type RunningServer = { url: string; databasePath: string; outbox: string; dataDir: string };

const repoRoot = path.resolve(__dirname, '..', '..');

/** The release build that scripts/run serves, unless ANTEROOM_SERVER_BIN names another. */
function serverBinary(): string {
  const fromEnv = process.env.ANTEROOM_SERVER_BIN;
  if (fromEnv) return fromEnv;
  const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(repoRoot, 'target');
  return path.join(targetDir, 'release', 'anteroom-server');
}

/** Starts a server with its own database; inside network namespace
 * `netns` when given (`ip netns exec` execs it, so the child is the server).
 * Its log is read for ERROR lines and panics while it runs: the test that
 * is running when one appears fails (see `expectServerErrors`). */
export async function startServer(
  demo: boolean,
  netns?: string,
  extraEnv: Record<string, string> = {},
): Promise<{ server: RunningServer; child: ChildProcess; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anteroom-e2e-'));
  const databasePath = path.join(dir, 'anteroom.db');
  const outbox = path.join(dir, 'outbox');
  const [command, args] = netns ? ['ip', ['netns', 'exec', netns, serverBinary()]] : [serverBinary(), []];
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      ANTEROOM_LISTEN: '127.0.0.1:0',
      DATABASE_URL: `sqlite://${databasePath}`,
      ANTEROOM_DEMO_DATA: String(demo),
      ANTEROOM_MAIL_OUTBOX: outbox,
      // Call recordings and the speech worker's script stay in the test's folder.
      ANTEROOM_DATA_DIR: path.join(dir, 'data'),
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? path.join(repoRoot, 'target', 'site'),
      RUST_LOG: process.env.ANTEROOM_E2E_LOG ?? 'warn',
      ...extraEnv,
    },
    // stderr is read too (for panics), and passed on as before.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = watchServerLog(child, netns ? `server in ${netns}` : 'server');
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      // Asked for a log (ANTEROOM_E2E_LOG=debug, say): show it.
      if (process.env.ANTEROOM_E2E_LOG) process.stdout.write(chunk);
      seen += chunk.toString();
      const match = seen.match(/listening on (http:\/\/\S+)/);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`anteroom-server exited with ${code} before listening:\n${seen}`)));
    child.on('error', reject);
  });
  log.label = `${log.label} ${url}`;
  const server = { url, databasePath, outbox, dataDir: path.join(dir, 'data') };
  serverLogs.set(server, log);
  return { server, child, dir };
}

/** A PulseAudio server with one null sink, for Firefox. Firefox runs Web
 * Audio (the microphone level meter) only while it has a sound output; a
 * machine with speakers has one, a headless test machine does not, and its
 * AudioContext would stay suspended for good. Mozilla's own CI does the same. */
async function startSoundServer(): Promise<{ address: string; stop: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anteroom-sound-'));
  const socket = path.join(dir, 'native');
  const child = spawn(
    'pulseaudio',
    [
      '--daemonize=no', '--exit-idle-time=-1', '--use-pid-file=no', '--disable-shm', '-n',
      '--load=module-null-sink sink_name=anteroom_null',
      `--load=module-native-protocol-unix socket=${socket} auth-anonymous=1`,
    ],
    { env: { ...process.env, HOME: dir, PULSE_RUNTIME_PATH: dir }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The socket appears once the server accepts clients.
  await expect
    .poll(() => fs.existsSync(socket) || child.exitCode !== null, { timeout: 10_000, intervals: [50] })
    .toBe(true);
  if (child.exitCode !== null) throw new Error(`pulseaudio exited with ${child.exitCode}:\n${log}`);
  return {
    address: `unix:${socket}`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const DEMO_PASSWORD = 'anteroom-demo';

// ---------------------------------------------------------------------------
// No error goes unnoticed: every page a test opens (the `page` fixture's, the
// helpers', any context made on `browser`, `firefox` or a browser the test
// launched and passed to `watchBrowser`) is watched for uncaught errors and
// for console messages reporting one (console.error, the WebAssembly panic
// hook's "panicked at", a trap, a dropped closure called); every server from
// `startServer` is read for ERROR lines and panics. Any of these fails the
// test that was running, with the page's console in the message, unless the
// test said it expects it: `expectPageErrors(page, /pattern/)`,
// `expectServerErrors(server, /pattern/)`.

/** Console text that reports a fault whatever the message's type: the panic
 * hook's output, a WebAssembly trap, a wasm-bindgen closure called after it
 * was dropped. */
const FAULT = /panicked at|RuntimeError: unreachable|closure invoked (?:recursively or )?after being dropped/;

/** What browsers report on their own, for every test. Keep this list short
 * and each entry narrow, with the reason; a test that provokes an error on
 * purpose says so itself (`expectPageErrors`). */
const BENIGN: { pattern: RegExp; why: string }[] = [
  {
    // A server function answers a person's mistake (a bad field, a wrong
    // password, a name taken, too many attempts, a page that is gone) with
    // a 4xx status and a message the page shows; Chromium logs every such
    // answer as a failed resource. A 5xx still counts, and the server logs
    // an ERROR for it too.
    pattern: /^console\.error: Failed to load resource: the server responded with a status of 4\d\d /,
    why: "a person's mistake, answered and shown by the page",
  },
  {
    // An HTML email is shown in a frame sandboxed without scripts; Chromium
    // reports each script it keeps from running there (Playwright's own
    // probes when a test reads the frame, among them). The sandbox at work.
    pattern: /^console\.error: Blocked script execution in 'about:srcdoc' because the document's frame is sandboxed and the 'allow-scripts' permission is not set\.(?: \(about:srcdoc\))?$/,
    why: 'the sandbox of an HTML email at work',
  },
];

/** One page's console, and the errors among it. */
type PageWatch = {
  page: Page;
  label: string;
  context: BrowserContext;
  since: number;
  /** Every console message, uncaught error and navigation, in order. */
  log: string[];
  /** The errors, one line each as `expectPageErrors` patterns see them,
   * with where each is in the log. */
  errors: { line: string; at: number }[];
  allowed: RegExp[];
};

/** One server's log: its last lines, and the ERROR lines with the test that
 * was running when each appeared. */
type ServerLog = {
  label: string;
  tail: string[];
  errors: { line: string; test?: TestWatch }[];
};

/** What the running test has opened, and what it said it expects. */
type TestWatch = {
  pages: PageWatch[];
  contextAllowances: Map<BrowserContext, RegExp[]>;
  servers: Set<ServerLog>;
  serverAllowances: Map<ServerLog, RegExp[]>;
};

let running: TestWatch | undefined;
const pageWatches = new WeakMap<Page, PageWatch>();
const watchedContexts = new WeakSet<BrowserContext>();
const watchedBrowsers = new WeakSet<Browser>();
const serverLogs = new WeakMap<RunningServer, ServerLog>();
let pagesOpened = 0;

function engineOf(context: BrowserContext): string {
  const name = context.browser()?.browserType().name() ?? 'browser';
  return /firefox/i.test(name) ? 'Firefox' : name === 'chromium' ? 'Chromium' : name;
}

function watchPage(page: Page, context: BrowserContext) {
  if (pageWatches.has(page)) return;
  const watch: PageWatch = {
    page,
    label: `${engineOf(context)} page ${++pagesOpened}`,
    context,
    since: Date.now(),
    log: [],
    errors: [],
    allowed: [],
  };
  pageWatches.set(page, watch);
  running?.pages.push(watch);
  const note = (line: string) => watch.log.push(`${((Date.now() - watch.since) / 1000).toFixed(3)}s ${line}`);
  const error = (line: string) => watch.errors.push({ line, at: watch.log.length - 1 });
  page.on('console', (message) => {
    const { url, lineNumber } = message.location();
    const line = `console.${message.type()}: ${message.text()}${url ? ` (${url}${lineNumber ? `:${lineNumber}` : ''})` : ''}`;
    note(line);
    if (message.type() === 'error' || message.type() === 'assert' || FAULT.test(message.text())) error(line);
  });
  page.on('pageerror', (thrown) => {
    const line = `uncaught ${thrown.name}: ${thrown.message}`;
    note(thrown.stack && thrown.stack.includes(thrown.message) ? `uncaught ${thrown.stack}` : line);
    error(line);
  });
  page.on('crash', () => {
    note('the page crashed');
    error('the page crashed');
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) note(`navigated to ${frame.url()}`);
  });
}

/** Watches every page of `context`, now and later (the fixtures do this for
 * every context made on `browser` and `firefox`). */
export function watchContext(context: BrowserContext) {
  if (watchedContexts.has(context)) return;
  watchedContexts.add(context);
  context.on('page', (page) => watchPage(page, context));
  for (const page of context.pages()) watchPage(page, context);
}

/** Watches every context made on `browser` from now on: for a browser a test
 * launches itself (`browser` and `firefox` are watched already). */
export function watchBrowser<B extends Browser>(browser: B): B {
  if (watchedBrowsers.has(browser)) return browser;
  watchedBrowsers.add(browser);
  const newContext = browser.newContext.bind(browser);
  // `browser.newPage` makes its context through this too.
  browser.newContext = async (...args: Parameters<Browser['newContext']>) => {
    const context = await newContext(...args);
    watchContext(context);
    return context;
  };
  return browser;
}

function watchOf(page: Page): PageWatch {
  const watch = pageWatches.get(page);
  if (!watch) throw new Error(`${page.url()} is not watched: make its context on a watched browser, or call watchContext`);
  return watch;
}

/** Lets errors matching `pattern` pass on `target` (a page, or every page of
 * a context) for the rest of the test: for a test that provokes one on
 * purpose. The pattern is matched against lines as `pageErrors` lists them:
 * `uncaught Error: message` for an uncaught error, and
 * `console.error: text (url:line)` for a console message, where Chromium's
 * failed requests read `Failed to load resource: the server responded with a
 * status of 404 (Not Found) (http://127.0.0.1:…/api/inbox_overview)`. Make
 * it as narrow as the test allows: status and address, not just "error". */
export function expectPageErrors(target: Page | BrowserContext, pattern: RegExp) {
  if ('goto' in target) {
    watchOf(target).allowed.push(pattern);
  } else {
    if (!running) throw new Error('expectPageErrors outside a test');
    const list = running.contextAllowances.get(target) ?? [];
    list.push(pattern);
    running.contextAllowances.set(target, list);
  }
}

/** Every error `page` has reported so far, allowed or not. */
export function pageErrors(page: Page): string[] {
  return watchOf(page).errors.map((error) => error.line);
}

/** Everything `page` logged so far (console, uncaught errors, navigations). */
export function pageConsole(page: Page): string[] {
  return [...watchOf(page).log];
}

/** Adds a line to `page`'s console log as the test output shows it, to
 * tell where in a long test a message came from. */
export function noteInConsole(page: Page, text: string) {
  const watch = watchOf(page);
  watch.log.push(`${((Date.now() - watch.since) / 1000).toFixed(3)}s ── ${text}`);
}

function logOf(server: RunningServer): ServerLog {
  const log = serverLogs.get(server);
  if (!log) throw new Error(`${server.url} was not started by startServer`);
  return log;
}

/** Lets server ERROR lines (or panics) matching `pattern` pass for the rest
 * of the test: for a test that provokes one on purpose. Lines are matched
 * without their colour codes, e.g.
 * `2026-01-05T10:00:00.000000Z ERROR anteroom_app::ssr: database error error=…`. */
export function expectServerErrors(server: RunningServer, pattern: RegExp) {
  if (!running) throw new Error('expectServerErrors outside a test');
  const log = logOf(server);
  const list = running.serverAllowances.get(log) ?? [];
  list.push(pattern);
  running.serverAllowances.set(log, list);
}

/** Every ERROR line (and panic) of `server` so far, allowed or not. */
export function serverErrors(server: RunningServer): string[] {
  return logOf(server).errors.map((error) => error.line);
}

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
/** A tracing line at ERROR level: `<time> ERROR target: message`, or without the time. */
const ERROR_LINE = /^(?:\S+\s+)?ERROR\s/;
const LOG_TAIL = 200;
/** Servers `stopServer` is stopping: their exit is no error. */
const stopping = new WeakSet<ChildProcess>();

function watchServerLog(child: ChildProcess, label: string): ServerLog {
  const log: ServerLog = { label, tail: [], errors: [] };
  running?.servers.add(log);
  // Counted against the test running when it appears (a server started
  // before the test, too).
  const noteError = (line: string) => {
    log.errors.push({ line, test: running });
    running?.servers.add(log);
  };
  const read = (stream: NodeJS.ReadableStream, isError: (line: string) => boolean) => {
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const raw of lines) {
        const line = raw.replace(ANSI, '').trimEnd();
        log.tail.push(line);
        if (log.tail.length > LOG_TAIL) log.tail.shift();
        if (isError(line)) noteError(line);
      }
    });
  };
  read(child.stdout!, (line) => ERROR_LINE.test(line.trimStart()));
  // A panic in a server task prints to stderr, and only there.
  read(child.stderr!, (line) => /panicked at/.test(line));
  child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  child.on('exit', (code, signal) => {
    if (!stopping.has(child)) noteError(`the server exited by itself (code ${code}, signal ${signal})`);
  });
  return log;
}

/** Lets the pages' last events reach the runner: an error thrown just as the
 * test ended is counted with it. */
async function settle(pages: Page[]) {
  await Promise.all(
    pages
      .filter((page) => !page.isClosed())
      .map((page) =>
        Promise.race([
          page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0))).catch(() => {}),
          new Promise((resolve) => setTimeout(resolve, 1_000)),
        ]),
      ),
  );
}

/** Closes every page the running test opened, once its last events are in. */
async function closeTestPages() {
  const pages = (running?.pages ?? []).map((watch) => watch.page).filter((page) => !page.isClosed());
  await settle(pages);
  await Promise.all(pages.map((page) => page.close().catch(() => {})));
}

/** What the running test would fail with now: each unexpected error, with
 * where it came from. */
export function unexpectedErrors(): string[] {
  if (!running) return [];
  return [...unexpectedPageErrors(running).flatMap(({ watch, errors }) => errors.map((e) => `${watch.label}: ${e.line}`)),
    ...unexpectedServerErrors(running).map(({ log, line }) => `${log.label}: ${line}`)];
}

function matches(line: string, patterns: RegExp[]) {
  // search() ignores a /g pattern's lastIndex.
  return patterns.some((pattern) => line.search(pattern) !== -1);
}

function unexpectedPageErrors(test: TestWatch) {
  return test.pages
    .map((watch) => {
      const allowed = [...watch.allowed, ...(test.contextAllowances.get(watch.context) ?? []), ...BENIGN.map((b) => b.pattern)];
      return { watch, errors: watch.errors.filter(({ line }) => !matches(line, allowed)) };
    })
    .filter(({ errors }) => errors.length > 0);
}

function unexpectedServerErrors(test: TestWatch) {
  const found: { log: ServerLog; line: string }[] = [];
  for (const log of test.servers) {
    const allowed = test.serverAllowances.get(log) ?? [];
    for (const error of log.errors) {
      if (error.test === test && !matches(error.line, allowed)) found.push({ log, line: error.line });
    }
  }
  return found;
}

const TAIL_IN_MESSAGE = 60;

/** The page's console for a failure message: all of it when short, else
 * the lines before and after the first few unexpected errors, and its end. */
function consoleAround(watch: PageWatch, errors: { at: number }[]): string[] {
  const title = `Console of ${watch.label}`;
  if (watch.log.length <= TAIL_IN_MESSAGE) return [`${title}:`, ...watch.log.map((line) => `  ${line}`)];
  const shown = new Set<number>();
  for (const { at } of errors.slice(0, 3)) {
    for (let i = Math.max(0, at - 15); i <= Math.min(watch.log.length - 1, at + 5); i++) shown.add(i);
  }
  for (let i = watch.log.length - 20; i < watch.log.length; i++) shown.add(i);
  const lines = [`${title} (${shown.size} of its ${watch.log.length} lines):`];
  let last = -1;
  for (const i of [...shown].sort((a, b) => a - b)) {
    if (i !== last + 1) lines.push('  …');
    lines.push(`  ${watch.log[i]}`);
    last = i;
  }
  return lines;
}

async function verdict(test: TestWatch, testInfo: TestInfo) {
  const pages = unexpectedPageErrors(test);
  const servers = unexpectedServerErrors(test);
  const failed = testInfo.status !== testInfo.expectedStatus;
  // The full consoles go with a failed test, as attachments.
  if (failed || pages.length || servers.length) {
    for (const watch of test.pages) {
      if (watch.log.length === 0) continue;
      await testInfo.attach(`console of ${watch.label}`, { body: watch.log.join('\n'), contentType: 'text/plain' });
    }
    for (const log of test.servers) {
      if (log.tail.length === 0) continue;
      await testInfo.attach(`log of ${log.label}`, { body: log.tail.join('\n'), contentType: 'text/plain' });
    }
  }
  if (pages.length === 0 && servers.length === 0) return;
  const parts: string[] = [];
  if (pages.length) {
    parts.push('Pages reported errors the test did not expect (expectPageErrors lets one pass):');
    for (const { watch, errors } of pages) parts.push(...errors.map((e) => `  ${watch.label}: ${e.line}`));
  }
  if (servers.length) {
    parts.push('The server logged errors the test did not expect (expectServerErrors lets one pass):');
    parts.push(...servers.map(({ log, line }) => `  ${log.label}: ${line}`));
  }
  for (const { watch, errors } of pages) parts.push('', ...consoleAround(watch, errors));
  for (const log of new Set(servers.map(({ log }) => log))) {
    const shown = log.tail.slice(-TAIL_IN_MESSAGE);
    parts.push('', `Last ${shown.length} lines of the log of ${log.label}:`, ...shown.map((line) => `  ${line}`));
  }
  throw new Error(parts.join('\n'));
}

/** Browser contexts the helpers below opened for the running test. */
const openContexts = new Set<BrowserContext>();

export const test = base.extend<
  { demo: boolean; serverEnv: Record<string, string>; server: RunningServer; closeContexts: void; errorWatch: void },
  { firefox: Browser }
>({
  // Every context made on the default Chromium is watched for errors.
  browser: [
    async ({ browser }, use) => {
      await use(watchBrowser(browser));
    },
    { scope: 'worker' },
  ],
  // Debian's Firefox ESR, driven over WebDriver BiDi: guests arrive with
  // whatever browser they have, so their stories run in a second engine too.
  // Started once per worker, and only by the tests that ask for it.
  firefox: [
    async ({}, use) => {
      const sound = await startSoundServer();
      const browser = await firefoxEngine.launch({
        channel: 'moz-firefox',
        executablePath: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr',
        firefoxUserPrefs: firefoxPrefs,
        env: { ...process.env, PULSE_SERVER: sound.address },
      });
      await use(watchBrowser(browser));
      await browser.close();
      await sound.stop();
    },
    { scope: 'worker' },
  ],
  demo: [true, { option: true }],
  // Settings of the test's server beyond the defaults (`test.use`).
  serverEnv: [{}, { option: true }],
  // Set up first and torn down last: the fixtures that close contexts and
  // stop servers depend on it, so what happens while they do still counts.
  errorWatch: [
    async ({}, use, testInfo) => {
      const test: TestWatch = { pages: [], contextAllowances: new Map(), servers: new Set(), serverAllowances: new Map() };
      running = test;
      try {
        await use();
        await verdict(test, testInfo);
      } finally {
        running = undefined;
      }
    },
    { auto: true },
  ],
  // The default context: watched like the others (the page fixture's page is
  // in it), and its pages settled before it closes.
  context: async ({ context, errorWatch }, use) => {
    watchContext(context);
    await use(context);
    await settle(context.pages());
  },
  // Contexts opened by hand outlive a test unless closed; left open, their
  // cameras and sockets would load the machine for every later test.
  closeContexts: [
    async ({ errorWatch }, use) => {
      await use();
      await settle([...openContexts].filter((c) => c.browser()?.isConnected() !== false).flatMap((c) => c.pages()));
      for (const context of openContexts) {
        // A test that launched a browser of its own has closed it, and its contexts.
        if (context.browser()?.isConnected() === false) continue;
        await context.close();
      }
      openContexts.clear();
    },
    { auto: true },
  ],
  server: async ({ demo, serverEnv, errorWatch }, use) => {
    const started = await startServer(demo, undefined, serverEnv);
    await use(started.server);
    // The test's pages go first: left open, they would see their server go
    // away (sockets reset, reconnect attempts) and report it.
    await closeTestPages();
    await stopServer(started);
  },
});

export { expect };

/** Stops a server from `startServer` and removes its files. What it logs
 * while stopping still counts against the running test. */
export async function stopServer({ child, dir }: { child: ChildProcess; dir: string }) {
  if (child.exitCode === null && child.signalCode === null) {
    const closed = new Promise((resolve) => child.once('close', resolve));
    stopping.add(child);
    child.kill('SIGTERM');
    // Its last lines are read once its output closes (a worker it started
    // may hold that open a little longer).
    await Promise.race([closed, new Promise((resolve) => child.once('exit', () => setTimeout(resolve, 1_000)))]);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Waits until the page's WebAssembly has taken over, so clicks reach Rust handlers. */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => (window as any).__anteroomHydrated === true);
}

/** Signs `page` in through the sign-in form and waits for the office. */
export async function signIn(page: Page, server: RunningServer, email: string, password = DEMO_PASSWORD) {
  await page.goto(`${server.url}/signin`);
  await hydrated(page);
  await page.getByLabel('Email address', { exact: true }).fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/office$/);
  await hydrated(page);
}

/** Records every RTCPeerConnection and WebSocket the page creates
 * (`window.__pcs`, `window.__sockets`), so a test can read real receive
 * statistics (frames decoded, audio energy) and cut a connection. */
async function recordConnections(context: BrowserContext) {
  await context.addInitScript(() => {
    const Original = window.RTCPeerConnection;
    (window as any).__pcs = [];
    const Recording = function (this: unknown, ...args: ConstructorParameters<typeof RTCPeerConnection>) {
      const pc = new Original(...args);
      (window as any).__pcs.push(pc);
      return pc;
    } as unknown as typeof RTCPeerConnection;
    Recording.prototype = Original.prototype;
    (window as any).RTCPeerConnection = Recording;
    // Websockets too, so a test can cut one as a network failure would.
    const OriginalSocket = window.WebSocket;
    (window as any).__sockets = [];
    const RecordingSocket = function (this: unknown, url: string | URL, protocols?: string | string[]) {
      const socket = new OriginalSocket(url, protocols);
      (window as any).__sockets.push(socket);
      return socket;
    } as unknown as typeof WebSocket;
    RecordingSocket.prototype = OriginalSocket.prototype;
    Object.assign(RecordingSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
    (window as any).WebSocket = RecordingSocket;
  });
}

export type Inbound = { kind: string; trackIdentifier: string; framesDecoded: number; bytesReceived: number; totalAudioEnergy: number };

/** Receive statistics of every open peer connection of the page. A
 * `getStats` that does not answer within 3 s is an error, so that a poll
 * retries it and fails with a message, instead of waiting for the whole
 * test's timeout (Firefox once left one unanswered after a rejoin). */
export async function inboundMedia(page: Page): Promise<Inbound[]> {
  return page.evaluate(async () => {
    const all: any[] = [];
    for (const pc of (window as any).__pcs as RTCPeerConnection[]) {
      if (pc.connectionState === 'closed') continue;
      const report: RTCStatsReport = await Promise.race([
        pc.getStats(),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`getStats of a ${pc.connectionState} peer connection did not answer in 3 s`)), 3_000),
        ),
      ]);
      report.forEach((s: any) => {
        if (s.type === 'inbound-rtp') {
          all.push({
            kind: s.kind,
            trackIdentifier: s.trackIdentifier,
            framesDecoded: s.framesDecoded ?? 0,
            bytesReceived: s.bytesReceived ?? 0,
            totalAudioEnergy: s.totalAudioEnergy ?? 0,
          });
        }
      });
    }
    return all;
  });
}

/** Walks into `room` from the map and waits until its call is live. */
export async function enter(page: Page, room: string) {
  await page.getByRole('button', { name: `Enter ${room}` }).click();
  await expect(page.locator('.conference')).toHaveAttribute('data-call-status', 'live');
}

/** Inbound tracks of `kind` that are really flowing. */
export function flowing(stats: Inbound[], kind: 'audio' | 'video') {
  return stats.filter((s) =>
    s.kind === kind && (kind === 'video' ? s.framesDecoded > 0 : s.bytesReceived > 0 && s.totalAudioEnergy > 0),
  );
}

/** A fresh browser context with no account, as a guest opening a link has. */
export async function guestPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  // Watched here too, should `browser` be one the test launched itself.
  watchContext(context);
  openContexts.add(context);
  await recordConnections(context);
  return context.newPage();
}

/** A fresh browser context (its own cookies) signed in as `email`. */
export async function signedInPage(browser: Browser, server: RunningServer, email: string): Promise<Page> {
  const context = await browser.newContext();
  watchContext(context);
  openContexts.add(context);
  await recordConnections(context);
  const page = await context.newPage();
  await signIn(page, server, email);
  return page;
}
