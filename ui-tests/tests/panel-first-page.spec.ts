import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';

import { sandboxControl, SHOTS, signedIn, typeNamespace } from './panel-helpers';

/**
 * Measures (and prints) the time from choosing a 10,000-pipeline namespace to its
 * first page on screen, with the sandbox answering in a realistic 20 ms. Printed,
 * not asserted: speed targets are read, not timed tests.
 */
test('first page of a 10,000-pipeline namespace', async ({ page, request }, testInfo) => {
  // A retry seeds a namespace of its own: the first attempt's 10,000 stay in the sandbox.
  const namespace = `big-ns-${testInfo.retry}-${testInfo.repeatEachIndex}`;
  const post = (control: string, data: object) =>
    sandboxControl(request, control, data);
  await post('rbac', {
    action: 'grant',
    user: 'user@example.com',
    namespace,
    role: 'edit'
  });
  await post('seed', { namespace, count: 10000, prefix: 'big' });

  const panel = await signedIn(page);
  const typed = await typeNamespace(panel, namespace);
  await post('latency', { seconds: 0.02 });
  try {
    const started = Date.now();
    await typed.press('Enter');
    await expect(
      panel.locator('.jp-KFPConnect-pipeline').first()
    ).toContainText('big-');
    const elapsed = Date.now() - started;
    await expect(panel.locator('.jp-KFPConnect-listFooter')).toHaveText(
      '50 of 10000'
    );
    const line = `first page of a 10,000-pipeline namespace on screen: ${elapsed} ms (sandbox latency 20 ms; namespace switch + list through the extension)`;
    console.log(line);
    fs.mkdirSync(SHOTS, { recursive: true });
    fs.writeFileSync(`${SHOTS}/../first-page.txt`, line + '\n');
  } finally {
    await post('latency', { seconds: 0 });
  }
});
