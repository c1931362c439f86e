import { expect, test } from '@jupyterlab/galata';

import {
  fillPipelineName,
  openPanel,
  putFixture,
  shootBothThemes,
  signedIn,
  uploadFromFileBrowser
} from './panel-helpers';

test.describe('uploading pipelines', () => {
  test('from the file browser: new pipeline, duplicate name, new version, invalid file, delete', async ({
    page,
    tmpPath
  }) => {
    const name = `galata-hello-${Date.now()}`;
    await putFixture(page, 'hello_pipeline.yaml', `${tmpPath}/hello_pipeline.yaml`);
    await putFixture(page, 'not_a_pipeline.yaml', `${tmpPath}/not_a_pipeline.yaml`);
    const panel = await signedIn(page);
    await page.sidebar.openTab('filebrowser');
    await page.filebrowser.openDirectory(tmpPath);

    // 1. A new private pipeline, validated before anything is sent.
    let dialog = await uploadFromFileBrowser(page, 'hello_pipeline.yaml');
    await expect(dialog.locator('.jp-KFPConnect-validation')).toContainText(
      'A valid KFP pipeline: 2 tasks, 2 parameters.'
    );
    const nameField = dialog.getByLabel('Pipeline name');
    await expect(nameField).toHaveValue('galata-hello');
    await nameField.fill(name);
    await dialog.getByLabel('Description').fill('Uploaded by Galata');
    await shootBothThemes(page, 'upload-dialog');
    await dialog.getByRole('button', { name: 'Upload', exact: true }).click();
    await expect(dialog).toHaveCount(0);
    const detail = panel.locator('.jp-KFPConnect-detail');
    await expect(detail.locator('.jp-KFPConnect-detailTitle')).toHaveText(name);
    await expect(detail.getByText('Versions (1)')).toBeVisible();
    await expect(detail.locator('.jp-KFPConnect-params')).toContainText('times');
    await expect(detail.locator('.jp-KFPConnect-tasks')).toContainText('after');

    // 2. The same name again: offered as a new version instead of failing.
    dialog = await uploadFromFileBrowser(page, 'hello_pipeline.yaml');
    await fillPipelineName(dialog, name);
    await dialog.getByRole('button', { name: 'Upload', exact: true }).click();
    const duplicate = dialog.locator('.jp-KFPConnect-problem');
    await expect(duplicate).toHaveAttribute('data-code', 'duplicate_name');
    await expect(duplicate.locator('.jp-KFPConnect-problemMessage')).toHaveText(
      `A pipeline named '${name}' already exists in namespace kubeflow-user-example-com.`
    );
    const offer = dialog.getByRole('button', {
      name: `Upload as a new version of “${name}”`
    });
    await expect(offer).toBeVisible();
    await shootBothThemes(page, 'upload-duplicate');
    await offer.click();
    await expect(dialog).toHaveCount(0);
    await expect(detail.getByText('Versions (2)')).toBeVisible();

    // 3. A file that is not a pipeline: the reason, and no upload.
    dialog = await uploadFromFileBrowser(page, 'not_a_pipeline.yaml');
    const reason = dialog.locator('.jp-KFPConnect-problem');
    await expect(reason).toContainText('This file cannot be uploaded');
    await shootBothThemes(page, 'upload-invalid');
    await expect(
      dialog.getByRole('button', { name: 'Upload', exact: true })
    ).toBeDisabled();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
    await openPanel(page);

    // 4. Delete the newest version, then the pipeline, each after a confirmation, from the
    // overflow menus (no delete button beside the everyday ones); Enter in a confirmation
    // cancels (Cancel has the focus).
    await expect(detail.getByRole('button', { name: 'Delete version' })).toHaveCount(0);
    await detail.getByRole('button', { name: 'More version actions' }).click();
    await detail.getByRole('menuitem', { name: 'Delete version…' }).click();
    await expect(
      page.locator('.jp-Dialog').getByRole('button', { name: 'Cancel' })
    ).toBeFocused();
    await expect(page.locator('.jp-Dialog')).toContainText('1 other version remains');
    await page.keyboard.press('Enter');
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);
    await expect(detail.getByText('Versions (2)')).toBeVisible();
    await detail.getByRole('button', { name: 'More version actions' }).click();
    await detail.getByRole('menuitem', { name: 'Delete version…' }).click();
    await page.locator('.jp-Dialog').getByRole('button', { name: 'Delete' }).click();
    await expect(detail.getByText('Versions (1)')).toBeVisible();
    await detail.getByRole('button', { name: 'More pipeline actions' }).click();
    await detail.getByRole('menuitem', { name: 'Delete pipeline…' }).click();
    await expect(page.locator('.jp-Dialog')).toContainText(name);
    await expect(page.locator('.jp-Dialog')).toContainText('its only version');
    await page.locator('.jp-Dialog').getByRole('button', { name: 'Delete' }).click();
    await expect(detail).toHaveCount(0);
    await panel.getByLabel('Search pipelines by name').fill(name);
    await expect(panel.locator('.jp-KFPConnect-empty')).toBeVisible();
  });

  test('a new version from the browser, from the detail view', async ({
    page
  }) => {
    const panel = await signedIn(page);
    await panel.locator('.jp-KFPConnect-pipeline').first().click();
    const detail = panel.locator('.jp-KFPConnect-detail');
    await expect(detail.getByText('Versions (1)')).toBeVisible();
    const chooser = page.waitForEvent('filechooser');
    await detail.getByRole('button', { name: 'Upload version' }).click();
    await (await chooser).setFiles('fixtures/hello_pipeline.yaml');
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog.getByLabel('A new version of a pipeline')).toBeChecked();
    await expect(dialog.locator('.jp-KFPConnect-validation')).toContainText(
      'A valid KFP pipeline'
    );
    await dialog.getByRole('button', { name: 'Upload', exact: true }).click();
    await expect(dialog).toHaveCount(0);
    await expect(detail.getByText('Versions (2)')).toBeVisible();
    await expect(detail.locator('.jp-KFPConnect-params')).toContainText('times');
  });

  test('from the command palette: a shared upload lands among the shared pipelines', async ({
    page
  }) => {
    const panel = await signedIn(page);
    const chooser = page.waitForEvent('filechooser');
    await page.keyboard.press('Control+Shift+C');
    await page.locator('.lm-CommandPalette-input').fill('Upload Pipeline');
    await page
      .locator('.lm-CommandPalette-item', {
        hasText: 'Upload Pipeline to Kubeflow Pipelines'
      })
      .click();
    await (await chooser).setFiles('fixtures/hello_pipeline.yaml');
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog.locator('.jp-KFPConnect-validation')).toContainText(
      'A valid KFP pipeline'
    );
    const name = `galata-shared-${Date.now()}`;
    await dialog.getByLabel('Where').selectOption('shared');
    await fillPipelineName(dialog, name);
    await dialog.getByRole('button', { name: 'Upload', exact: true }).click();
    // KFP 2.17 does not authorize shared uploads at all (docs/fidelity.md): it lands.
    await expect(dialog).toHaveCount(0);
    const detail = panel.locator('.jp-KFPConnect-detail');
    await expect(detail.locator('.jp-KFPConnect-detailTitle')).toHaveText(name);
    await expect(detail.locator('.jp-KFPConnect-facts')).toContainText('Shared');
  });
});
