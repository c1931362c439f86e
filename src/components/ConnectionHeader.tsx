import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  caretDownIcon,
  caretRightIcon,
  closeIcon,
  userIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { ConnectionModel } from '../model';
import { NamespacePicker } from './NamespacePicker';
import { ProblemView } from './ProblemView';

/** Human names of the server's auth modes. */
function authLabel(auth: string, trans: TranslationBundle): string {
  switch (auth) {
    case 'dex':
      return trans.__('Dex sign-in');
    case 'token':
      return trans.__('bearer token');
    case 'cookie':
      return trans.__('session cookie');
    case 'in-cluster':
      return trans.__('in-cluster ServiceAccount token');
    case 'none':
      return trans.__('no authentication');
    default:
      return auth;
  }
}

function stateLabel(state: string, trans: TranslationBundle): string {
  switch (state) {
    case 'connected':
      return trans.__('Connected');
    case 'signed_out':
      return trans.__('Signed out');
    case 'expired':
      return trans.__('Session expired');
    case 'error':
      return trans.__('Error');
    default:
      return state;
  }
}

/** Who you are, where, in which namespace; sign out; check the connection. */
export function ConnectionHeader(props: {
  model: ConnectionModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  const status = model.status;
  // Connected, the header can fold to one line (state, who, namespace) to leave room.
  const [folded, setFolded] = React.useState(false);
  if (!status) {
    return (
      <div className="jp-KFPConnect-header" aria-busy="true">
        {trans.__('Reading the connection status…')}
      </div>
    );
  }
  const check = model.checkResult;
  const collapsed = folded && status.state === 'connected' && !model.problem && !check;
  return (
    <div
      className={`jp-KFPConnect-header${collapsed ? ' jp-mod-collapsed' : ''}`}
    >
      <div className="jp-KFPConnect-who">
        {status.state === 'connected' && (
          <button
            type="button"
            className="jp-Button jp-mod-minimal jp-mod-small jp-KFPConnect-iconButton jp-KFPConnect-fold"
            aria-expanded={!collapsed}
            aria-label={trans.__('Show connection details')}
            title={
              collapsed
                ? trans.__('Show connection details')
                : trans.__('Hide connection details')
            }
            onClick={() => setFolded(!collapsed)}
          >
            {collapsed ? (
              <caretRightIcon.react tag="span" />
            ) : (
              <caretDownIcon.react tag="span" />
            )}
          </button>
        )}
        <span
          className={`jp-KFPConnect-state jp-KFPConnect-state-${status.state}`}
          role="status"
          title={trans.__('Connection state')}
        >
          {stateLabel(status.state, trans)}
        </span>
        {status.username && (
          <span className="jp-KFPConnect-user" title={status.username}>
            <userIcon.react tag="span" className="jp-KFPConnect-inlineIcon" />
            <span className="jp-KFPConnect-ellipsis">{status.username}</span>
          </span>
        )}
        {collapsed && status.namespace && (
          <span
            className="jp-KFPConnect-ellipsis jp-KFPConnect-muted"
            title={status.namespace}
          >
            {status.namespace}
          </span>
        )}
      </div>
      {!collapsed && (
      <>
      {status.host && (
        <div className="jp-KFPConnect-where" title={status.host}>
          {status.host}
        </div>
      )}
      {status.state !== 'connected' && status.detection && (
        <details className="jp-KFPConnect-detection">
          <summary>
            {status.detection.front
              ? trans.__('Detected: %1 login in front of KFP', status.detection.front)
              : trans.__('How the endpoint was detected')}
          </summary>
          <ol>
            {status.detection.steps.map((step, i) => (
              <li key={i}>{step}</li>
            ))}
          </ol>
        </details>
      )}
      {status.state === 'connected' && (
        <div className="jp-KFPConnect-mode">
          {trans.__('via %1', authLabel(status.auth, trans))}
          {status.multi_user === false && ` · ${trans.__('single-user KFP')}`}
        </div>
      )}
      {status.state === 'connected' && status.multi_user !== false && (
        <NamespacePicker model={model} trans={trans} />
      )}
      <div className="jp-KFPConnect-actions">
        <Button
          small
          className="jp-mod-styled"
          onClick={() => void model.check()}
          disabled={model.checking}
          title={trans.__('Probe the endpoint and explain any failure')}
        >
          {model.checking
            ? trans.__('Checking…')
            : trans.__('Check connection')}
        </Button>
        {status.state === 'connected' && status.auth !== 'in-cluster' && (
          <Button
            small
            className="jp-mod-styled"
            onClick={() => void model.logout()}
            disabled={model.busy}
          >
            {trans.__('Sign out')}
          </Button>
        )}
      </div>
      </>
      )}
      {check && (
        <div className="jp-KFPConnect-check-result" aria-live="polite">
          <div className="jp-KFPConnect-problemHeader">
            <div
              className={`jp-KFPConnect-problemMessage ${check.ok ? 'jp-KFPConnect-ok' : ''}`}
            >
              {check.ok
                ? trans.__('Connection check passed.')
                : trans.__('Connection check failed.')}
            </div>
            <Button
              minimal
              small
              className="jp-KFPConnect-iconButton"
              aria-label={trans.__('Hide the check')}
              title={trans.__('Hide the check')}
              onClick={() => model.dismissProblem()}
            >
              <closeIcon.react tag="span" />
            </Button>
          </div>
          {check.checks.length > 0 && (
            <ul className="jp-KFPConnect-checks">
              {check.checks.map(c => (
                <li
                  key={c.id}
                  className={
                    c.skipped ? 'jp-mod-skipped' : c.ok ? 'jp-mod-ok' : 'jp-mod-failed'
                  }
                  data-check={c.id}
                >
                  <span aria-hidden="true">
                    {c.skipped ? '–' : c.ok ? '✓' : '✗'}
                  </span>{' '}
                  {c.message}
                </li>
              ))}
            </ul>
          )}
          {check.problem && (
            <ProblemView problem={check.problem} trans={trans} />
          )}
        </div>
      )}
      {model.problem && (
        <ProblemView
          problem={model.problem}
          trans={trans}
          onDismiss={() => model.dismissProblem()}
        />
      )}
      {!model.problem &&
        status.state !== 'connected' &&
        status.problem && (
          <ProblemView problem={status.problem} trans={trans} />
        )}
    </div>
  );
}
