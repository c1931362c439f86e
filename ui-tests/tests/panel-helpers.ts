import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import { APIRequestContext, Locator } from '@playwright/test';

/** The sandbox the test server starts (ui-tests/jupyter_server_test_config.py). */
export const SANDBOX = `http://127.0.0.1:${process.env.KFP_SANDBOX_PORT ?? '8766'}`;
export const DEMO_USER = 'user@example.com';
export const DEMO_PASSWORD = '12341234';
export const DEMO_NAMESPACE = 'kubeflow-user-example-com';

/** Where the kept screenshots go (artifacts of the run). */
export const SHOTS = 'test-results/screenshots';

export async function openPanel(page: IJupyterLabPageFixture): Promise<Locator> {
  const panel = page.locator('#jp-kfp-connect-panel');
  if (!(await panel.isVisible())) {
    await page.locator('.jp-SideBar [data-id="jp-kfp-connect-panel"]').click();
  }
  await expect(panel).toBeVisible();
  return panel;
}

/** Sign in through the panel's Dex form, as a person would. */
export async function signIn(
  page: IJupyterLabPageFixture,
  password = DEMO_PASSWORD
): Promise<Locator> {
  const panel = await openPanel(page);
  const form = panel.locator('form.jp-KFPConnect-signin');
  await expect(form).toBeVisible();
  await form.getByLabel('Username', { exact: true }).fill(DEMO_USER);
  await form.getByLabel('Password', { exact: true }).fill(password);
  await form.getByLabel('Password', { exact: true }).press('Enter');
  return panel;
}

export async function signedIn(page: IJupyterLabPageFixture): Promise<Locator> {
  const panel = await signIn(page);
  await expect(panel.locator('.jp-KFPConnect-state')).toHaveText('Connected');
  await expect(panel.locator('.jp-KFPConnect-listFooter')).toContainText('of 500');
  return panel;
}

/** A screenshot of the panel (or the page) in the light and the dark theme. */
export async function shootBothThemes(
  page: IJupyterLabPageFixture,
  name: string,
  target?: Locator
): Promise<void> {
  // Switching the theme may move keyboard focus; specs that go on with the keyboard
  // expect it where it was, so mark the focused element and focus it again afterwards.
  await page.evaluate(() => document.activeElement?.setAttribute('data-kfp-shot-focus', ''));
  for (const theme of ['light', 'dark'] as const) {
    if (theme === 'dark') {
      await page.theme.setDarkTheme();
    } else {
      await page.theme.setLightTheme();
    }
    const path = `${SHOTS}/${name}-${theme}.png`;
    if (target) {
      await target.screenshot({ path });
    } else {
      await page.screenshot({ path });
    }
  }
  await page.theme.setLightTheme();
  await page.evaluate(() => {
    const focused = document.querySelector<HTMLElement>('[data-kfp-shot-focus]');
    focused?.removeAttribute('data-kfp-shot-focus');
    focused?.focus();
  });
}

/** Put a file from ui-tests/fixtures into the Jupyter root. */
export async function putFixture(
  page: IJupyterLabPageFixture,
  fixture: string,
  destination: string
): Promise<void> {
  await page.contents.uploadFile(`fixtures/${fixture}`, destination);
}

/** Call one of the sandbox's test controls (seed, rbac, latency, expire_sessions, ...). */
export async function sandboxControl(
  request: APIRequestContext,
  control: string,
  data: object = {}
): Promise<any> {
  const reply = await request.post(`${SANDBOX}/_sandbox/${control}`, {
    data,
    headers: { 'X-Sandbox-Token': process.env.KFP_SANDBOX_TOKEN ?? '' }
  });
  expect(reply.ok()).toBe(true);
  return reply.json();
}

/** Choose "Other namespace…" and type `name`; returns the field (press Enter to use it). */
export async function typeNamespace(
  panel: Locator,
  name: string
): Promise<Locator> {
  await panel
    .locator('#jp-KFPConnect-namespace-select')
    .selectOption({ label: 'Other namespace…' });
  const typed = panel.getByLabel('Namespace name');
  await typed.fill(name);
  return typed;
}

/** Let the demo user edit in `namespace` (a namespace of the spec's own, so others keep theirs). */
export async function grantEdit(
  request: APIRequestContext,
  namespace: string
): Promise<void> {
  await sandboxControl(request, 'rbac', {
    action: 'grant',
    user: DEMO_USER,
    namespace,
    role: 'edit'
  });
}

/** Sign in and switch the panel to `namespace`, typed by hand; returns the panel. */
export async function signedInTo(
  page: IJupyterLabPageFixture,
  namespace: string
): Promise<Locator> {
  const panel = await signedIn(page);
  await (await typeNamespace(panel, namespace)).press('Enter');
  await expect(panel.locator('#jp-KFPConnect-namespace-select')).toHaveValue(namespace);
  return panel;
}

/** Right-click a file in the file browser (in the folder it shows) and choose a menu entry. */
export async function fileMenu(
  page: IJupyterLabPageFixture,
  fileName: string,
  entry: string
): Promise<void> {
  await page.sidebar.openTab('filebrowser');
  await page
    .locator('.jp-DirListing-item', { hasText: fileName })
    .click({ button: 'right' });
  await page.locator('.lm-Menu-item', { hasText: entry }).click();
}

/** "Upload to Kubeflow Pipelines…" on a file in the file browser; returns the dialog. */
export async function uploadFromFileBrowser(
  page: IJupyterLabPageFixture,
  fileName: string
): Promise<Locator> {
  await fileMenu(page, fileName, 'Upload to Kubeflow Pipelines…');
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toBeVisible();
  return dialog;
}

/**
 * Name the pipeline in the upload dialog once validation has answered (the package's own
 * name fills the field then; typing before it could land in the middle of that change).
 */
export async function fillPipelineName(dialog: Locator, name: string): Promise<void> {
  await expect(dialog.locator('.jp-KFPConnect-validation')).toContainText('A valid KFP pipeline');
  await dialog.getByLabel('Pipeline name').fill(name);
}
