import { ISignal, Signal } from '@lumino/signaling';

import { ApiError, KFPService, SIGN_IN_CODES, toProblem } from './api';
import {
  ICheckResult,
  IConnectionModel,
  IListOptions,
  ILoginRequest,
  INamespaces,
  IPipeline,
  IPipelineListModel,
  IProblem,
  IStatus,
  Scope
} from './tokens';

/** Pipelines per version-count request (the server's limit, one KFP page). */
export const MAX_COUNT_IDS = 200;

/**
 * The user's connection as the panel sees it: the server's status, the last problem,
 * the namespaces on offer and the last connection check. No React here; components
 * re-render on `changed`.
 */
export class ConnectionModel implements IConnectionModel {
  constructor(readonly service: KFPService) {}

  /** Emits after any field changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emits when the user became connected, switched namespace or signed out. */
  get contextChanged(): ISignal<this, void> {
    return this._contextChanged;
  }

  get status(): IStatus | null {
    return this._status;
  }

  get connected(): boolean {
    return this._status?.state === 'connected';
  }

  get busy(): boolean {
    return this._busy;
  }

  /** The last failure of a user action (sign-in, namespace switch...). */
  get problem(): IProblem | null {
    return this._problem;
  }

  get namespaces(): INamespaces | null {
    return this._namespaces;
  }

  get checkResult(): ICheckResult | null {
    return this._check;
  }

  get checking(): boolean {
    return this._checking;
  }

  /** Ask the server for the status; quiet (no busy flag) so polling does not flicker. */
  async refreshStatus(check = false): Promise<IStatus | null> {
    try {
      this._setStatus(await this.service.status(check));
    } catch (error) {
      this._problem = toProblem(error);
      this._changed.emit();
    }
    return this._status;
  }

  /**
   * Poll the status every `seconds` (0 stops). While connected each poll asks the server
   * to check the session with one light KFP call, so the badge turns to "Session expired".
   */
  startPolling(seconds: number): void {
    this.stopPolling();
    if (seconds > 0) {
      this._timer = setInterval(
        () => void this.refreshStatus(this.connected),
        seconds * 1000
      );
    }
  }

  stopPolling(): void {
    if (this._timer !== null) {
      clearInterval(this._timer);
      this._timer = null;
    }
  }

  /** Sign in; the caller clears the password field whatever happens. */
  async login(request: ILoginRequest): Promise<boolean> {
    return this._run(async () => {
      this._check = null;
      this._setStatus(await this.service.login(request));
      return this.connected;
    }, false);
  }

  async logout(): Promise<void> {
    await this._run(async () => {
      this._check = null;
      this._namespaces = null;
      this._setStatus(await this.service.logout());
    }, undefined);
  }

  async loadNamespaces(): Promise<void> {
    try {
      this._namespaces = await this.service.namespaces();
      this._changed.emit();
    } catch (error) {
      this.handleError(error);
    }
  }

  /**
   * Switch namespace; `check` (a name typed by hand) asks the server to list pipelines there
   * first. True when switched; on refusal `problem` says why and nothing is remembered.
   */
  async setNamespace(namespace: string, check = false): Promise<boolean> {
    const name = namespace.trim();
    if (!name || name === this._status?.namespace) {
      return true;
    }
    return this._run(async () => {
      await this.service.setNamespace(name, check);
      if (this._namespaces) {
        this._namespaces = { ...this._namespaces, current: name };
      }
      await this.refreshStatus();
      if (this._status && this._status.namespace !== name) {
        // The server did not echo it yet: trust the call that just succeeded.
        this._status = { ...this._status, namespace: name };
      }
      this._contextChanged.emit();
      return true;
    }, false);
  }

  /** Run the server's connection check and keep its result for the panel. */
  async check(): Promise<ICheckResult | null> {
    this._checking = true;
    this._changed.emit();
    try {
      this._check = await this.service.check();
    } catch (error) {
      this._check = { ok: false, checks: [], problem: toProblem(error) };
    } finally {
      this._checking = false;
    }
    this._changed.emit();
    void this.refreshStatus();
    return this._check;
  }

  dismissProblem(): void {
    this._problem = null;
    this._check = null;
    this._changed.emit();
  }

  /**
   * Any API failure goes through here: an expired or missing session makes the panel
   * ask for credentials again (the server already turned its state to `expired`).
   */
  handleError(error: unknown): IProblem {
    const problem = toProblem(error);
    if (error instanceof ApiError && SIGN_IN_CODES.has(problem.code)) {
      this._problem = problem;
      void this.refreshStatus();
    }
    return problem;
  }

  dispose(): void {
    this.stopPolling();
    Signal.clearData(this);
  }

  private async _run<T>(action: () => Promise<T>, fallback: T): Promise<T> {
    this._busy = true;
    this._problem = null;
    this._changed.emit();
    try {
      return await action();
    } catch (error) {
      this._problem = toProblem(error);
      return fallback;
    } finally {
      this._busy = false;
      this._changed.emit();
    }
  }

  private _setStatus(status: IStatus): void {
    const before = this._contextKey();
    this._status = status;
    if (status.state === 'connected' && this._problem && SIGN_IN_CODES.has(this._problem.code)) {
      this._problem = null;
    }
    this._changed.emit();
    if (this._contextKey() !== before) {
      this._contextChanged.emit();
    }
  }

  private _contextKey(): string {
    const s = this._status;
    return s ? `${s.state}|${s.host}|${s.namespace}|${s.username ?? ''}` : '';
  }

  private _status: IStatus | null = null;
  private _problem: IProblem | null = null;
  private _namespaces: INamespaces | null = null;
  private _check: ICheckResult | null = null;
  private _busy = false;
  private _checking = false;
  private _timer: ReturnType<typeof setInterval> | null = null;
  private _changed = new Signal<this, void>(this);
  private _contextChanged = new Signal<this, void>(this);
}

/**
 * One scrollable list of pipelines: scope, search, sort, the pages loaded so far.
 * Every query goes to the server (KFP filters and pages); a newer query makes the
 * answers of older ones irrelevant (`_generation`).
 */
export class PipelineListModel implements IPipelineListModel {
  constructor(
    readonly service: KFPService,
    options: IListOptions,
    private readonly onError: (error: unknown) => IProblem = toProblem
  ) {
    this._scope = options.scope;
    this._pageSize = options.pageSize;
    this._sortBy = options.sortBy;
    this._debounceMs = options.searchDebounceMs;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get items(): readonly IPipeline[] {
    return this._items;
  }

  get scope(): Scope {
    return this._scope;
  }

  get search(): string {
    return this._search;
  }

  get sortBy(): string {
    return this._sortBy;
  }

  get pageSize(): number {
    return this._pageSize;
  }

  get loading(): boolean {
    return this._loading;
  }

  get error(): IProblem | null {
    return this._error;
  }

  /** More pages to load (KFP gave a next_page_token). */
  get hasMore(): boolean {
    return this._nextToken !== '';
  }

  get pagesLoaded(): number {
    return this._pages;
  }

  get totalSize(): number | null {
    return this._total;
  }

  /** True once the first page of the current query arrived. */
  get loaded(): boolean {
    return this._pages > 0;
  }

  /** Change options without loading (settings arrive before the user signs in). */
  configure(options: Partial<IListOptions>): void {
    if (options.scope) {
      this._scope = options.scope;
    }
    if (options.sortBy) {
      this._sortBy = options.sortBy;
    }
    if (options.pageSize) {
      this._pageSize = options.pageSize;
    }
    if (options.searchDebounceMs !== undefined) {
      this._debounceMs = options.searchDebounceMs;
    }
  }

  setScope(scope: Scope): Promise<void> {
    if (scope === this._scope) {
      return Promise.resolve();
    }
    this._scope = scope;
    return this.refresh();
  }

  setSort(sortBy: string): Promise<void> {
    if (sortBy === this._sortBy) {
      return Promise.resolve();
    }
    this._sortBy = sortBy;
    return this.refresh();
  }

  /** Typing: the server search runs once the user paused for `searchDebounceMs`. */
  setSearch(text: string): void {
    this._search = text;
    this._changed.emit();
    if (this._debounce !== null) {
      clearTimeout(this._debounce);
    }
    this._debounce = setTimeout(() => {
      this._debounce = null;
      void this.refresh();
    }, this._debounceMs);
  }

  /**
   * Start over: first page of the current scope, search and sort. Refreshing the same
   * query keeps the rows on screen (with `refreshing`) until the new page replaces them.
   */
  async refresh(): Promise<void> {
    const generation = ++this._generation;
    this._replace = this._items.length > 0 && this._shownKey === this._queryKey();
    if (!this._replace) {
      this._items = [];
    }
    this._nextToken = '';
    this._pages = 0;
    this._total = null;
    this._countsStale = true;
    await this._load(generation, '');
  }

  /** Load the next page (no-op when loading, failed, or at the end). */
  async loadMore(): Promise<void> {
    if (this._loading || !this.hasMore || this._error) {
      return;
    }
    await this._load(this._generation, this._nextToken);
  }

  /** After a failure: ask again for the page that failed (the first one if none loaded). */
  async retry(): Promise<void> {
    if (this._loading) {
      return;
    }
    if (this._pages === 0) {
      return this.refresh();
    }
    await this._load(this._generation, this._nextToken);
  }

  /** Drop everything (signed out). */
  clear(): void {
    this._generation++;
    this._replace = false;
    this._shownKey = '';
    this._items = [];
    this._nextToken = '';
    this._pages = 0;
    this._total = null;
    this._error = null;
    this._loading = false;
    this._dropCounts();
    this._changed.emit();
  }

  /**
   * The number of versions of a listed pipeline: a number once known, `null` when it could
   * not be read, `undefined` while nobody asked (or the answer is on its way).
   */
  versionCount(pipelineId: string): number | null | undefined {
    return this._counts.get(pipelineId);
  }

  /**
   * Ask for the version counts of these rows (the ones on screen): the ids not known yet
   * go to the server together, once `countDelayMs` passed without another ask, up to
   * `MAX_COUNT_IDS` per request. Known counts are kept until the list is refreshed.
   */
  requestCounts(ids: readonly string[]): void {
    for (const id of ids) {
      if (!this._counts.has(id) && !this._countsPending.has(id)) {
        this._countsQueue.add(id);
      }
    }
    if (this._countsQueue.size === 0 || this._countsTimer !== null) {
      return;
    }
    this._countsTimer = setTimeout(() => {
      this._countsTimer = null;
      void this._flushCounts();
    }, this.countDelayMs);
  }

  /** How long asks are gathered into one request (ms). */
  countDelayMs = 60;

  /** Remove one pipeline locally after it was deleted on the server. */
  remove(pipelineId: string): void {
    this._items = this._items.filter(p => p.id !== pipelineId);
    if (this._total !== null) {
      this._total = Math.max(0, this._total - 1);
    }
    this._changed.emit();
  }

  dispose(): void {
    if (this._debounce !== null) {
      clearTimeout(this._debounce);
    }
    this._dropCounts();
    Signal.clearData(this);
  }

  private async _load(generation: number, pageToken: string): Promise<void> {
    this._loading = true;
    this._error = null;
    this._changed.emit();
    try {
      const page = await this.service.listPipelines({
        scope: this._scope,
        page_size: this._pageSize,
        page_token: pageToken || undefined,
        sort_by: this._sortBy || undefined,
        search: this._search.trim() || undefined
      });
      if (generation !== this._generation) {
        return;
      }
      const kept = this._replace ? [] : this._items;
      this._replace = false;
      if (this._countsStale) {
        this._dropCounts();
      }
      const seen = new Set(kept.map(p => p.id));
      const fresh = (page.pipelines ?? []).filter(p => !seen.has(p.id));
      this._items = [...kept, ...fresh];
      this._shownKey = this._queryKey();
      this._nextToken = page.next_page_token ?? '';
      this._total = page.total_size ?? this._total;
      this._pages++;
    } catch (error) {
      if (generation !== this._generation) {
        return;
      }
      this._error = this.onError(error);
    } finally {
      if (generation === this._generation) {
        this._replace = false;
        this._loading = false;
        this._changed.emit();
      }
    }
  }

  private async _flushCounts(): Promise<void> {
    const ids = [...this._countsQueue].slice(0, MAX_COUNT_IDS);
    ids.forEach(id => {
      this._countsQueue.delete(id);
      this._countsPending.add(id);
    });
    if (this._countsQueue.size > 0) {
      this.requestCounts([]);
    }
    const era = this._countsEra;
    let counts: Record<string, number | null> = {};
    try {
      counts = await this.service.versionCounts(ids);
    } catch (error) {
      if (era === this._countsEra) {
        this.onError(error);
      }
    }
    if (era !== this._countsEra) {
      return;
    }
    for (const id of ids) {
      this._countsPending.delete(id);
      this._counts.set(id, typeof counts[id] === 'number' ? counts[id] : null);
    }
    this._changed.emit();
  }

  private _dropCounts(): void {
    this._countsStale = false;
    this._countsEra++;
    this._counts.clear();
    this._countsPending.clear();
    this._countsQueue.clear();
    if (this._countsTimer !== null) {
      clearTimeout(this._countsTimer);
      this._countsTimer = null;
    }
  }

  /** True while old rows stay on screen waiting for the refreshed first page. */
  get refreshing(): boolean {
    return this._loading && this._replace;
  }

  private _queryKey(): string {
    return `${this._scope}|${this._sortBy}|${this._search.trim()}`;
  }

  private _counts = new Map<string, number | null>();
  private _countsPending = new Set<string>();
  private _countsQueue = new Set<string>();
  private _countsTimer: ReturnType<typeof setTimeout> | null = null;
  private _countsStale = false;
  private _countsEra = 0;
  private _replace = false;
  private _shownKey = '';
  private _scope: Scope;
  private _pageSize: number;
  private _sortBy: string;
  private _debounceMs: number;
  private _search = '';
  private _items: IPipeline[] = [];
  private _nextToken = '';
  private _pages = 0;
  private _total: number | null = null;
  private _loading = false;
  private _error: IProblem | null = null;
  private _generation = 0;
  private _debounce: ReturnType<typeof setTimeout> | null = null;
  private _changed = new Signal<this, void>(this);
}
