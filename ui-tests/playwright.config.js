/**
 * Galata in Debian's Chromium (Playwright cannot download its own browser here).
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// GALATA_PORT lets two checkouts run their browser tests side by side.
const port = process.env.GALATA_PORT || '8888';
// The sandbox's test controls need a per-run token: the test server (jlpm start) and the
// specs (workers inherit the environment) read it from here.
process.env.KFP_SANDBOX_TOKEN =
  process.env.KFP_SANDBOX_TOKEN || require('crypto').randomBytes(24).toString('hex');

module.exports = {
  ...baseConfig,
  timeout: 90000,
  retries: process.env.CI ? 1 : 0,
  workers: 1,
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'playwright-report' }]
  ],
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    video: 'off',
    trace: 'off',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic'
      ]
    }
  },
  webServer: {
    command: 'jlpm start',
    url: `http://localhost:${port}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: false
  }
};
