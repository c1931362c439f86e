import { Clipboard } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, closeIcon, copyIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IProblem } from '../tokens';

/** A diagnosis: what went wrong, how to fix it, and the YAML that fixes it (copyable). */
export function ProblemView(props: {
  problem: IProblem;
  trans: TranslationBundle;
  onDismiss?: () => void;
  /** 'error' (red edge) or 'warning'. */
  kind?: 'error' | 'warning';
}): JSX.Element {
  const { problem, trans, onDismiss } = props;
  const [copied, setCopied] = React.useState(false);
  const copy = () => {
    Clipboard.copyToSystem(problem.yaml);
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };
  return (
    <div
      className={`jp-KFPConnect-problem jp-KFPConnect-problem-${props.kind ?? 'error'}`}
      role="alert"
      data-code={problem.code}
    >
      <div className="jp-KFPConnect-problemHeader">
        <div className="jp-KFPConnect-problemMessage">{problem.message}</div>
        {onDismiss && (
          <Button
            minimal
            small
            className="jp-KFPConnect-iconButton"
            aria-label={trans.__('Dismiss')}
            title={trans.__('Dismiss')}
            onClick={onDismiss}
          >
            <closeIcon.react tag="span" />
          </Button>
        )}
      </div>
      {problem.fix && (
        <div className="jp-KFPConnect-problemFix">
          <strong>{trans.__('Fix:')}</strong> {problem.fix}
        </div>
      )}
      {typeof problem.details?.kfp_message === 'string' &&
        problem.details.kfp_message && (
          <details className="jp-KFPConnect-problemDetails">
            <summary>{trans.__('Details from Kubeflow Pipelines')}</summary>
            <pre>{problem.details.kfp_message}</pre>
          </details>
        )}
      {problem.yaml && (
        <div className="jp-KFPConnect-yaml">
          <div className="jp-KFPConnect-yamlBar">
            <span>{trans.__('Apply this YAML (kubectl apply -f -):')}</span>
            <Button
              small
              minimal
              className="jp-KFPConnect-copy"
              aria-label={trans.__('Copy YAML')}
              onClick={copy}
            >
              <copyIcon.react tag="span" />{' '}
              {copied ? trans.__('Copied') : trans.__('Copy')}
            </Button>
          </div>
          <pre tabIndex={0} aria-label={trans.__('YAML that fixes it')}>
            {problem.yaml}
          </pre>
        </div>
      )}
    </div>
  );
}
