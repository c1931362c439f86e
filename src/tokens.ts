import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';

/*
 * Interfaces, constants and DI tokens only: this module imports nothing of the
 * extension, so every other module may import it (see docs/architecture.md).
 */

/** The npm package name; also the settings plugin id prefix. */
export const PACKAGE_NAME = 'jupyter-kfp-connect';

/** The id of the main plugin (and of its settings in schema/plugin.json). */
export const PLUGIN_ID = `${PACKAGE_NAME}:plugin`;

/** Front-end version, compared with the server extension's (the handshake). */
export const FRONTEND_VERSION: string = require('../package.json').version;

/** Where every REST call goes, relative to the server's base URL. */
export const API_NAMESPACE = 'kfp-connect';

/** The translation domain of every string in the panel. */
export const TRANSLATION_DOMAIN = 'jupyter_kfp_connect';

/** Command ids, so other extensions and the palette can reach them. */
export namespace CommandIDs {
  export const openPanel = 'kfp-connect:open-panel';
  export const uploadPipeline = 'kfp-connect:upload-pipeline';
  export const uploadFile = 'kfp-connect:upload-file';
  export const exportVersion = 'kfp-connect:export-manifests';
  export const exportFile = 'kfp-connect:export-file-manifests';
  export const applyVersion = 'kfp-connect:apply-manifests';
  export const checkConnection = 'kfp-connect:check-connection';
  export const signOut = 'kfp-connect:sign-out';
  export const refresh = 'kfp-connect:refresh';
  export const openRuns = 'kfp-connect:open-runs';
  export const openRun = 'kfp-connect:open-run';
  export const openPipeline = 'kfp-connect:open-pipeline';
  export const compareVersions = 'kfp-connect:compare-versions';
}

/** File names the file browser offers "Upload to Kubeflow Pipelines" for. */
// Case-sensitive like KFP's server, which refuses 'X.YAML'.
export const PIPELINE_FILE_PATTERN = /\.(ya?ml|json|zip|tar\.gz|tgz)$/;

/** The version handshake outcome. */
export interface IVersionCheck {
  /** 'ok', 'missing' (server extension not answering) or 'mismatch'. */
  status: 'ok' | 'missing' | 'mismatch';
  serverVersion: string | null;
  frontendVersion: string;
}

/** The panel's settings (schema/plugin.json); defaults live in settings.ts. */
export interface IPanelSettings {
  defaultScope: Scope;
  pageSize: number;
  searchDebounceMs: number;
  defaultSort: string;
  statusPollSeconds: number;
}

/** Which pipelines a list shows: the namespace's own, or the shared ones. */
export type Scope = 'private' | 'shared';

/** The server's error body: a problem a person can act on. */
export interface IProblem {
  code: string;
  message: string;
  fix: string;
  yaml: string;
  status: number;
  details?: Record<string, unknown>;
}

/** Connection states as the server reports them. */
export type ConnectionState =
  | 'signed_out'
  | 'connected'
  | 'expired'
  | 'error'
  | string;

/** GET status: what the server knows about this user's connection (never a secret). */
export interface IStatus {
  state: ConnectionState;
  /** KFP endpoint (empty when none is configured: the sign-in form asks for it). */
  host: string;
  /** Base of the KFP UI, for links. */
  ui_base?: string;
  api_base?: string;
  namespace: string;
  /** The signed-in identity, when the server knows it. */
  username?: string | null;
  /** How the server authenticates: dex, token, cookie, in-cluster, none, auto. */
  auth: string;
  /** Dex connector (local/ldap) for the form. */
  connector?: string | null;
  /** True when the user has to sign in (signed out or expired, and a login is possible). */
  login_required?: boolean;
  namespace_source?: string;
  in_cluster?: boolean;
  /** What auto-detection found: mode, front (dex, oauth2-proxy...), the steps it took. */
  detection?: {
    mode: string;
    host: string;
    front: string;
    steps: string[];
    login_required: boolean;
  } | null;
  keep_signed_in?: boolean;
  multi_user?: boolean;
  pipeline_store?: string;
  /** Why the state is error/expired, when known. */
  problem?: IProblem | null;
  /** Whether TLS certificates are verified for this connection. */
  verify_ssl?: boolean;
  /** The admin's policy (c.KFPConnect.allow_insecure_tls): may a sign-in turn verification off? */
  allow_insecure_tls?: boolean;
  [key: string]: unknown;
}

/** POST login body. */
export interface ILoginRequest {
  auth: 'dex' | 'token' | 'cookie' | 'none';
  host?: string;
  username?: string;
  password?: string;
  connector?: string;
  keep_signed_in?: boolean;
  token?: string;
  cookie?: string;
  /** false: do not verify the endpoint's TLS certificate (only where the server allows it). */
  verify_ssl?: boolean;
}

/** GET namespaces. */
export interface INamespaces {
  namespaces: { name: string; role?: string }[];
  current: string;
  source?: string;
}

/** GET check: one line per probe, and the diagnosis of the first failure. */
export interface ICheckResult {
  ok: boolean;
  checks: { id: string; ok: boolean; message: string; skipped?: boolean }[];
  problem?: IProblem | null;
}

/** A KFP pipeline as the server lists it (KFP v2beta1 field names). */
export interface IPipeline {
  id: string;
  display_name?: string;
  name?: string;
  description?: string;
  created_at?: string;
  namespace?: string;
  /** True for shared pipelines (no namespace). */
  shared?: boolean;
  ui_url?: string;
}

/** A KFP pipeline version. */
export interface IPipelineVersion {
  id: string;
  pipeline_id?: string;
  display_name?: string;
  name?: string;
  description?: string;
  created_at?: string;
  ui_url?: string;
}

/** One pipeline input parameter from the spec summary. */
export interface ISpecParameter {
  name: string;
  type: string;
  default?: unknown;
  has_default?: boolean;
  optional?: boolean;
  description?: string;
}

/** One task from the spec summary. */
export interface ISpecTask {
  name: string;
  display_name?: string;
  component?: string;
  dependencies: string[];
  kind?: string;
  image?: string | null;
  condition?: string | null;
  loop?: boolean;
}

/** What a pipeline spec declares (packages.summarize on the server). */
export interface ISpecSummary {
  name?: string;
  display_name?: string;
  description?: string;
  parameters: ISpecParameter[];
  tasks: ISpecTask[];
  /** The root DAG as nodes and edges (servers with runs support). */
  dag?: IDag;
  /** The lists were cut (at 1,000 items); `counts` are the spec's own. */
  truncated?: boolean;
  counts?: { tasks: number; parameters: number; artifacts: number };
  [key: string]: unknown;
}

/** A page of pipelines. */
export interface IPipelinePage {
  pipelines: IPipeline[];
  next_page_token?: string;
  total_size?: number;
}

/** Query for one page of pipelines. */
export interface IPipelineQuery {
  scope: Scope;
  page_size?: number;
  page_token?: string;
  sort_by?: string;
  search?: string;
}

/** Where an upload's bytes come from: a browser file or a path in the Jupyter root. */
export type UploadSource = { file: File } | { path: string };

/** Upload options shared by new pipelines and new versions. */
export interface IUploadOptions {
  name?: string;
  /** Human-readable name (KFP 2.14+ keeps it apart from the name). */
  display_name?: string;
  description?: string;
  scope?: Scope;
}

/**
 * The user's connection as the panel sees it (implemented by `ConnectionModel`):
 * the server's status, the last problem, the namespaces on offer, the last check.
 */
export interface IConnectionModel {
  /** Emits after any field changed. */
  readonly changed: ISignal<IConnectionModel, void>;
  /** Emits when the user became connected, switched namespace or signed out. */
  readonly contextChanged: ISignal<IConnectionModel, void>;
  readonly status: IStatus | null;
  readonly connected: boolean;
  readonly busy: boolean;
  /** The last failure of a user action (sign-in, namespace switch...). */
  readonly problem: IProblem | null;
  readonly namespaces: INamespaces | null;
  readonly checkResult: ICheckResult | null;
  readonly checking: boolean;
  refreshStatus(check?: boolean): Promise<IStatus | null>;
  startPolling(seconds: number): void;
  stopPolling(): void;
  login(request: ILoginRequest): Promise<boolean>;
  logout(): Promise<void>;
  loadNamespaces(): Promise<void>;
  /** `check`: list pipelines there first; false (with `problem`) when refused. */
  setNamespace(namespace: string, check?: boolean): Promise<boolean>;
  check(): Promise<ICheckResult | null>;
  dismissProblem(): void;
  handleError(error: unknown): IProblem;
}

/** Options of the pipeline list; all come from the settings. */
export interface IListOptions {
  scope: Scope;
  pageSize: number;
  sortBy: string;
  searchDebounceMs: number;
}

/**
 * One scrollable list of pipelines (implemented by `PipelineListModel`): scope,
 * search, sort, the pages loaded so far.
 */
export interface IPipelineListModel {
  readonly changed: ISignal<IPipelineListModel, void>;
  readonly items: readonly IPipeline[];
  readonly scope: Scope;
  readonly search: string;
  readonly sortBy: string;
  readonly pageSize: number;
  readonly loading: boolean;
  readonly error: IProblem | null;
  /** More pages to load (KFP gave a next_page_token). */
  readonly hasMore: boolean;
  readonly pagesLoaded: number;
  readonly totalSize: number | null;
  /** True once the first page of the current query arrived. */
  readonly loaded: boolean;
  configure(options: Partial<IListOptions>): void;
  setScope(scope: Scope): Promise<void>;
  setSort(sortBy: string): Promise<void>;
  setSearch(text: string): void;
  refresh(): Promise<void>;
  loadMore(): Promise<void>;
  retry(): Promise<void>;
  clear(): void;
  remove(pipelineId: string): void;
}

/* ---- Runs (GET/POST runs, experiments; see openapi.yaml) ---- */
/** KFP v2beta1 RuntimeState names (run.proto). */
export type RunState =
  | 'RUNTIME_STATE_UNSPECIFIED'
  | 'PENDING'
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'SKIPPED'
  | 'FAILED'
  | 'CANCELING'
  | 'CANCELED'
  | 'PAUSED'
  | string;

/** A run as the server lists it. */
export interface IRun {
  run_id: string;
  display_name: string;
  description?: string;
  state: RunState;
  /** AVAILABLE or ARCHIVED. */
  storage_state?: string;
  pipeline_id?: string | null;
  pipeline_name?: string | null;
  pipeline_version_id?: string | null;
  pipeline_version_name?: string | null;
  experiment_id?: string | null;
  experiment_name?: string | null;
  created_at?: string | null;
  scheduled_at?: string | null;
  finished_at?: string | null;
  error_message?: string | null;
  service_account?: string | null;
  ui_url?: string | null;
}

/** One task of a run (its state and timings). */
export interface IRunTask {
  task_id: string;
  name: string;
  display_name?: string;
  state: RunState;
  start_time?: string | null;
  end_time?: string | null;
  error_message?: string | null;
  parent_task_id?: string | null;
  child_tasks?: string[];
}

/** A task graph: the spec's (no state) or a run's (with each task's state). */
export interface IDag {
  nodes: { id: string; label: string; kind?: string; state?: RunState }[];
  edges: { from: string; to: string }[];
}

/** What KFP allows on a run in its current state. */
export interface IRunActions {
  terminate: boolean;
  retry: boolean;
  archive: boolean;
  unarchive: boolean;
  delete: boolean;
}

/** GET runs/{id}. */
export interface IRunDetail extends IRun {
  parameters: Record<string, unknown>;
  tasks: IRunTask[];
  dag: IDag;
  actions: IRunActions;
}

/** GET runs. */
export interface IRunPage {
  runs: IRun[];
  next_page_token?: string;
  total_size?: number;
}

/** The filters and sort of a runs list. */
export interface IRunFilter {
  state?: string;
  pipeline_id?: string;
  pipeline_version_id?: string;
  experiment_id?: string;
  search?: string;
  archived?: boolean;
}

/** Query for one page of runs. */
export interface IRunQuery extends IRunFilter {
  page_size?: number;
  page_token?: string;
  sort_by?: string;
}

/** A KFP experiment. */
export interface IExperiment {
  experiment_id: string;
  display_name: string;
  description?: string;
  namespace?: string;
  created_at?: string;
  storage_state?: string;
}

export interface IExperimentPage {
  experiments: IExperiment[];
  next_page_token?: string;
}

/** Parameter types of a pipeline's root inputs (KFP ParameterType without its prefix). */
export type ParameterType =
  | 'STRING'
  | 'NUMBER_INTEGER'
  | 'NUMBER_DOUBLE'
  | 'BOOLEAN'
  | 'LIST'
  | 'STRUCT'
  | string;

/** One root input parameter as the server describes it. */
export interface IRunParameterSpec {
  name: string;
  type: ParameterType;
  default?: unknown;
  has_default?: boolean;
  optional?: boolean;
  description?: string;
}

/** POST runs. */
export interface ICreateRunRequest {
  pipeline_id: string;
  pipeline_version_id?: string;
  display_name: string;
  description?: string;
  parameters: Record<string, unknown>;
  experiment_id?: string;
  experiment_name?: string;
}

/** POST runs/validate. */
export interface IValidateRunResult {
  ok: boolean;
  errors: Record<string, string>;
  parameters: IRunParameterSpec[];
}

/** The run actions the server offers as POST runs/{id}/{action}. */
export type RunAction = 'terminate' | 'retry' | 'archive' | 'unarchive';

/** The service other plugins can depend on. */
export interface IKFPConnect {
  readonly versionCheck: Promise<IVersionCheck>;
  /** The user's connection (status, sign-in, namespace); signals on change. */
  readonly connection: IConnectionModel;
  /** The panel's pipeline list. */
  readonly pipelines: IPipelineListModel;
}

export const IKFPConnect = new Token<IKFPConnect>(
  `${PACKAGE_NAME}:IKFPConnect`,
  'The Kubeflow Pipelines connection service.'
);
