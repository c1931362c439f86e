import { Token } from '@lumino/coreutils';

/** The npm package name; also the settings plugin id prefix. */
export const PACKAGE_NAME = 'jupyter-kfp-connect';

/** The id of the main plugin (and of its settings in schema/plugin.json). */
export const PLUGIN_ID = `${PACKAGE_NAME}:plugin`;

/** Front-end version, compared with the server extension's (the handshake). */
export const FRONTEND_VERSION: string = require('../package.json').version;

/** Where every REST call goes, relative to the server's base URL. */
export const API_NAMESPACE = 'kfp-connect';

/** Command ids, so other extensions and the palette can reach them. */
export namespace CommandIDs {
  export const openPanel = 'kfp-connect:open-panel';
}

/** The version handshake outcome. */
export interface IVersionCheck {
  /** 'ok', 'missing' (server extension not answering) or 'mismatch'. */
  status: 'ok' | 'missing' | 'mismatch';
  serverVersion: string | null;
  frontendVersion: string;
}

/** The service other plugins can depend on. */
export interface IKFPConnect {
  readonly versionCheck: Promise<IVersionCheck>;
}

export const IKFPConnect = new Token<IKFPConnect>(
  `${PACKAGE_NAME}:IKFPConnect`,
  'The Kubeflow Pipelines connection service.'
);
