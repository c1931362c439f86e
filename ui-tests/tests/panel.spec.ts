import { expect, test } from '@jupyterlab/galata';

test.describe('Kubeflow Pipelines panel', () => {
  test('opens from the left sidebar with no version warning', async ({
    page
  }) => {
    const tab = page.locator('.jp-SideBar [data-id="jp-kfp-connect-panel"]');
    await expect(tab).toBeVisible();
    await tab.click();
    const panel = page.locator('#jp-kfp-connect-panel');
    await expect(panel).toBeVisible();
    await expect(panel.locator('.jp-KFPConnect-title')).toHaveText(
      'Kubeflow Pipelines'
    );
    // The version handshake passed: no warning banner.
    await expect(panel.locator('.jp-KFPConnect-banner')).toHaveCount(0);
    await page.screenshot({ path: 'test-results/panel-open.png' });
  });

  test('is reachable from the command palette', async ({ page }) => {
    await page.keyboard.press('Control+Shift+C');
    await page.locator('.lm-CommandPalette-input').fill('Kubeflow');
    await page
      .locator('.lm-CommandPalette-item', {
        hasText: 'Open Kubeflow Pipelines Panel'
      })
      .click();
    await expect(page.locator('#jp-kfp-connect-panel')).toBeVisible();
  });
});

test.describe('version handshake', () => {
  test('warns when the server extension does not answer', async ({ page }) => {
    await page.route(/\/kfp-connect\/version/, route =>
      route.fulfill({ status: 404, body: 'Not Found' })
    );
    await page.reload();
    await page.locator('.jp-SideBar [data-id="jp-kfp-connect-panel"]').click();
    const banner = page.locator('#jp-kfp-connect-panel .jp-KFPConnect-banner');
    await expect(banner).toContainText('Server extension not found');
  });

  test('warns when the server version differs', async ({ page }) => {
    await page.route(/\/kfp-connect\/version/, route =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ version: '0.0.1', name: 'jupyter_kfp_connect' })
      })
    );
    await page.reload();
    await page.locator('.jp-SideBar [data-id="jp-kfp-connect-panel"]').click();
    const banner = page.locator('#jp-kfp-connect-panel .jp-KFPConnect-banner');
    await expect(banner).toContainText('Version mismatch');
    await expect(banner).toContainText('0.0.1');
  });
});
