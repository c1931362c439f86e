import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { API_NAMESPACE } from './tokens';

/** The server's error body: a problem a person can act on. */
export interface IProblem {
  code: string;
  message: string;
  fix: string;
  yaml: string;
  status: number;
  details?: Record<string, unknown>;
}

/** A failed call to the server extension, carrying its diagnosis. */
export class ApiError extends Error {
  constructor(
    readonly problem: IProblem,
    readonly response?: Response
  ) {
    super(problem.message);
  }

  get status(): number {
    return this.problem.status;
  }

  get code(): string {
    return this.problem.code;
  }
}

/**
 * Call the server extension: `endPoint` is relative to `{base_url}kfp-connect/`.
 * Every failure (network, non-JSON, HTTP error) becomes an `ApiError` with a problem.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ApiError({
      code: 'server_unreachable',
      message: `The Jupyter server did not answer: ${String(error)}`,
      fix: 'Check that the Jupyter server is still running.',
      yaml: '',
      status: 0
    });
  }
  const text = await response.text();
  let data: any = null;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const problem: IProblem =
      data && data.error && typeof data.error === 'object'
        ? data.error
        : {
            code: response.status === 404 ? 'extension_missing' : 'http_error',
            message:
              response.status === 404
                ? 'The jupyter_kfp_connect server extension is not answering (404).'
                : `The server answered ${response.status} ${response.statusText}.`,
            fix:
              response.status === 404
                ? 'Install the Python package in the environment that runs the Jupyter server and restart it: pip install jupyter_kfp_connect'
                : '',
            yaml: '',
            status: response.status
          };
    throw new ApiError(problem, response);
  }
  return data as T;
}
