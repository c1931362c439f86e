import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { DEMO_NAMESPACE, DEMO_USER, SHOTS, signIn } from './panel-helpers';

/** A cell that uses the injected client: nobody typed %load_ext in this notebook. */
const LIST_CELL = [
  'ns = kfp_client.get_user_namespace()',
  'page = kfp_client.list_pipelines(namespace=ns, page_size=3)',
  "print('listed', ns, len(page.pipelines))"
].join('\n');

/** Append a code cell; its index (running a cell may have added an empty one below). */
async function addCell(
  page: IJupyterLabPageFixture,
  source: string
): Promise<number> {
  await page.notebook.addCell('code', source);
  return (await page.notebook.getCellCount()) - 1;
}

test.describe('kfp_client in a notebook', () => {
  // Galata's kernel-API mock answers every POST with 201, which breaks a restart.
  test.use({ kernels: null });

  test('a new notebook has a signed-in kfp_client and %kfp, also after a restart', async ({
    page
  }) => {
    const panel = await signIn(page);
    await expect(panel.locator('.jp-KFPConnect-state')).toHaveText('Connected');

    await page.notebook.createNew('kfp-client.ipynb');
    await page.notebook.setCell(0, 'code', LIST_CELL);
    await page.notebook.runCell(0);
    expect((await page.notebook.getCellTextOutput(0))?.join('')).toContain(
      `listed ${DEMO_NAMESPACE} 3`
    );

    // %kfp answers with a rich table, as the signed-in user.
    const status = await addCell(page, '%kfp status');
    await page.notebook.runCell(status);
    const table = (await page.notebook.getCellOutputLocator(status))!.locator(
      'table'
    );
    await expect(table).toContainText('connected');
    await expect(table).toContainText(DEMO_USER);
    await page.screenshot({ path: `${SHOTS}/kernel-notebook.png` });

    // After a restart the kernel gets kfp_client again, without a %load_ext.
    await page
      .locator('.jp-NotebookPanel-toolbar [data-jp-item-name="restart"] button')
      .click();
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    const again = await addCell(page, "print('again', type(kfp_client).__name__)");
    await expect
      .poll(
        async () => {
          await page.notebook.runCell(again);
          return (await page.notebook.getCellTextOutput(again))?.join('') ?? '';
        },
        { timeout: 30000 }
      )
      .toContain('again LazyKFPClient');
  });
});
