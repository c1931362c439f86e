import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';

import { SHOTS } from './panel-helpers';

const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'getting-started.ipynb');

test.describe('first use', () => {
  test('opening and saving the example notebook leaves its bytes as in the repository', async ({
    page,
    tmpPath
  }) => {
    const where = `${tmpPath}/getting-started.ipynb`;
    await page.contents.uploadFile(EXAMPLE, where);
    await page.notebook.openByPath(where);
    await page.notebook.activate('getting-started.ipynb');
    // The kernel starts and reports its language_info, which JupyterLab keeps in the metadata.
    await expect(page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')).toHaveCount(
      1,
      { timeout: 60000 }
    );
    await page.notebook.save();
    const saved = await page.request.get(
      `/api/contents/${encodeURI(where)}?content=1&format=text&type=file`
    );
    expect(saved.ok()).toBe(true);
    const text = (await saved.json()).content as string;
    const repository = fs.readFileSync(EXAMPLE, 'utf-8');
    if (text !== repository) {
      fs.mkdirSync('test-results', { recursive: true });
      fs.writeFileSync('test-results/getting-started.saved.ipynb', text);
    }
    // Byte for byte (the saved copy is kept under test-results/ when they differ).
    expect(text).toBe(repository);
  });

  test('the sidebar tab shows the KFP mark in light and dark', async ({ page }) => {
    const tab = page.locator('.jp-SideBar [data-id="jp-kfp-connect-panel"]');
    await expect(tab).toBeVisible();
    const svg = tab.locator('svg');
    // Our drawing of KFP's mark: a node (circle), the fork (path), two steps (rects).
    await expect(svg.locator('circle')).toHaveCount(1);
    await expect(svg.locator('rect')).toHaveCount(2);
    await expect(svg.locator('path')).toHaveCount(1);
    for (const theme of ['light', 'dark'] as const) {
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      } else {
        await page.theme.setLightTheme();
      }
      const fill = await svg.locator('.jp-icon3').first().evaluate(node => getComputedStyle(node).fill);
      const background = await tab.evaluate(node => {
        let el: Element | null = node;
        while (el) {
          const colour = getComputedStyle(el).backgroundColor;
          if (colour && colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') {
            return colour;
          }
          el = el.parentElement;
        }
        return 'rgb(255, 255, 255)';
      });
      expect(fill).not.toBe(background); // visible against the sidebar in both themes
      await page.locator('.jp-SideBar.jp-mod-left').screenshot({
        path: `${SHOTS}/sidebar-icon-${theme}.png`
      });
    }
    await page.theme.setLightTheme();
  });
});
