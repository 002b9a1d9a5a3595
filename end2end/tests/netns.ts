import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A network namespace of the test's own (needs root). Its loopback is
 * private, so its traffic can be shaped without touching the machine's:
 * the server and the browsers run inside it. */
export class NetworkNamespace {
  private constructor(readonly name: string, private readonly dir: string) {}

  static create(): NetworkNamespace {
    const name = `anteroom-e2e-${process.pid}`;
    try {
      ip('netns', 'del', name);
    } catch {
      // None was left over.
    }
    try {
      ip('netns', 'add', name);
    } catch (error) {
      throw new Error(`could not create network namespace ${name} (this test needs root): ${error}`);
    }
    ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
    return new NetworkNamespace(name, fs.mkdtempSync(path.join(os.tmpdir(), 'anteroom-netns-')));
  }

  private tc(...args: string[]): string {
    return ip('netns', 'exec', this.name, 'tc', ...args);
  }

  /** A Chromium executable that runs inside the namespace. */
  chromium(): string {
    const wrapper = path.join(this.dir, 'chromium');
    const real = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${this.name} ${real} "$@"\n`, { mode: 0o755 });
    return wrapper;
  }

  /** Caps the UDP traffic to `port` on the namespace's loopback at `rate`
   * (tc syntax, '1mbit'): a token bucket class (HTB) with a short queue,
   * so that what exceeds the cap waits, then is dropped, as on a congested
   * link. Everything else passes at full speed. */
  capUdpPort(port: number, rate: string) {
    this.tc('qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '20', 'r2q', '1000');
    this.tc('class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:10', 'htb', 'rate', rate, 'ceil', rate);
    this.tc('class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:20', 'htb', 'rate', '10gbit');
    this.tc('qdisc', 'add', 'dev', 'lo', 'parent', '1:10', 'handle', '10:', 'pfifo', 'limit', '30');
    this.tc(
      'filter', 'add', 'dev', 'lo', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32',
      'match', 'ip', 'protocol', '17', '0xff', 'match', 'ip', 'dport', String(port), '0xffff', 'flowid', '1:10',
    );
  }

  /** Bytes that went through the cap so far. */
  cappedBytes(): number {
    const stats = this.tc('-s', 'class', 'show', 'dev', 'lo', 'classid', '1:10');
    return Number(stats.match(/Sent (\d+) bytes/)?.[1] ?? 0);
  }

  delete() {
    try {
      ip('netns', 'del', this.name);
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
