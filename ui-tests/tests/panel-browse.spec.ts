import { expect, test } from '@jupyterlab/galata';

import {
  DEMO_NAMESPACE,
  grantEdit,
  sandboxControl,
  shootBothThemes,
  signedIn,
  typeNamespace
} from './panel-helpers';

test.describe('browsing pipelines', () => {
  test('pages through 500 pipelines by scrolling', async ({ page }) => {
    const panel = await signedIn(page);
    const footer = panel.locator('.jp-KFPConnect-listFooter');
    // The first page (50, newest first) is on screen with the total.
    await expect(footer).toHaveText('50 of 500');
    await expect(panel.locator('.jp-KFPConnect-pipeline').first()).toContainText(
      'pipeline-00500'
    );
    await shootBothThemes(page, 'list-private', panel);

    const scroller = panel.locator('.jp-KFPConnect-listScroll');
    for (let loaded = 50; loaded < 500; loaded += 50) {
      await scroller.evaluate(node => node.scrollTo(0, node.scrollHeight));
      await expect(footer).toHaveText(`${loaded + 50} of 500`);
    }
    await expect(panel.locator('.jp-KFPConnect-pipeline')).toHaveCount(500);
    await expect(panel.locator('.jp-KFPConnect-pipeline').last()).toContainText(
      'pipeline-00001'
    );
  });

  test('searches on the server, sorts, and switches tabs and namespaces', async ({
    page
  }) => {
    const panel = await signedIn(page);
    const items = panel.locator('.jp-KFPConnect-pipeline');
    const search = panel.getByLabel('Search pipelines by name');

    await search.fill('pipeline-0042');
    await expect(items).toHaveCount(10); // 00420 .. 00429
    await expect(panel.locator('.jp-KFPConnect-listFooter')).toHaveText('10 of 10');
    await search.fill('no-such-pipeline');
    await expect(panel.locator('.jp-KFPConnect-empty')).toContainText(
      'No pipeline matches'
    );
    await shootBothThemes(page, 'list-empty-search', panel);
    await search.fill('');
    await expect(panel.locator('.jp-KFPConnect-listFooter')).toHaveText('50 of 500');

    await panel.getByLabel('Sort pipelines').selectOption('display_name');
    await expect(items.first()).toContainText('pipeline-00001');

    // Shared tab: the pipelines everyone sees.
    await panel.getByRole('tab', { name: 'Shared' }).click();
    await expect(panel.getByRole('tab', { name: 'Shared' })).toHaveAttribute(
      'aria-selected',
      'true'
    );
    await expect(items).toHaveCount(5);
    await expect(items.first()).toContainText('shared-0000');
    await shootBothThemes(page, 'list-shared', panel);
    // Keyboard: arrow keys move between the tabs.
    await panel.getByRole('tab', { name: 'Shared' }).press('ArrowLeft');
    await expect(panel.getByRole('tab', { name: 'Private' })).toBeFocused();
    await expect(panel.locator('.jp-KFPConnect-listFooter')).toHaveText('50 of 500');

    // Another namespace the user may use.
    const picker = panel.locator('#jp-KFPConnect-namespace-select');
    await expect(picker.locator('option[value="team-a"]')).toHaveCount(1);
    await picker.selectOption('team-a');
    await expect(panel.locator('.jp-KFPConnect-listFooter')).toHaveText('3 of 3');
    await expect(items.first()).toContainText('team-');

    // Manual entry works for a namespace the dashboard does not list.
    await (await typeNamespace(panel, DEMO_NAMESPACE)).press('Enter');
    await expect(picker).toHaveValue(DEMO_NAMESPACE);
    await expect(panel.locator('.jp-KFPConnect-listFooter')).toHaveText('50 of 500');
  });

  test('a namespace without access is explained, with the YAML that fixes it', async ({
    page
  }) => {
    const panel = await signedIn(page);
    await (await typeNamespace(panel, 'no-access-here')).press('Enter');
    // Checked before use: refused with a sentence, KFP's own text folded under details,
    // and the namespace in use stays what it was.
    const problem = panel.locator('.jp-KFPConnect-header .jp-KFPConnect-problem');
    await expect(problem).toBeVisible();
    await expect(problem).toHaveAttribute('data-code', 'namespace_denied');
    await expect(problem.locator('.jp-KFPConnect-problemMessage')).toHaveText(
      'You have no access to namespace no-access-here.'
    );
    // The words a person reads: what was refused, who can fix it; KFP's own text folded below.
    await expect(problem.locator('.jp-KFPConnect-problemFix')).toContainText(
      'Ask the owner of no-access-here to add user@example.com as a contributor'
    );
    await expect(problem.locator('details.jp-KFPConnect-problemDetails')).toHaveCount(1);
    await expect(panel.locator('.jp-KFPConnect-listFooter')).toContainText('of 500');
    await expect(problem.getByLabel('YAML that fixes it')).toContainText('RoleBinding');
    await expect(problem.getByRole('button', { name: 'Copy YAML' })).toBeVisible();
    await shootBothThemes(page, 'list-rbac-denied', panel);
  });

  test('shows a pipeline: versions, parameters, tasks, KFP UI link', async ({
    page
  }) => {
    const panel = await signedIn(page);
    await panel.getByRole('tab', { name: 'Shared' }).click();
    await panel.locator('.jp-KFPConnect-pipeline', { hasText: 'shared-00002' }).click();
    const detail = panel.locator('.jp-KFPConnect-detail');
    await expect(detail.locator('.jp-KFPConnect-detailTitle')).toHaveText(
      'shared-00002'
    );
    await expect(detail.getByText('Versions (2)')).toBeVisible();
    await expect(detail.locator('.jp-KFPConnect-tasks li').first()).toBeVisible();
    const link = detail.getByRole('link', { name: 'Open in KFP UI' });
    await expect(link).toHaveAttribute('href', /#\/pipelines\/details\//);
    await shootBothThemes(page, 'detail', panel);
    await detail.getByRole('button', { name: 'Back to the list' }).click();
    await expect(panel.locator('.jp-KFPConnect-pipeline')).toHaveCount(5);
  });

  test('a pipeline with more versions than KFP pages at once loads the older ones', async ({
    page,
    request
  }, testInfo) => {
    // A retry seeds a namespace of its own: the first attempt's pipeline stays in the sandbox.
    const namespace = `versions-ns-${testInfo.retry}-${testInfo.repeatEachIndex}`;
    await grantEdit(request, namespace);
    await sandboxControl(request, 'seed', {
      namespace,
      count: 1,
      versions: 230,
      prefix: 'many'
    });
    const panel = await signedIn(page);
    await (await typeNamespace(panel, namespace)).press('Enter');
    await panel.locator('.jp-KFPConnect-pipeline', { hasText: 'many-00001' }).click();
    const detail = panel.locator('.jp-KFPConnect-detail');
    await expect(detail.getByText('Versions (230)')).toBeVisible();
    const options = detail.locator('.jp-KFPConnect-versionSelect option');
    await expect(options).toHaveCount(200);
    await detail
      .getByRole('button', { name: 'Load older versions (200 of 230 shown)' })
      .click();
    await expect(options).toHaveCount(230);
    await expect(
      detail.getByRole('button', { name: /Load older versions/ })
    ).toHaveCount(0);
  });
});
