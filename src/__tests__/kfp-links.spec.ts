import { nullTranslator } from '@jupyterlab/translation';

import { kfpUiHint, kfpUiLink } from '../kfpLinks';
import { IStatus } from '../tokens';

const trans = nullTranslator.load('jupyter_kfp_connect');

function status(fields: Partial<IStatus>): IStatus {
  return { state: 'connected', host: '', namespace: 'ns', auth: 'none', ...fields };
}

describe('kfpUiHint: what is true of "Open in KFP UI"', () => {
  const gateway = 'https://kubeflow.example.com/pipeline/#/pipelines/details/p';

  it('behind Dex the browser signs in to Kubeflow itself', () => {
    for (const s of [
      status({ auth: 'dex', front: 'oauth2-proxy' }),
      status({ auth: 'cookie' }),
      status({ auth: 'token', front: 'oauth2-proxy' }),
      status({ auth: 'dex', detection: { mode: 'dex', host: '', front: 'authservice', steps: [], login_required: true } })
    ]) {
      const hint = kfpUiHint(s, gateway, trans, 'jupyter.example.com');
      expect(hint?.kind).toBe('sign-in');
      expect(hint?.short).toBe('Sign in to Kubeflow in this browser first.');
      expect(hint?.text).toContain('kubeflow.example.com');
      expect(hint?.text).toContain('not passed to the browser');
    }
  });

  it('with a ServiceAccount token it says the browser has its own access, not a sign-in', () => {
    const hint = kfpUiHint(
      status({ auth: 'in-cluster', front: 'kfp' }),
      'https://kfp.example.com/#/runs/details/r',
      trans,
      'jupyter.example.com'
    );
    expect(hint?.kind).toBe('token');
    expect(hint?.text).not.toContain('sign in');
    expect(hint?.text).toContain('token this server uses is not passed');
    expect(hint?.text).toContain('reachable from your browser');
  });

  it("a loopback address is the server's machine, unless the browser is there too", () => {
    const link = 'http://127.0.0.1:8080/#/pipelines/details/p';
    const far = kfpUiHint(status({ auth: 'none' }), link, trans, 'jupyter.example.com');
    expect(far?.kind).toBe('local');
    expect(far?.text).toContain('KF_PIPELINES_UI_ENDPOINT');
    expect(kfpUiHint(status({ auth: 'none' }), link, trans, 'localhost')).toBeNull();
    const token = kfpUiHint(status({ auth: 'token' }), link, trans, 'jupyter.example.com');
    expect(token?.short).toBe('May not open from this browser.');
  });

  it('no link, no hint', () => {
    expect(kfpUiHint(status({ auth: 'dex' }), null, trans)).toBeNull();
    expect(kfpUiLink(status({ ui_base: '' }), 'p')).toBeNull();
    expect(kfpUiLink(status({ ui_base: 'http://h/pipeline/' }), 'p', 'v')).toBe(
      'http://h/pipeline/#/pipelines/details/p/version/v'
    );
  });
});
