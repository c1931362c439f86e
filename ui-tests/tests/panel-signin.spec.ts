import { expect, test } from '@jupyterlab/galata';

import {
  DEMO_NAMESPACE,
  DEMO_USER,
  openPanel,
  shootBothThemes,
  signIn
} from './panel-helpers';

test.describe('sign-in and diagnosis', () => {
  test('a wrong password is explained, the right one signs in', async ({
    page
  }) => {
    const panel = await openPanel(page);
    await expect(panel.locator('.jp-KFPConnect-state')).toHaveText(
      'Signed out'
    );
    await shootBothThemes(page, 'signin-form', panel);

    await signIn(page, 'not-the-password');
    const problem = panel.locator('.jp-KFPConnect-problem');
    await expect(problem).toHaveAttribute('data-code', 'invalid_credentials');
    await expect(problem.locator('.jp-KFPConnect-problemMessage')).toContainText(
      'Kubeflow rejected the username or password'
    );
    await expect(problem.locator('.jp-KFPConnect-problemFix')).toHaveText(
      'Fix: Check the email address, password and connector (local or ldap) and try again.'
    );
    // The password never stays in the form.
    await expect(panel.getByLabel('Password', { exact: true })).toHaveValue('');
    await shootBothThemes(page, 'signin-wrong-password', panel);

    await signIn(page);
    await expect(panel.locator('.jp-KFPConnect-state')).toHaveText('Connected');
    await expect(panel.locator('.jp-KFPConnect-user')).toHaveText(DEMO_USER);
    await expect(
      panel.locator('#jp-KFPConnect-namespace-select')
    ).toHaveValue(DEMO_NAMESPACE);
    await expect(panel.locator('.jp-KFPConnect-problem')).toHaveCount(0);
  });

  test('check connection lists each probe; sign out asks again', async ({
    page
  }) => {
    const panel = await signIn(page);
    await expect(panel.locator('.jp-KFPConnect-state')).toHaveText('Connected');
    await panel.getByRole('button', { name: 'Check connection' }).click();
    const checks = panel.locator('.jp-KFPConnect-checks li');
    await expect(checks.first()).toBeVisible();
    await expect(panel.locator('.jp-KFPConnect-checks .jp-mod-failed')).toHaveCount(0);
    await expect(panel.locator('.jp-KFPConnect-check-result')).toContainText(
      'Connection check passed'
    );

    await panel.getByRole('button', { name: 'Sign out' }).click();
    await expect(panel.locator('.jp-KFPConnect-state')).toHaveText('Signed out');
    await expect(panel.locator('form.jp-KFPConnect-signin')).toBeVisible();

    // Signed out, the check explains what is missing and how to fix it.
    await panel.getByRole('button', { name: 'Check connection' }).click();
    const checked = panel.locator(
      '.jp-KFPConnect-check-result .jp-KFPConnect-problem'
    );
    await expect(checked).toHaveAttribute('data-code', 'not_signed_in');
    await expect(checked.locator('.jp-KFPConnect-problemMessage')).toContainText(
      'Not signed in to Kubeflow Pipelines at'
    );
    await expect(checked.locator('.jp-KFPConnect-problemFix')).toHaveText(
      'Fix: Sign in with your Kubeflow (Dex) account, or paste a bearer token or a session cookie.'
    );
    await shootBothThemes(page, 'check-signed-out', panel);
  });
});
