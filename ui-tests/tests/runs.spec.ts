import { expect, galata, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import {
  fillPipelineName,
  grantEdit,
  putFixture,
  sandboxControl,
  shootBothThemes,
  SHOTS,
  signedIn,
  signedInTo,
  uploadFromFileBrowser
} from './panel-helpers';

const RUNS_NAMESPACE = 'runs-galata';

/** Upload ui-tests/fixtures/runs_pipeline.yaml as `name` through the file browser, as a person would. */
async function uploadRunsPipeline(
  page: galata.IJupyterLabPageFixture,
  tmpPath: string,
  name: string
): Promise<Locator> {
  await putFixture(page, 'runs_pipeline.yaml', `${tmpPath}/runs_pipeline.yaml`);
  // A namespace of its own, so the other specs keep their 500 pipelines.
  await grantEdit(page.request, RUNS_NAMESPACE);
  const panel = await signedInTo(page, RUNS_NAMESPACE);
  await page.sidebar.openTab('filebrowser');
  await page.filebrowser.refresh();
  await page.filebrowser.openDirectory(tmpPath);
  const dialog = await uploadFromFileBrowser(page, 'runs_pipeline.yaml');
  await fillPipelineName(dialog, name);
  await dialog.getByRole('button', { name: 'Upload', exact: true }).click();
  await expect(dialog).toHaveCount(0);
  await page.sidebar.openTab('jp-kfp-connect-panel');
  await expect(panel.locator('.jp-KFPConnect-detailTitle')).toHaveText(name);
  return panel;
}

/** Open the just-uploaded pipeline's version in the main area from the sidebar. */
async function openPipelineView(
  page: galata.IJupyterLabPageFixture,
  panel: Locator
): Promise<Locator> {
  await panel.getByRole('button', { name: 'Open version' }).click();
  const view = page.locator('.jp-KFPConnect-pipelineView');
  await expect(view).toBeVisible();
  await expect(view.locator('.jp-KFPConnect-dagNode')).toHaveCount(4);
  return view;
}

/** Fill the Create run form's required integer and start the run. */
async function startRun(view: Locator, runName: string, firstNumber: string): Promise<void> {
  const form = view.getByRole('form', { name: 'Create run' });
  await form.getByLabel('Run name').fill(runName);
  await form.locator('[data-param="first_number"]').fill(firstNumber);
  await form.getByRole('button', { name: 'Start run' }).click();
}

test.describe('runs', () => {
  test.afterEach(async ({ request }) => {
    await sandboxControl(request, 'run_timing', { starts_after: 1, finishes_after: 5 });
  });

  test('pipeline view, Create run (an invalid value first), the run reaches Succeeded', async ({
    page,
    request,
    tmpPath
  }, testInfo) => {
    const name = `galata-runs-${Date.now()}`;
    const panel = await uploadRunsPipeline(page, tmpPath, name);
    const view = await openPipelineView(page, panel);

    // Versions, task graph and parameters of every type.
    await expect(view.locator('.jp-KFPConnect-viewTitle')).toHaveText(name);
    await expect(view.getByRole('img', { name: 'Task graph with 4 tasks' })).toBeVisible();
    const params = view.locator('.jp-KFPConnect-params');
    for (const p of ['config', 'first_number', 'layers', 'learning_rate', 'use_gpu']) {
      await expect(params).toContainText(p);
    }
    await shootBothThemes(page, 'pipeline-view');
    await testInfo.attach('pipeline-view-light', { path: `${SHOTS}/pipeline-view-light.png` });

    await view.getByRole('button', { name: 'Create run' }).click();
    const form = view.getByRole('form', { name: 'Create run' });
    await expect(form).toBeVisible();
    // One field per parameter, typed, with its default.
    await expect(form.locator('[data-param="learning_rate"]')).toHaveValue('0.01');
    await expect(form.locator('[data-param="layers"]')).toHaveValue('[64,32]');
    await expect(form.locator('[data-param="use_gpu"]')).not.toBeChecked();
    await expect(form.locator('[data-field="first_number"]')).toContainText('required');

    // An invalid value: the error is at the field, nothing is sent.
    await startRun(view, `${name}-run`, 'abc');
    const field = form.locator('[data-field="first_number"]');
    await expect(field.locator('.jp-KFPConnect-fieldError')).toHaveText(
      'Enter a whole number, e.g. 10.'
    );
    await expect(form.locator('[data-param="first_number"]')).toHaveAttribute('aria-invalid', 'true');
    await expect(form.locator('[data-param="first_number"]')).toBeFocused();
    await form.locator('[data-param="layers"]').fill('[64,');
    await form.getByRole('button', { name: 'Start run' }).click();
    await expect(form.locator('[data-field="layers"] .jp-KFPConnect-fieldError')).toContainText(
      'Not valid JSON'
    );
    await shootBothThemes(page, 'run-form-errors');

    await form.locator('[data-param="layers"]').fill('[64, 32, 16]');
    await form.locator('[data-param="first_number"]').fill('7');
    await form.getByLabel('Experiment', { exact: true }).selectOption('new');
    await form.getByLabel('New experiment name').fill(`exp-${Date.now()}`);
    await shootBothThemes(page, 'run-form');
    // Runs finish fast in the sandbox.
    await sandboxControl(request, 'run_timing', { starts_after: 0.5, finishes_after: 3 });
    await form.getByRole('button', { name: 'Start run' }).click();

    // Submitting shows where the run is: its own tab.
    const runView = page.locator('.jp-KFPConnect-runView');
    await expect(runView).toBeVisible();
    await expect(runView.locator('.jp-KFPConnect-viewTitle')).toHaveText(`${name}-run`);
    await expect(runView.locator('.jp-KFPConnect-viewHeader [role="status"]')).toHaveText(
      /Succeeded/,
      { timeout: 30000 }
    );
    await expect(runView.locator('.jp-KFPConnect-dagNode[data-state="SUCCEEDED"]')).toHaveCount(4);
    await expect(runView.locator('.jp-KFPConnect-params')).toContainText('first_number');
    await expect(runView.getByRole('link', { name: 'Open in KFP UI' })).toHaveAttribute(
      'href',
      /#\/runs\/details\//
    );
    // The person started it: a notification says it finished, with a way to it.
    const toast = page.locator('.Toastify__toast', { hasText: `Run “${name}-run” succeeded.` });
    await expect(toast).toBeVisible({ timeout: 30000 });
    await expect(toast.getByRole('button', { name: 'Open run' })).toBeVisible();
    await shootBothThemes(page, 'run-dag');

    // A reload brings the run view back: the same run, its state and its graph. JupyterLab
    // writes the workspace 750 ms after the last change, so wait that out first (and not for
    // Galata's "ready", which waits for a Launcher the restored tabs replace).
    await page.waitForTimeout(1500);
    await page.reload({ waitForIsReady: false });
    const restored = page.locator('.jp-KFPConnect-runView');
    await expect(restored.locator('.jp-KFPConnect-viewTitle')).toHaveText(`${name}-run`, {
      timeout: 30000
    });
    await expect(restored.locator('.jp-KFPConnect-viewHeader [role="status"]')).toHaveText(
      /Succeeded/
    );
    await expect(restored.locator('.jp-KFPConnect-dagNode[data-state="SUCCEEDED"]')).toHaveCount(4);
  });

  test('terminate a running run (Cancel has the focus), and the Runs list', async ({
    page,
    request,
    tmpPath
  }) => {
    const name = `galata-term-${Date.now()}`;
    const panel = await uploadRunsPipeline(page, tmpPath, name);
    const view = await openPipelineView(page, panel);
    await sandboxControl(request, 'run_timing', { starts_after: 0.5, finishes_after: 300 });
    await view.getByRole('button', { name: 'Create run' }).click();
    await startRun(view, `${name}-long`, '1');
    const runView = page.locator('.jp-KFPConnect-runView');
    await expect(runView.locator('.jp-KFPConnect-viewHeader [role="status"]')).toHaveText(/Running/, {
      timeout: 20000
    });
    await runView.getByRole('button', { name: 'Terminate' }).click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('Stop “');
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await dialog.getByRole('button', { name: 'Terminate' }).click();
    await expect(runView.locator('.jp-KFPConnect-viewHeader [role="status"]')).toHaveText(
      /Canceling|Canceled/,
      { timeout: 20000 }
    );
    // The sandbox settles a terminated run as KFP 2.17 does (see docs/fidelity.md).
    await expect(runView.locator('.jp-KFPConnect-viewHeader [role="status"]')).toHaveText(
      /Canceled|Failed/,
      { timeout: 30000 }
    );
    // Terminate is offered only while KFP allows it.
    await expect(runView.getByRole('button', { name: 'Terminate' })).toHaveCount(0);

    // The Runs list from the palette: the run with its state, pipeline and experiment.
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('kfp-connect:open-runs');
    });
    const list = page.locator('.jp-KFPConnect-runsView');
    await expect(list).toBeVisible();
    const row = list.locator('.jp-KFPConnect-runRow', { hasText: `${name}-long` });
    const ended = (await runView.locator('.jp-KFPConnect-viewHeader [role="status"]').getAttribute(
      'data-state'
    ))!;
    await expect(row).toContainText(ended === 'FAILED' ? 'Failed' : 'Canceled');
    await expect(row).toContainText(name);
    await list.getByLabel('Filter by state').selectOption(ended);
    await expect(list.locator('.jp-KFPConnect-runRow', { hasText: `${name}-long` })).toHaveCount(1);
    await expect(list.locator('.jp-KFPConnect-live')).toHaveText('Every run shown has ended.');
    await shootBothThemes(page, 'runs-list');
    // A run's DAG from the list.
    await row.getByRole('button', { name: `${name}-long` }).click();
    await expect(page.locator('.jp-KFPConnect-runView .jp-KFPConnect-dagNode').first()).toBeVisible();
  });

  test('the sidebar at its default width still reads well', async ({ page }) => {
    const panel = await signedIn(page);
    const box = await panel.boundingBox();
    expect(Math.round(box!.width)).toBeLessThanOrEqual(260);
    await expect(panel.getByRole('button', { name: 'Runs' })).toBeVisible();
    await shootBothThemes(page, 'sidebar-with-runs', panel);
  });

  test('first page of 10,000 runs with KFP at 20 ms (printed)', async (
    { page, request },
    testInfo
  ) => {
    // A retry seeds a namespace of its own: the first attempt's 10,000 runs stay.
    const namespace = `runs-10k-${testInfo.retry}-${testInfo.repeatEachIndex}`;
    await grantEdit(request, namespace);
    const seeded = await sandboxControl(request, 'seed', {
      namespace,
      count: 1,
      prefix: 'bench'
    });
    const pipelineId: string = seeded.ids[0];
    const panel = await signedInTo(page, namespace);
    // One run through the extension creates the experiment; the sandbox adds 9,999 more.
    const ids = await page.evaluate(async (pipeline: string) => {
      const xsrf = decodeURIComponent(
        (document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) ?? [])[1] ?? ''
      );
      const base = `${document.baseURI.replace(/lab.*$/, '')}kfp-connect/`;
      const detail = await (await fetch(`${base}pipelines/${pipeline}`)).json();
      const versionId = detail.versions[0].id;
      const made = await fetch(`${base}runs`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-XSRFToken': xsrf },
        body: JSON.stringify({
          pipeline_id: pipeline,
          pipeline_version_id: versionId,
          display_name: 'bench-first',
          parameters: {},
          experiment_name: 'bench'
        })
      });
      const run = await made.json();
      return { versionId, experimentId: run.experiment_id, status: made.status, run };
    }, pipelineId);
    expect(ids.status, JSON.stringify(ids.run)).toBe(200);
    await sandboxControl(request, 'seed_runs', {
      experiment_id: ids.experimentId,
      version_id: ids.versionId,
      count: 9999
    });
    await sandboxControl(request, 'latency', { seconds: 0.02 });
    try {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const elapsed = await page.evaluate(async () => {
          const app = window.jupyterapp;
          for (const widget of Array.from(app.shell.widgets('main'))) {
            if (widget.id === 'jp-KFPConnect-runs') {
              widget.close();
            }
          }
          const t0 = performance.now();
          void app.commands.execute('kfp-connect:open-runs', { refresh: true });
          await new Promise<void>(resolve => {
            const check = () => {
              const rows = document.querySelectorAll(
                '.jp-KFPConnect-runsView .jp-KFPConnect-runRow'
              );
              const footer = document.querySelector('.jp-KFPConnect-runsCount');
              if (rows.length > 0 && footer?.textContent?.includes('of 10000')) {
                resolve();
              } else {
                requestAnimationFrame(check);
              }
            };
            check();
          });
          return performance.now() - t0;
        });
        times.push(elapsed);
      }
      // Printed, not asserted tightly: the target is < 500 ms.
      console.log(
        `first page of 10,000 runs on screen (KFP at 20 ms): ${times
          .map(t => `${Math.round(t)} ms`)
          .join(', ')} (target < 500 ms)`
      );
      expect(Math.min(...times)).toBeLessThan(5000);
    } finally {
      await sandboxControl(request, 'latency', { seconds: 0 });
    }
  });
});
