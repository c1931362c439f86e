import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IVersionCheck } from '../tokens';

/** Warns when the server extension is missing or does not match the front end. */
export function VersionBanner(props: {
  check: IVersionCheck | null;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { check, trans } = props;
  if (!check || check.status === 'ok') {
    return null;
  }
  if (check.status === 'missing') {
    return (
      <div className="jp-KFPConnect-banner jp-mod-error" role="alert">
        <strong>{trans.__('Server extension not found.')}</strong>{' '}
        {trans.__(
          'The jupyter_kfp_connect server extension is not answering. Install the Python package where the Jupyter server runs (pip install jupyter_kfp_connect) and restart the server.'
        )}
      </div>
    );
  }
  return (
    <div className="jp-KFPConnect-banner" role="alert">
      <strong>{trans.__('Version mismatch.')}</strong>{' '}
      {trans.__(
        'The server extension is version %1 but the panel is version %2. Reinstall jupyter_kfp_connect and restart the server, then reload this page.',
        check.serverVersion ?? '?',
        check.frontendVersion
      )}
    </div>
  );
}
