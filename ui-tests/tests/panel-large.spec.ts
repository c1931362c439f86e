import { expect, test } from '@jupyterlab/galata';

import {
  grantEdit,
  shootBothThemes,
  SHOTS,
  signedInTo,
  uploadFromFileBrowser
} from './panel-helpers';

const LAYERS = 40;
const WIDTH = 30; // 1,200 tasks: more than the 1,000 a summary lists

/**
 * A pipeline of LAYERS x WIDTH tasks, each waiting for one task of the layer before: the
 * shape a generated fan-out (one task per shard, per step) compiles to.
 */
function largePipeline(): string {
  const lines = [
    'components:',
    '  comp-step:',
    '    executorLabel: exec-step',
    '    inputDefinitions:',
    '      parameters:',
    '        shard: {parameterType: NUMBER_INTEGER}',
    'deploymentSpec:',
    '  executors:',
    '    exec-step:',
    '      container: {image: "python:3.12", command: [python, -c, pass]}',
    'pipelineInfo: {name: large}',
    'root:',
    '  dag:',
    '    tasks:'
  ];
  for (let layer = 0; layer < LAYERS; layer++) {
    for (let shard = 0; shard < WIDTH; shard++) {
      const name = `l${layer}-s${shard}`;
      const after = layer ? `, dependentTasks: [l${layer - 1}-s${shard}]` : '';
      lines.push(
        `      ${name}: {componentRef: {name: comp-step}, taskInfo: {name: ${name}}` +
          `, inputs: {parameters: {shard: {runtimeValue: {constant: ${shard}}}}}${after}}`
      );
    }
  }
  lines.push('  inputDefinitions:');
  lines.push('    parameters:');
  lines.push('      shards: {parameterType: NUMBER_INTEGER, defaultValue: 30}');
  lines.push('schemaVersion: 2.1.0');
  lines.push('sdkVersion: kfp-2.17.0');
  return lines.join('\n') + '\n';
}

test('a pipeline of 1,200 tasks: the dialog, the panel and the view give its real size', async ({
  page,
  tmpPath
}, testInfo) => {
  const namespace = `large-galata-${testInfo.retry}-${testInfo.repeatEachIndex}`;
  await grantEdit(page.request, namespace);
  await page.contents.uploadContent(largePipeline(), 'text', `${tmpPath}/large.yaml`);
  const panel = await signedInTo(page, namespace);

  await page.sidebar.openTab('filebrowser');
  await page.filebrowser.refresh();
  await page.filebrowser.openDirectory(tmpPath);
  const dialog = await uploadFromFileBrowser(page, 'large.yaml');
  // The count is the server's, not the length of the (cut) list it sent.
  await expect(dialog.locator('.jp-KFPConnect-validation')).toHaveText(
    'A valid KFP pipeline: 1200 tasks, 1 parameter.'
  );
  await dialog.getByLabel('Pipeline name').fill(`large-${Date.now()}`);
  await dialog.getByRole('button', { name: 'Upload', exact: true }).click();
  await expect(dialog).toHaveCount(0);

  await page.sidebar.openTab('jp-kfp-connect-panel');
  await expect(panel.getByText('Tasks (1200)')).toBeVisible();
  await expect(panel).toContainText('the first 1000 of its 1200 tasks are listed');
  await expect(panel).not.toContainText('parameters are listed');
  await shootBothThemes(page, 'large-detail', panel);

  const started = Date.now();
  await panel.getByRole('button', { name: 'Open version' }).click();
  const view = page.locator('.jp-KFPConnect-pipelineView');
  await expect(view).toContainText('the graph shows its first 1000 of 1200 tasks');
  await expect(view.locator('.jp-KFPConnect-dagNode')).toHaveCount(1000, { timeout: 30_000 });
  const seconds = (Date.now() - started) / 1000;
  testInfo.annotations.push({
    type: 'measured',
    description: `the view drew 1,000 of 1,200 tasks in ${seconds.toFixed(1)} s`
  });
  console.log(`large pipeline view: 1,000 task nodes drawn in ${seconds.toFixed(1)} s`);
  // The page still answers a person: the palette opens while the graph is shown.
  await page.keyboard.press('Control+Shift+C');
  await expect(page.locator('#modal-command-palette')).toBeVisible();
  await page.keyboard.press('Escape');
  await shootBothThemes(page, 'large-view');
  await testInfo.attach('large-view-dark', { path: `${SHOTS}/large-view-dark.png` });
});
