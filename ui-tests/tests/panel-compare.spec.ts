import { expect, galata, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import {
  grantEdit,
  sandboxControl,
  shootBothThemes,
  SHOTS,
  signedIn,
  signedInTo,
  typeNamespace
} from './panel-helpers';

const HELLO = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'hello_pipeline.yaml'), 'utf-8');
/** The second version: one default changed, one input added. */
const HELLO_V2 = HELLO.replace('defaultValue: hello', 'defaultValue: bonjour').replace(
  '  description: Says hello, then shouts it.',
  '  description: Says hello, then shouts it.\n  displayName: galata-hello-v2'
);
/** The third: the same as the second but for the description (the package endpoint gives
 * the stored spec, so the file's leading comments are not part of it). */
const HELLO_V3 = HELLO_V2.replace(
  '  description: Says hello, then shouts it.',
  '  description: Says hello, then shouts it twice.'
);

/**
 * A namespace of this attempt's own (a retry must not find the first attempt's pipelines),
 * with `seeded` seeded pipelines of one version and one uploaded pipeline with three
 * different versions. Returns the uploaded pipeline's ids.
 */
async function prepare(
  page: galata.IJupyterLabPageFixture,
  namespace: string,
  seeded = 2
): Promise<{ panel: Locator; pipelineId: string; versions: string[] }> {
  await grantEdit(page.request, namespace);
  if (seeded > 0) {
    await sandboxControl(page.request, 'seed', { namespace, count: seeded, prefix: 'single' });
  }
  const panel = await signedInTo(page, namespace);
  const made = await page.evaluate(
    async ({ texts }) => {
      const xsrf = decodeURIComponent(
        (document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) ?? [])[1] ?? ''
      );
      const base = `${document.baseURI.replace(/lab.*$/, '')}kfp-connect/`;
      const post = async (where: string, text: string, name: string) => {
        const form = new FormData();
        form.append('file', new Blob([text], { type: 'application/yaml' }), 'hello.yaml');
        form.append('name', name);
        const reply = await fetch(`${base}${where}`, {
          method: 'POST',
          headers: { 'X-XSRFToken': xsrf },
          body: form
        });
        return { status: reply.status, body: await reply.json() };
      };
      const first = await post('pipelines', texts[0], 'compared');
      if (first.status !== 201) {
        return { error: first };
      }
      const id = first.body.pipeline.id as string;
      const ids = [first.body.version.id as string];
      for (const [i, text] of texts.slice(1).entries()) {
        // KFP's times are whole seconds: a second apart, so "newest" is well defined.
        await new Promise(resolve => setTimeout(resolve, 1100));
        const next = await post(`pipelines/${id}/versions`, text, `compared-v${i + 2}`);
        if (next.status !== 201) {
          return { error: next };
        }
        ids.push(next.body.version?.id ?? next.body.id);
      }
      return { id, ids };
    },
    { texts: [HELLO, HELLO_V2, HELLO_V3] }
  );
  expect(made.error, JSON.stringify(made.error)).toBeUndefined();
  await page.evaluate(() => window.jupyterapp.commands.execute('kfp-connect:refresh'));
  return { panel, pipelineId: made.id!, versions: made.ids! };
}

/** The compare view, its diff drawn. */
async function compareView(page: galata.IJupyterLabPageFixture): Promise<Locator> {
  const view = page.locator('.jp-KFPConnect-compareView');
  await expect(view).toBeVisible();
  await expect(view.locator('.cm-mergeView')).toBeVisible();
  return view;
}

test.describe('Compare versions, version counts, KFP UI hints, restored views', () => {
  test('rows count versions; the sidebar compares a version with the one before', async ({
    page
  }, testInfo) => {
    const namespace = `compare-galata-${testInfo.retry}`;
    const { panel, versions } = await prepare(page, namespace);
    const row = panel.locator('.jp-KFPConnect-pipeline', { hasText: 'compared' });
    await expect(row.locator('.jp-KFPConnect-versionCount')).toContainText('3 versions');
    const single = panel.locator('.jp-KFPConnect-pipeline', { hasText: 'single-00001' });
    await expect(single.locator('.jp-KFPConnect-versionCount')).toHaveText(/^\s*·\s*1 version$/);
    const box = await panel.boundingBox();
    expect(Math.round(box!.width)).toBeLessThanOrEqual(260);
    await shootBothThemes(page, 'sidebar-version-counts', panel);

    await row.click();
    await expect(panel.locator('.jp-KFPConnect-detailTitle')).toHaveText('compared');
    // Behind Dex the link says the browser signs in to Kubeflow itself.
    const hint = panel.locator('.jp-KFPConnect-linkHint').first();
    await expect(hint).toHaveAttribute('data-hint', 'sign-in');
    await expect(hint).toHaveAttribute('title', /asks this browser to sign in to Kubeflow/);
    await expect(
      panel.getByRole('link', { name: 'Open in KFP UI', exact: true })
    ).toHaveAccessibleDescription(/not passed to the browser/);
    await shootBothThemes(page, 'sidebar-detail-hint', panel);

    // The newest version is selected: compare it with the one before, from the overflow menu.
    await panel.getByRole('button', { name: 'More version actions' }).click();
    await panel.getByRole('menuitem', { name: 'Compare with previous version' }).click();
    const view = await compareView(page);
    await expect(view.locator('.jp-KFPConnect-viewTitle')).toHaveText('Compare: compared');
    await expect(view.getByLabel('Left (before)')).toHaveValue(/.+/);
    await expect(view.locator('.jp-KFPConnect-compareSummary')).toHaveText(
      '1 change · 1 line added · 1 line removed'
    );
    const changedRight = view.locator('.cm-merge-b .cm-changedLine');
    await expect(changedRight).toHaveCount(1);
    await expect(changedRight).toContainText('twice');
    await expect(view.locator('.cm-merge-b .cm-changedText')).toContainText('twice');

    // Another pair: the first version against the newest shows the changed default and
    // the added line (highlighted on the right).
    await view.getByLabel('Left (before)').selectOption(versions[0]);
    await expect(view.locator('.jp-KFPConnect-compareSummary')).toHaveText(
      '2 changes · 3 lines added · 2 lines removed'
    );
    await expect(view.locator('.cm-merge-b .cm-changedLine', { hasText: 'bonjour' })).toHaveCount(1);
    await expect(
      view.locator('.cm-merge-b .cm-changedLine', { hasText: 'displayName: galata-hello-v2' })
    ).toHaveCount(1);
    await expect(view.locator('.cm-merge-a .cm-changedLine', { hasText: 'hello' })).not.toHaveCount(0);
    await page.sidebar.close('left');
    await shootBothThemes(page, 'compare-view', page.locator('#jp-main-dock-panel'));
  });

  test('the pipeline view compares two chosen versions; views come back after a reload', async ({
    page
  }, testInfo) => {
    const namespace = `compare-restore-${testInfo.retry}`;
    const { panel, versions } = await prepare(page, namespace, 0);
    await panel.locator('.jp-KFPConnect-pipeline', { hasText: 'compared' }).click();
    await panel.getByRole('button', { name: 'Open version' }).click();
    const pipelineView = page.locator('.jp-KFPConnect-pipelineView');
    await expect(pipelineView.locator('.jp-KFPConnect-viewTitle')).toHaveText('compared');
    // The main area says what the link needs, in words.
    await expect(pipelineView.locator('.jp-KFPConnect-linkHintText')).toHaveText(
      'Sign in to Kubeflow in this browser first.'
    );
    await page.sidebar.close('left');
    await shootBothThemes(page, 'pipeline-view-compare-with', pipelineView);
    await page.sidebar.open('left');
    // The palette compares the pipeline in front: its version and the one before.
    await pipelineView.locator('.jp-KFPConnect-viewTitle').click();
    await page.keyboard.press('Control+Shift+C');
    const palette = page.locator('.lm-CommandPalette-input');
    await palette.fill('Compare Pipeline Versions');
    await page
      .locator('.lm-CommandPalette-item', { hasText: 'Compare Pipeline Versions' })
      .click();
    const fromPalette = await compareView(page);
    await expect(fromPalette.getByLabel('Left (before)')).toHaveValue(versions[1]);
    await expect(fromPalette.getByLabel('Right (after)')).toHaveValue(versions[2]);
    await page.locator('#jp-main-dock-panel .lm-TabBar-tab', { hasText: /^compared$/ }).click();
    // Pick two versions: the shown one (the newest) and the first.
    const compareWith = pipelineView.getByLabel('Compare with version');
    await expect(compareWith).toHaveValue(versions[1]);
    await compareWith.selectOption(versions[0]);
    await pipelineView.getByRole('button', { name: 'Compare', exact: true }).click();
    const view = await compareView(page);
    await expect(view.getByLabel('Left (before)')).toHaveValue(versions[0]);
    await expect(view.getByLabel('Right (after)')).toHaveValue(versions[2]);
    await expect(view.locator('.cm-merge-b .cm-changedLine', { hasText: 'bonjour' })).toHaveCount(1);
    // The palette opens the Runs list too, so three kinds of views are open.
    await page.evaluate(() => window.jupyterapp.commands.execute('kfp-connect:open-runs'));
    await expect(page.locator('.jp-KFPConnect-runsView')).toBeVisible();

    // (Not Galata's "ready", which waits for a Launcher: the restored tabs replace it.)
    // JupyterLab writes the workspace (where the restorer keeps the views) 750 ms after the
    // last change; a reload sooner than that restores the layout from before.
    await page.waitForTimeout(1500);
    await page.reload({ waitForIsReady: false });
    // Back after the reload: the same pipeline, the same pair, the Runs list.
    const tabs = page.locator('#jp-main-dock-panel .lm-TabBar-tab');
    await expect(tabs.filter({ hasText: 'Compare: compared' })).toHaveCount(1, {
      timeout: 30000
    });
    await expect(tabs.filter({ hasText: /^compared$/ })).toHaveCount(1);
    await expect(tabs.filter({ hasText: 'KFP Runs' })).toHaveCount(1);
    await tabs.filter({ hasText: 'Compare: compared' }).click();
    const restored = await compareView(page);
    await expect(restored.getByLabel('Left (before)')).toHaveValue(versions[0]);
    await expect(restored.getByLabel('Right (after)')).toHaveValue(versions[2]);
    await expect(
      restored.locator('.cm-merge-b .cm-changedLine', { hasText: 'bonjour' })
    ).toHaveCount(1);
    await tabs.filter({ hasText: /^compared$/ }).click();
    await expect(
      page.locator('.jp-KFPConnect-pipelineView .jp-KFPConnect-dagNode').first()
    ).toBeVisible();
  });

  test('version counts come after the first page, not before it (printed)', async ({
    page
  }, testInfo) => {
    const namespace = `compare-bench-${testInfo.retry}`;
    await grantEdit(page.request, namespace);
    await sandboxControl(page.request, 'seed', {
      namespace,
      count: 200,
      versions: 3,
      prefix: 'bench'
    });
    const panel = await signedIn(page);
    await (await typeNamespace(panel, namespace)).press('Enter');
    await expect(panel.locator('.jp-KFPConnect-listFooter')).toContainText('of 200');
    await sandboxControl(page.request, 'latency', { seconds: 0.02 });
    try {
      const times: { rows: number; counts: number }[] = [];
      for (let i = 0; i < 3; i++) {
        times.push(
          await page.evaluate(async () => {
            const t0 = performance.now();
            void window.jupyterapp.commands.execute('kfp-connect:refresh');
            // The old rows stay on screen while the list refreshes (aria-busy): the
            // first page is in when that ends; the counts come after it.
            let rows = 0;
            let busy = false;
            await new Promise<void>(resolve => {
              const check = () => {
                const list = document.querySelector('.jp-KFPConnect-pipelines');
                busy = busy || list?.getAttribute('aria-busy') === 'true';
                const fresh = busy && list && list.getAttribute('aria-busy') !== 'true';
                if (fresh && !rows && document.querySelector('.jp-KFPConnect-pipeline')) {
                  rows = performance.now() - t0;
                }
                if (rows && document.querySelector('.jp-KFPConnect-versionCount')) {
                  resolve();
                } else {
                  requestAnimationFrame(check);
                }
              };
              requestAnimationFrame(check);
            });
            return { rows, counts: performance.now() - t0 };
          })
        );
      }
      console.log(
        `pipelines list (KFP at 20 ms): first rows ${times
          .map(t => `${Math.round(t.rows)} ms`)
          .join(', ')}; version counts on the visible rows ${times
          .map(t => `${Math.round(t.counts)} ms`)
          .join(', ')}`
      );
      await expect(
        panel.locator('.jp-KFPConnect-pipeline').first().locator('.jp-KFPConnect-versionCount')
      ).toContainText('3 versions');
    } finally {
      await sandboxControl(page.request, 'latency', { seconds: 0 });
    }
    await page.screenshot({ path: `${SHOTS}/version-counts-bench.png` });
  });
});
