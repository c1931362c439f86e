import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { RunState } from '../tokens';

/** A state for people, translated ("Succeeded", not "SUCCEEDED"). */
export function stateLabel(state: RunState | null | undefined, trans: TranslationBundle): string {
  switch (state) {
    case 'PENDING':
      return trans.__('Pending');
    case 'RUNNING':
      return trans.__('Running');
    case 'SUCCEEDED':
      return trans.__('Succeeded');
    case 'SKIPPED':
      return trans.__('Skipped');
    case 'FAILED':
      return trans.__('Failed');
    case 'CANCELING':
      return trans.__('Canceling');
    case 'CANCELED':
      return trans.__('Canceled');
    case 'PAUSED':
      return trans.__('Paused');
    case undefined:
    case null:
    case '':
    case 'RUNTIME_STATE_UNSPECIFIED':
      return trans.__('Unknown');
    default:
      return String(state);
  }
}

/** A glyph per state, so the state reads without its colour too. */
export function stateGlyph(state: RunState | null | undefined): string {
  switch (state) {
    case 'SUCCEEDED':
      return '✓';
    case 'FAILED':
      return '✗';
    case 'RUNNING':
      return '●';
    case 'PENDING':
      return '○';
    case 'CANCELING':
    case 'CANCELED':
      return '⊘';
    case 'SKIPPED':
      return '↷';
    case 'PAUSED':
      return '‖';
    default:
      return '?';
  }
}

/** The CSS class of a state (colours come from JupyterLab's variables, see base.css). */
export function stateClass(state: RunState | null | undefined): string {
  return `jp-KFPConnect-runState-${String(state || 'unknown').toLowerCase()}`;
}

/** A run's or a task's state: glyph and word, coloured by JupyterLab's theme. */
export function RunStateBadge(props: {
  state: RunState | null | undefined;
  trans: TranslationBundle;
}): JSX.Element {
  const { state, trans } = props;
  return (
    <span
      className={`jp-KFPConnect-runState ${stateClass(state)}`}
      role="status"
      data-state={state || 'unknown'}
    >
      <span aria-hidden="true" className="jp-KFPConnect-runStateGlyph">
        {stateGlyph(state)}
      </span>{' '}
      {stateLabel(state, trans)}
    </span>
  );
}
