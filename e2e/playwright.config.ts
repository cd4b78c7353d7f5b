// Playwright acceptance tests of the web app, against the real server binary and a fresh database.
//
// Env: E2E_DATABASE_URL (required: an empty database; `e2e/run` creates one), CORKBOARD_BIN (default: the
// release build if present, else the debug build), CHROMIUM_PATH (default /usr/bin/chromium), E2E_PORT.
import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

// The config is evaluated again in every worker: pick the port once and hand it down through the environment.
if (!process.env.E2E_PORT) {
  process.env.E2E_PORT = execFileSync(process.execPath, [
    '-e',
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
  ])
    .toString()
    .trim();
}
const port = process.env.E2E_PORT;
const baseURL = `http://127.0.0.1:${port}`;

const bin =
  process.env.CORKBOARD_BIN ??
  [path.join(root, 'target/release/corkboard'), path.join(root, 'target/debug/corkboard')].find((p) => existsSync(p)) ??
  path.join(root, 'target/debug/corkboard');

if (!process.env.E2E_DATABASE_URL) {
  throw new Error('E2E_DATABASE_URL must name an empty database (e2e/run creates one)');
}

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 5_000 },
  fullyParallel: false,
  // Two cores on CI, and each test already drives two or three browser contexts.
  workers: 1,
  retries: 0,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  outputDir: 'test-results',
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    video: 'off',
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  webServer: {
    command: bin,
    cwd: root,
    url: `${baseURL}/healthz`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      DATABASE_URL: process.env.E2E_DATABASE_URL,
      CORKBOARD_BIND: `127.0.0.1:${port}`,
      CORKBOARD_PUBLIC_URL: baseURL,
      CORKBOARD_STATIC_DIR: path.join(root, 'frontend/dist'),
      CORKBOARD_JWT_SECRET: 'e2e-only-secret-0123456789abcdef0123456789abcdef',
      CORKBOARD_DEV: 'true',
      // Every test signs up its own people, all from this machine's address: the sign-up limit would refuse them.
      CORKBOARD_SIGNUP_BURST: '0',
      RUST_LOG: process.env.RUST_LOG ?? 'info',
    },
  },
});
