import { defineConfig } from '@playwright/test';
import base from './playwright.config';

/** scripts/bench-browser: the user-felt timings in end2end/bench, one
 * worker, nothing else running in the browser meanwhile. */
export default defineConfig({
  ...base,
  testDir: './bench',
  testMatch: '*.bench.ts',
  retries: 0,
});
