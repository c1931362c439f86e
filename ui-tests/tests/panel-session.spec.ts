import { expect, test } from '@jupyterlab/galata';

import {
  DEMO_PASSWORD,
  DEMO_USER,
  sandboxControl,
  openPanel,
  shootBothThemes,
  signedIn
} from './panel-helpers';

/** The sandbox forgets every Dex session, as a day later. */
async function expireSessions(request: any): Promise<void> {
  await sandboxControl(request, 'expire_sessions');
}

test.describe('expired sessions', () => {
  test('the panel asks again when the session expired', async ({
    page,
    request
  }) => {
    const panel = await signedIn(page);
    await expireSessions(request);
    // The panel's periodic status check may notice first and swap the list for the form
    // under the pointer; the palette's Refresh works either way.
    await page.evaluate(() => window.jupyterapp.commands.execute('kfp-connect:refresh'));
    await expect(panel.locator('.jp-KFPConnect-state')).toHaveText(
      'Session expired'
    );
    const form = panel.locator('form.jp-KFPConnect-signin');
    await expect(form).toContainText('Your session expired');
    await shootBothThemes(page, 'session-expired', panel);
    await form.getByLabel('Username', { exact: true }).fill(DEMO_USER);
    await form.getByLabel('Password', { exact: true }).fill(DEMO_PASSWORD);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await expect(panel.locator('.jp-KFPConnect-listFooter')).toHaveText(
      '50 of 500'
    );
  });

  test('"keep me signed in" signs in again without asking', async ({
    page,
    request
  }) => {
    const panel = await openPanel(page);
    const form = panel.locator('form.jp-KFPConnect-signin');
    await form.getByLabel('Username', { exact: true }).fill(DEMO_USER);
    await form.getByLabel('Password', { exact: true }).fill(DEMO_PASSWORD);
    await form.getByLabel(/Keep me signed in/).check();
    // Keyboard only: Tab leaves the checkbox for the button, Enter submits.
    await page.keyboard.press('Tab');
    await expect(form.getByRole('button', { name: 'Sign in' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(panel.locator('.jp-KFPConnect-listFooter')).toHaveText(
      '50 of 500'
    );
    await expireSessions(request);
    await panel.getByLabel('Search pipelines by name').fill('pipeline-0003');
    await expect(panel.locator('.jp-KFPConnect-listFooter')).toHaveText('10 of 10');
    await expect(panel.locator('.jp-KFPConnect-state')).toHaveText('Connected');
  });

  test('palette commands: check connection, refresh, sign out', async ({
    page
  }) => {
    const panel = await signedIn(page);
    const run = async (label: string) => {
      await page.keyboard.press('Control+Shift+C');
      await page.locator('.lm-CommandPalette-input').fill(label);
      await page.locator('.lm-CommandPalette-item', { hasText: label }).first().click();
    };
    await run('Check Kubeflow Pipelines Connection');
    await expect(panel.locator('.jp-KFPConnect-check-result')).toContainText(
      'Connection check passed'
    );
    await shootBothThemes(page, 'check-passed', panel);
    await run('Sign Out of Kubeflow Pipelines');
    await expect(panel.locator('.jp-KFPConnect-state')).toHaveText('Signed out');
  });
});
