import { test as base, expect, firefox as firefoxEngine, type Browser, type BrowserContext, type Page } from '@playwright/test';
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
 * `netns` when given (`ip netns exec` execs it, so the child is the server). */
export async function startServer(
  demo: boolean,
  netns?: string,
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
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
  return { server: { url, databasePath, outbox, dataDir: path.join(dir, 'data') }, child, dir };
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

/** Browser contexts the helpers below opened for the running test. */
const openContexts = new Set<BrowserContext>();

export const test = base.extend<{ demo: boolean; server: RunningServer; closeContexts: void }, { firefox: Browser }>({
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
      await use(browser);
      await browser.close();
      await sound.stop();
    },
    { scope: 'worker' },
  ],
  demo: [true, { option: true }],
  // Contexts opened by hand outlive a test unless closed; left open, their
  // cameras and sockets would load the machine for every later test.
  closeContexts: [
    async ({}, use) => {
      await use();
      for (const context of openContexts) {
        // A test that launched a browser of its own has closed it, and its contexts.
        if (context.browser()?.isConnected() === false) continue;
        await context.close();
      }
      openContexts.clear();
    },
    { auto: true },
  ],
  server: async ({ demo }, use) => {
    const started = await startServer(demo);
    await use(started.server);
    await stopServer(started);
  },
});

export { expect };

/** Stops a server from `startServer` and removes its files. */
export async function stopServer({ child, dir }: { child: ChildProcess; dir: string }) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
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
  openContexts.add(context);
  await recordConnections(context);
  return context.newPage();
}

/** A fresh browser context (its own cookies) signed in as `email`. */
export async function signedInPage(browser: Browser, server: RunningServer, email: string): Promise<Page> {
  const context = await browser.newContext();
  openContexts.add(context);
  await recordConnections(context);
  const page = await context.newPage();
  await signIn(page, server, email);
  return page;
}
