import { expect, test } from '@jupyterlab/galata';

import {
  grantEdit,
  openPanel,
  sandboxControl,
  shootBothThemes,
  signedIn,
  signIn,
  typeNamespace
} from './panel-helpers';

/** The sidebar at its default width, as a person uses it every day. */
test.describe('daily use at 250 px', () => {
  test.beforeEach(async ({ page }) => {
    await page.setViewportSize({ width: 1100, height: 800 });
  });

  test('keyboard through the list, overflow menu, Cancel first, readable parameters', async ({
    page,
    request
  }, testInfo) => {
    // A retry seeds a namespace of its own: the first attempt's pipelines stay in the sandbox.
    const namespace = `daily-ns-${testInfo.retry}-${testInfo.repeatEachIndex}`;
    await grantEdit(request, namespace);
    await sandboxControl(request, 'seed', {
      namespace,
      count: 3,
      versions: 1,
      prefix: 'a-pipeline-with-a-rather-long-name-for-the-sidebar'
    });
    const panel = await signedIn(page);
    // A namespace typed by hand that KFP lets us list is accepted.
    await (await typeNamespace(panel, namespace)).press('Enter');
    await expect(panel.locator('.jp-KFPConnect-listFooter')).toContainText('of 3');
    // The sidebar at its default width.
    const width = await panel.evaluate(node => node.getBoundingClientRect().width);
    expect(Math.round(width)).toBeLessThanOrEqual(252);

    // One tab stop for the list: only one row is tabbable; arrows move; Enter opens.
    const rows = panel.locator('.jp-KFPConnect-pipeline');
    await expect(panel.locator('.jp-KFPConnect-pipeline[tabindex="0"]')).toHaveCount(1);
    await rows.first().focus();
    await page.keyboard.press('ArrowDown');
    await expect(rows.nth(1)).toBeFocused();
    await expect(rows.nth(1)).toHaveAttribute('tabindex', '0');
    await expect(rows.first()).toHaveAttribute('tabindex', '-1');
    await page.keyboard.press('ArrowUp');
    await expect(rows.first()).toBeFocused();
    const firstName = (await rows.first().locator('.jp-KFPConnect-pipelineName').innerText()).trim();
    await shootBothThemes(page, 'daily-list', panel);
    await page.keyboard.press('Enter');
    const detail = panel.locator('.jp-KFPConnect-detail');
    await expect(detail.locator('.jp-KFPConnect-detailTitle')).toHaveText(firstName);
    await expect(detail.locator('.jp-KFPConnect-detailTitle')).toHaveAttribute('title', firstName);
    await expect(detail.locator('.jp-KFPConnect-tasks li').first()).toBeVisible();

    // No delete button among the main ones; the overflow menu has them.
    await expect(detail.getByRole('button', { name: /^Delete/ })).toHaveCount(0);
    await detail.getByRole('button', { name: 'More version actions' }).click();
    const menu = detail.getByRole('menu');
    await expect(menu.getByRole('menuitem')).toHaveText([
      'Download package (YAML)',
      'Copy version ID',
      'Delete version…'
    ]);
    await shootBothThemes(page, 'daily-detail-menu', panel);
    await page.keyboard.press('Escape');
    await expect(menu).toHaveCount(0);

    // The last version: the dialog says what is left; Enter cancels.
    await detail.getByRole('button', { name: 'More version actions' }).click();
    await detail.getByRole('menuitem', { name: 'Delete version…' }).click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('is the only version of');
    await expect(dialog).not.toContainText('0 versions');
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(dialog).toHaveCount(0);
    await expect(detail).toBeVisible();

    // Parameters: short type names, never split inside a word.
    const types = detail.locator('.jp-KFPConnect-paramType');
    if ((await types.count()) > 0) {
      for (const cell of await types.all()) {
        const box = await cell.boundingBox();
        const line = await cell.evaluate(n => parseFloat(getComputedStyle(n).lineHeight) || 18);
        expect(box!.height).toBeLessThan(line * 1.6);
        expect(await cell.innerText()).not.toMatch(/PARAMETER_TYPE|NUMBER_/);
      }
    }
    await shootBothThemes(page, 'daily-detail', panel);

    // Escape goes back to the list.
    await detail.getByRole('button', { name: 'Back to the list' }).focus();
    await page.keyboard.press('Escape');
    await expect(detail).toHaveCount(0);
    await expect(rows.first()).toBeVisible();
  });

  test('refreshing keeps the rows, with a progress bar', async ({ page, request }) => {
    const panel = await signedIn(page);
    await sandboxControl(request, 'latency', { seconds: 1.5 });
    try {
      await panel.locator('.jp-KFPConnect-refresh').click();
      await expect(panel.locator('.jp-KFPConnect-progress')).toBeVisible();
      await expect(panel.locator('.jp-KFPConnect-pipeline').first()).toBeVisible();
      await expect(panel.getByText('Loading…')).toHaveCount(0);
    } finally {
      await sandboxControl(request, 'latency', { seconds: 0 });
    }
    await expect(panel.locator('.jp-KFPConnect-progress')).toHaveCount(0);
  });

  test('the connection header folds to one line', async ({ page }) => {
    const panel = await signedIn(page);
    const header = panel.locator('.jp-KFPConnect-header');
    await header.locator('.jp-KFPConnect-fold').click();
    await expect(header).toHaveClass(/jp-mod-collapsed/);
    await expect(header.getByRole('button', { name: 'Check connection' })).toHaveCount(0);
    await shootBothThemes(page, 'daily-header-folded', panel);
    await header.locator('.jp-KFPConnect-fold').click();
    await expect(header.getByRole('button', { name: 'Check connection' })).toBeVisible();
  });

  test('the sign-in form and an error at 250 px', async ({ page }) => {
    const panel = await openPanel(page);
    await expect(panel.locator('form.jp-KFPConnect-signin')).toBeVisible();
    await shootBothThemes(page, 'daily-signin', panel);
    await signIn(page, 'wrong-password');
    await expect(panel.locator('.jp-KFPConnect-problem')).toBeVisible();
    await shootBothThemes(page, 'daily-signin-error', panel);
  });
});
