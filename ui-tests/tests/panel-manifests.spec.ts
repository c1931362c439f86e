import { expect, test } from '@jupyterlab/galata';

import { fileMenu, fillPipelineName, putFixture, shootBothThemes, signedIn } from './panel-helpers';

test.describe('Kubernetes manifests and display names', () => {
  test('a display name apart from the name; export from the version detail and the file browser', async ({
    page,
    tmpPath
  }) => {
    const name = `galata-k8s-${Date.now()}`;
    await putFixture(page, 'hello_pipeline.yaml', `${tmpPath}/hello_pipeline.yaml`);
    const panel = await signedIn(page);
    await page.sidebar.openTab('filebrowser');
    await page.filebrowser.openDirectory(tmpPath);

    // Upload with a name and a separate display name.
    await fileMenu(page, 'hello_pipeline.yaml', 'Upload to Kubeflow Pipelines…');
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog.locator('.jp-KFPConnect-validation')).toContainText('A valid KFP pipeline');
    await fillPipelineName(dialog, name);
    await dialog.getByLabel('Display name').fill('Hello from Galata');
    await shootBothThemes(page, 'upload-display-name');
    await dialog.getByRole('button', { name: 'Upload', exact: true }).click();
    await expect(dialog).toHaveCount(0);
    const detail = panel.locator('.jp-KFPConnect-detail');
    await expect(detail.locator('.jp-KFPConnect-detailTitle')).toHaveText('Hello from Galata');

    // The version detail exports Pipeline + PipelineVersion YAML into the file browser's folder.
    await page.sidebar.openTab('jp-kfp-connect-panel');
    await detail.getByRole('button', { name: 'Export manifests' }).click();
    await shootBothThemes(page, 'version-detail-export', panel);
    const editor = page.locator('.jp-FileEditor').last();
    await expect(editor).toContainText('kind: PipelineVersion');
    await expect(editor).toContainText(`pipelineName: ${name}`);
    await expect(editor).toContainText('displayName: Hello from Galata');
    await expect(page.locator('.lm-TabBar-tab.jp-mod-current')).toContainText(`${name}.k8s.yaml`);

    // The file browser exports a package directly, beside it.
    await fileMenu(page, 'hello_pipeline.yaml', 'Export as Kubernetes Manifests');
    await expect(page.locator('.lm-TabBar-tab.jp-mod-current')).toContainText('.k8s.yaml');
    await expect(page.locator('.jp-FileEditor').last()).toContainText('kind: Pipeline');
    await page.filebrowser.refresh();
    await expect(
      page.locator('.jp-DirListing-item', { hasText: '.k8s.yaml' }).first()
    ).toBeVisible();

    // Leave the demo namespace as it was: the other specs count its 500 pipelines.
    await page.sidebar.openTab('jp-kfp-connect-panel');
    await detail.getByRole('button', { name: 'More pipeline actions' }).click();
    await detail.getByRole('menuitem', { name: 'Delete pipeline…' }).click();
    await page.locator('.jp-Dialog').getByRole('button', { name: 'Delete' }).click();
    await expect(detail).toHaveCount(0);
    await expect(panel.locator('.jp-KFPConnect-listFooter')).toContainText('of 500');
  });
});
