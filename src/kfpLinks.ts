import { TranslationBundle } from '@jupyterlab/translation';

import { IStatus } from './tokens';

/** Where the KFP UI shows a pipeline (or one version); the server's link wins. */
export function kfpUiLink(
  status: IStatus | null,
  pipelineId: string,
  versionId?: string
): string | null {
  const base = String(status?.ui_base || '').replace(/\/+$/, '');
  if (!base) {
    return null;
  }
  const path = `/#/pipelines/details/${encodeURIComponent(pipelineId)}`;
  return versionId
    ? `${base}${path}/version/${encodeURIComponent(versionId)}`
    : `${base}${path}`;
}

/** What a person should know before following an "Open in KFP UI" link. */
export interface IUiLinkHint {
  /** Why: `sign-in` (a Kubeflow login front), `token` (a ServiceAccount token), `local`. */
  kind: 'sign-in' | 'token' | 'local';
  /** A few words beside the link. */
  short: string;
  /** The whole story, for the tooltip and screen readers. */
  text: string;
}

/** The login fronts whose pages a browser must sign in to itself. */
const LOGIN_FRONTS = new Set(['oauth2-proxy', 'authservice', 'gateway', 'dex']);

function isLoopback(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, '').toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127\./.test(name);
}

/**
 * What is true of the KFP UI link for this connection. Behind Dex (oauth2-proxy or
 * authservice) the link opens Kubeflow's own pages, which ask this browser to sign in:
 * the session the panel uses lives on the Jupyter server and never goes to the browser.
 * With a ServiceAccount token (in a cluster, or pasted) the browser has no token either:
 * it opens the UI with whatever access it has, if it can reach the address at all. A
 * loopback address is the Jupyter server's own machine, not necessarily the browser's.
 */
export function kfpUiHint(
  status: IStatus | null,
  link: string | null,
  trans: TranslationBundle,
  browserHost: string = typeof window === 'undefined' ? '' : window.location.hostname
): IUiLinkHint | null {
  if (!status || !link) {
    return null;
  }
  let host = '';
  try {
    host = new URL(link).hostname;
  } catch {
    host = '';
  }
  const front = String(status.front || status.detection?.front || '');
  const auth = String(status.auth || '');
  if (LOGIN_FRONTS.has(front) || auth === 'dex' || auth === 'cookie') {
    return {
      kind: 'sign-in',
      short: trans.__('Sign in to Kubeflow in this browser first.'),
      text: trans.__(
        "Opens Kubeflow's own UI in a new tab, which asks this browser to sign in to Kubeflow (%1). Your session here stays on the Jupyter server and is not passed to the browser.",
        host || link
      )
    };
  }
  const local = isLoopback(host) && !isLoopback(browserHost);
  const unreachable = trans.__(
    '%1 is the Jupyter server\'s own machine: from this browser it may not open. Forward the port, or set KF_PIPELINES_UI_ENDPOINT (c.KFPConnect.ui_host) to an address your browser reaches.',
    host
  );
  if (auth === 'token' || auth === 'in-cluster') {
    const text = trans.__(
      "Opens the KFP UI at %1 with this browser's own access: the ServiceAccount token this server uses is not passed to it, and the address must be reachable from your browser.",
      host || link
    );
    return {
      kind: 'token',
      short: local
        ? trans.__('May not open from this browser.')
        : trans.__("Opens with this browser's own access."),
      text: local ? `${text} ${unreachable}` : text
    };
  }
  if (local) {
    return {
      kind: 'local',
      short: trans.__('May not open from this browser.'),
      text: unreachable
    };
  }
  return null;
}
