import { expect, galata, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import { DEMO_PASSWORD, DEMO_USER, openPanel, shootBothThemes } from './panel-helpers';

/**
 * The panel in the languages it ships (besides English), found by JupyterLab through the
 * `jupyterlab.locale` entry point once the JupyterLab language pack is installed
 * (jupyterlab-language-pack-ko-KR / -zh-CN, from the test extra).
 *
 * Settings are Galata's in-memory mock (its default), so a language chosen here never reaches
 * the server's settings; English is set back after each test all the same.
 */
test.use({
  mockSettings: { ...galata.DEFAULT_SETTINGS },
  // Galata's default readiness check looks for a tab titled "Launcher": in English only.
  waitForApplication: async ({}, use) => {
    await use(async page => {
      await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
      await page
        .locator('.jp-SideBar [data-id="jp-kfp-connect-panel"]')
        .waitFor({ timeout: 30000 });
    });
  }
});

const TRANSLATION_PLUGIN = '@jupyterlab/translation-extension:plugin';

/** What a person does: Settings → Language → the language, then "Change and reload". */
async function switchLanguage(page: IJupyterLabPageFixture, locale: string): Promise<void> {
  void page.evaluate(async id => {
    await (window as any).jupyterapp.commands.execute(`jupyterlab-translation:${id}`);
  }, locale);
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toBeVisible();
  await Promise.all([
    page.waitForEvent('load'),
    dialog.locator('.jp-mod-accept').click()
  ]);
  // Galata's own navigation, so its in-page helpers (themes, contents) bind to the new app.
  await page.goto();
  await expect(page.locator('.jp-SideBar [data-id="jp-kfp-connect-panel"]')).toBeVisible({
    timeout: 30000
  });
}

/** Everything drawn inside the panel stays inside it (no horizontal overflow). */
async function overflowing(panel: Locator): Promise<string[]> {
  return panel.evaluate(root => {
    const box = root.getBoundingClientRect();
    const out: string[] = [];
    for (const node of Array.from(root.querySelectorAll<HTMLElement>('*'))) {
      const rect = node.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0) {
        continue;
      }
      if (rect.right > box.right + 1 || rect.left < box.left - 1) {
        out.push(`${node.tagName}.${node.className}: ${node.textContent?.slice(0, 40)}`);
      }
    }
    if (root.scrollWidth > root.clientWidth + 1) {
      out.push(`panel scrolls sideways (${root.scrollWidth} > ${root.clientWidth})`);
    }
    return out;
  });
}

const LANGUAGES = [
  {
    locale: 'ko_KR',
    jupyterlabFile: '파일',
    signInTitle: 'Kubeflow Pipelines에 로그인',
    username: '사용자 이름',
    password: '비밀번호',
    connected: '연결됨',
    footer: '500개 중'
  },
  {
    locale: 'zh_CN',
    jupyterlabFile: '文件',
    signInTitle: '登录 Kubeflow Pipelines',
    username: '用户名',
    password: '密码',
    connected: '已连接',
    footer: '/ 500'
  }
];

test.describe('the panel in Korean and Simplified Chinese', () => {
  test.beforeEach(async ({ page }) => {
    await page.setViewportSize({ width: 1100, height: 800 });
  });

  test.afterEach(async ({ page }) => {
    // Back to English, whatever happened above (later specs expect English).
    if (!page.isClosed()) {
      await page
        .evaluate(async plugin => {
          const base = location.pathname.replace(/\/lab(\/.*)?$/, '');
          await fetch(`${base}/lab/api/settings/${plugin}`, {
            method: 'PUT',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ raw: '{"locale": "en"}' })
          });
        }, TRANSLATION_PLUGIN)
        .catch(() => undefined);
    }
  });

  for (const lang of LANGUAGES) {
    test(`${lang.locale}: sign-in form, list and header at 250 px`, async ({ page }) => {
      await switchLanguage(page, lang.locale);
      // JupyterLab itself speaks the language (its pack), and so does our panel.
      await expect(page.locator('.lm-MenuBar-itemLabel').first()).toHaveText(lang.jupyterlabFile);
      const panel = await openPanel(page);
      const form = panel.locator('form.jp-KFPConnect-signin');
      await expect(form).toContainText(lang.signInTitle);
      expect(await overflowing(panel)).toEqual([]);
      await shootBothThemes(page, `i18n-${lang.locale}-signin`, panel);

      await form.getByLabel(lang.username, { exact: true }).fill(DEMO_USER);
      await form.getByLabel(lang.password, { exact: true }).fill(DEMO_PASSWORD);
      await form.getByLabel(lang.password, { exact: true }).press('Enter');
      await expect(panel.locator('.jp-KFPConnect-state')).toHaveText(lang.connected);
      await expect(panel.locator('.jp-KFPConnect-listFooter')).toContainText(lang.footer);
      expect(await overflowing(panel)).toEqual([]);
      await shootBothThemes(page, `i18n-${lang.locale}-list`, panel);

      await panel.locator('.jp-KFPConnect-pipeline').first().click();
      await expect(panel.locator('.jp-KFPConnect-detail')).toBeVisible();
      expect(await overflowing(panel)).toEqual([]);
      await shootBothThemes(page, `i18n-${lang.locale}-detail`, panel);
    });
  }
});
