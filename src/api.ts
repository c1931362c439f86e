import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';

import {
  API_NAMESPACE,
  ICreateRunRequest,
  IExperimentPage,
  IRun,
  IRunDetail,
  IRunPage,
  IRunQuery,
  IValidateRunResult,
  RunAction,
  ICheckResult,
  ILoginRequest,
  INamespaces,
  IPipeline,
  IPipelinePage,
  IPipelineQuery,
  IPipelineVersion,
  IProblem,
  ISpecSummary,
  IStatus,
  IUploadOptions,
  TRANSLATION_DOMAIN,
  UploadSource
} from './tokens';

/** The messages this module writes itself (the server's come translated or as data). */
let trans: TranslationBundle = nullTranslator.load(TRANSLATION_DOMAIN);

/** Use the application's language for the front end's own error messages. */
export function setTranslator(translator: ITranslator): void {
  trans = translator.load(TRANSLATION_DOMAIN);
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
      message: trans.__('The Jupyter server did not answer: %1', String(error)),
      fix: trans.__('Check that the Jupyter server is still running.'),
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
                ? trans.__(
                    'The jupyter_kfp_connect server extension is not answering (404).'
                  )
                : trans.__(
                    'The server answered %1 %2.',
                    response.status,
                    response.statusText
                  ),
            fix:
              response.status === 404
                ? trans.__(
                    'Install the Python package in the environment that runs the Jupyter server and restart it: pip install jupyter_kfp_connect'
                  )
                : '',
            yaml: '',
            status: response.status
          };
    throw new ApiError(problem, response);
  }
  return data as T;
}

/** The shape of `requestAPI`, so tests and other plugins can pass their own. */
export type RequestFn = <T>(endPoint: string, init?: RequestInit) => Promise<T>;

/** Codes that mean "ask the user to sign in again". */
export const SIGN_IN_CODES = new Set([
  'not_signed_in',
  'session_expired',
  'invalid_credentials',
  'token_rejected'
]);

/** Turn anything thrown into a problem the panel can show. */
export function toProblem(error: unknown): IProblem {
  if (error instanceof ApiError) {
    return error.problem;
  }
  return {
    code: 'client_error',
    message: error instanceof Error ? error.message : String(error),
    fix: '',
    yaml: '',
    status: 0
  };
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') {
      search.set(key, String(value));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

function json(method: string, body?: unknown): RequestInit {
  return body === undefined
    ? { method }
    : { method, body: JSON.stringify(body) };
}

/** A multipart body (browser file) or a JSON body (a path in the Jupyter root). */
function uploadInit(
  source: UploadSource,
  options: IUploadOptions
): RequestInit {
  const fields: Record<string, string | undefined> = {
    name: options.name,
    display_name: options.display_name,
    description: options.description,
    scope: options.scope
  };
  if ('file' in source) {
    const form = new FormData();
    form.append('file', source.file, source.file.name);
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined && value !== '') {
        form.append(key, value);
      }
    }
    return { method: 'POST', body: form };
  }
  const body: Record<string, string> = { path: source.path };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== '') {
      body[key] = value;
    }
  }
  return json('POST', body);
}

/**
 * Typed client for the extension's REST API (see openapi.yaml). No state, no React:
 * models hold state, components render it.
 */
export class KFPService {
  constructor(private readonly request: RequestFn = requestAPI) {}

  /** `check`: the server first makes one light authenticated KFP call (finds expiry). */
  status(check = false): Promise<IStatus> {
    return this.request<IStatus>(check ? 'status?check=1' : 'status');
  }

  login(body: ILoginRequest): Promise<IStatus> {
    return this.request<IStatus>('login', json('POST', body));
  }

  logout(): Promise<IStatus> {
    return this.request<IStatus>('logout', json('POST', {}));
  }

  namespaces(): Promise<INamespaces> {
    return this.request<INamespaces>('namespaces');
  }

  /** `check`: refuse (403 namespace_denied) unless KFP lists pipelines there. */
  setNamespace(namespace: string, check = false): Promise<unknown> {
    return this.request(
      'namespace',
      json('PUT', check ? { namespace, check } : { namespace })
    );
  }

  check(): Promise<ICheckResult> {
    return this.request<ICheckResult>('check');
  }

  listPipelines(q: IPipelineQuery): Promise<IPipelinePage> {
    return this.request<IPipelinePage>(
      `pipelines${query({
        scope: q.scope,
        page_size: q.page_size,
        page_token: q.page_token,
        sort_by: q.sort_by,
        search: q.search
      })}`
    );
  }

  /**
   * A pipeline with a page of its versions (newest first, KFP's 200 a page), their total,
   * and the token of the next (older) page.
   */
  getPipeline(
    id: string,
    pageToken = ''
  ): Promise<{
    pipeline: IPipeline;
    versions: IPipelineVersion[];
    total: number;
    nextPageToken: string;
  }> {
    const query = new URLSearchParams({ page_size: '200' });
    if (pageToken) {
      query.set('page_token', pageToken);
    }
    return this.request<any>(
      `pipelines/${encodeURIComponent(id)}?${query.toString()}`
    ).then(data => {
      // Newest first, whatever order the page came in: every view lists them so.
      const versions: IPipelineVersion[] = [...(data?.versions ?? [])].sort((a, b) =>
        (b.created_at ?? '').localeCompare(a.created_at ?? '')
      );
      return {
        pipeline: data?.pipeline ?? data,
        versions,
        total: Number(data?.total_size ?? versions.length),
        nextPageToken: data?.next_page_token ?? ''
      };
    });
  }

  getVersion(
    id: string,
    versionId: string
  ): Promise<{ version: IPipelineVersion; summary: ISpecSummary | null }> {
    return this.request<any>(
      `pipelines/${encodeURIComponent(id)}/versions/${encodeURIComponent(versionId)}`
    ).then(data => ({
      version: data?.version ?? data,
      summary: data?.summary ?? data?.version?.summary ?? null
    }));
  }

  deletePipeline(id: string): Promise<unknown> {
    return this.request(
      `pipelines/${encodeURIComponent(id)}`,
      { method: 'DELETE' }
    );
  }

  /** The version's stored spec as YAML: `{filename, yaml}`. */
  /**
   * How many versions each pipeline has (KFP's list carries no count; the server asks KFP's
   * list versions per id, a few at a time). `null` for a pipeline gone or not readable.
   */
  async versionCounts(ids: string[]): Promise<Record<string, number | null>> {
    const answer = await this.request<{ counts: Record<string, number | null> }>(
      `version-counts${query({ ids: ids.join(',') })}`
    );
    return answer.counts ?? {};
  }

  versionPackage(
    id: string,
    versionId: string
  ): Promise<{ filename: string; yaml: string }> {
    return this.request(
      `pipelines/${encodeURIComponent(id)}/versions/${encodeURIComponent(versionId)}/package`
    );
  }

  deleteVersion(id: string, versionId: string): Promise<unknown> {
    return this.request(
      `pipelines/${encodeURIComponent(id)}/versions/${encodeURIComponent(versionId)}`,
      { method: 'DELETE' }
    );
  }

  /** Validate a package without uploading it; resolves with its summary. */
  validate(source: UploadSource): Promise<any> {
    return this.request<any>('validate', uploadInit(source, {}));
  }

  uploadPipeline(
    source: UploadSource,
    options: IUploadOptions
  ): Promise<any> {
    return this.request<any>('pipelines', uploadInit(source, options));
  }

  uploadVersion(
    pipelineId: string,
    source: UploadSource,
    options: IUploadOptions
  ): Promise<any> {
    return this.request<any>(
      `pipelines/${encodeURIComponent(pipelineId)}/versions`,
      uploadInit(source, options)
    );
  }

  /** Pipeline + PipelineVersion manifests of a stored version or a package in the root. */
  exportManifests(source: IManifestSource): Promise<IExportedManifests> {
    return this.request<IExportedManifests>(
      'manifests/export',
      json('POST', source)
    );
  }

  /** Create or update those objects in the cluster (after a SelfSubjectAccessReview). */
  applyManifests(
    source: IManifestSource & { yaml?: string }
  ): Promise<{
    namespace: string;
    results: { kind: string; name: string; action: string }[];
  }> {
    return this.request<any>('manifests/apply', json('POST', source));
  }

  /** May this server apply manifests in `namespace`? */
  manifestAccess(
    namespace = ''
  ): Promise<{ available: boolean; allowed: boolean; namespace: string }> {
    return this.request<any>(`manifests/access${query({ namespace })}`);
  }

  /** One KFP page of the namespace's runs (filters and sort applied by KFP). */
  listRuns(q: IRunQuery): Promise<IRunPage> {
    return this.request<IRunPage>(
      `runs${query({
        page_size: q.page_size,
        page_token: q.page_token,
        sort_by: q.sort_by,
        state: q.state,
        pipeline_id: q.pipeline_id,
        pipeline_version_id: q.pipeline_version_id,
        experiment_id: q.experiment_id,
        search: q.search,
        archived: q.archived === undefined ? undefined : String(q.archived)
      })}`
    );
  }

  /** A run with its parameters, tasks, DAG and the actions KFP allows now. */
  getRun(runId: string): Promise<IRunDetail> {
    return this.request<IRunDetail>(`runs/${encodeURIComponent(runId)}`);
  }

  /** Start a run; a 400 `invalid_parameters` carries `details.errors` per parameter. */
  createRun(body: ICreateRunRequest): Promise<IRun> {
    return this.request<IRun>('runs', json('POST', body));
  }

  /** The same parameter check as createRun, without starting anything. */
  validateRun(body: {
    pipeline_id: string;
    pipeline_version_id?: string;
    parameters: Record<string, unknown>;
  }): Promise<IValidateRunResult> {
    return this.request<IValidateRunResult>('runs/validate', json('POST', body));
  }

  runAction(runId: string, action: RunAction): Promise<IRun> {
    return this.request<IRun>(
      `runs/${encodeURIComponent(runId)}/${action}`,
      json('POST', {})
    );
  }

  deleteRun(runId: string): Promise<unknown> {
    return this.request(`runs/${encodeURIComponent(runId)}`, { method: 'DELETE' });
  }

  listExperiments(q: {
    page_size?: number;
    page_token?: string;
    search?: string;
  }): Promise<IExperimentPage> {
    return this.request<IExperimentPage>(
      `experiments${query({
        page_size: q.page_size,
        page_token: q.page_token,
        search: q.search
      })}`
    );
  }
}

/** What to export: a stored version, or a package file in the Jupyter root. */
export interface IManifestSource {
  pipeline_id?: string;
  version_id?: string;
  path?: string;
  namespace?: string;
}

export interface IExportedManifests {
  yaml: string;
  filename: string;
  namespace: string;
  documents: { kind: string; name: string }[];
  renamed: { field: string; from: string; to: string }[];
}
