import { TranslationBundle } from '@jupyterlab/translation';
import { infoIcon, launchIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { kfpUiHint } from '../kfpLinks';
import { IStatus } from '../tokens';

let hintIds = 0;

/**
 * "Open in KFP UI" with what is true of it here (see `kfpUiHint`): the short words beside
 * the link in the main area (`inline`), an info mark with the whole story in the sidebar.
 */
export function KfpUiLink(props: {
  href: string;
  label: string;
  status: IStatus | null;
  trans: TranslationBundle;
  inline?: boolean;
}): JSX.Element {
  const { href, label, status, trans } = props;
  const hint = kfpUiHint(status, href, trans);
  const id = React.useMemo(() => `jp-KFPConnect-linkHint-${++hintIds}`, []);
  return (
    <span className="jp-KFPConnect-uiLink">
      <a
        className="jp-KFPConnect-link"
        href={href}
        target="_blank"
        rel="noopener noreferrer"
        title={hint?.text}
        aria-describedby={hint ? id : undefined}
      >
        <launchIcon.react tag="span" className="jp-KFPConnect-inlineIcon" />
        {label}
      </a>
      {hint && (
        <span
          id={id}
          className="jp-KFPConnect-linkHint"
          data-hint={hint.kind}
          title={hint.text}
          role="note"
        >
          <infoIcon.react tag="span" className="jp-KFPConnect-inlineIcon" />
          {props.inline && (
            <span className="jp-KFPConnect-linkHintText" aria-hidden="true">
              {hint.short}
            </span>
          )}
          <span className="jp-KFPConnect-srOnly">{hint.text}</span>
        </span>
      )}
    </span>
  );
}
