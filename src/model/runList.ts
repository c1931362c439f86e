import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { KFPService, toProblem } from '../api';
import type { IProblem } from '../tokens';
import type { IRun, IRunFilter } from '../tokens';
import { isFinal } from './runState';

/** How often a visible list refreshes what can still change, and how far it backs off. */
export interface IRunPolling {
  /** First interval after a change (ms). */
  intervalMs: number;
  /** Longest interval while nothing changes or KFP fails (ms). */
  maxMs: number;
  /** Growth of the interval per refresh without a change. */
  growth: number;
}

export const DEFAULT_RUN_POLLING: IRunPolling = {
  intervalMs: 5000,
  maxMs: 60000,
  growth: 1.5
};

/** A page as loaded: the token it was asked with and which runs it brought. */
interface IPage {
  token: string;
  ids: string[];
}

/**
 * The Runs list: filters, sort, KFP pages, and a live status.
 *
 * Live status costs at most one KFP call per interval: each tick re-reads ONE loaded page
 * that holds a run not yet in a final state (round robin when several do), and none at all
 * while the list is hidden (`setVisible(false)`) or every shown run has ended. The interval
 * grows by `growth` while nothing changes (up to `maxMs`), falls back to `intervalMs` after
 * a change, and Lumino's Poll backs off on failures.
 */
export class RunListModel {
  constructor(
    readonly service: KFPService,
    options: {
      pageSize?: number;
      sortBy?: string;
      polling?: Partial<IRunPolling>;
      onError?: (error: unknown) => IProblem;
      /** Told about every run the list sees (the started-runs watcher listens). */
      onRuns?: (runs: readonly IRun[]) => void;
    } = {}
  ) {
    this._pageSize = options.pageSize ?? 50;
    this._sortBy = options.sortBy ?? 'created_at desc';
    this._polling = { ...DEFAULT_RUN_POLLING, ...options.polling };
    this._onError = options.onError ?? toProblem;
    this._onRuns = options.onRuns ?? (() => undefined);
    this._interval = this._polling.intervalMs;
    this._poll = new Poll({
      auto: false,
      name: 'jupyter_kfp_connect:runs',
      factory: state => this._tick(state.phase),
      frequency: {
        interval: this._polling.intervalMs,
        backoff: 2,
        max: this._polling.maxMs
      },
      // 'when-hidden' also stands by while the browser tab is hidden.
      standby: () =>
        !this._visible || !this.hasUnfinished || this._loading
          ? true
          : 'when-hidden'
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get runs(): readonly IRun[] {
    return this._runs;
  }

  get filter(): Readonly<IRunFilter> {
    return this._filter;
  }

  get sortBy(): string {
    return this._sortBy;
  }

  get loading(): boolean {
    return this._loading;
  }

  get error(): IProblem | null {
    return this._error;
  }

  get hasMore(): boolean {
    return this._nextToken !== '';
  }

  get totalSize(): number | null {
    return this._total;
  }

  get loaded(): boolean {
    return this._pages.length > 0;
  }

  get visible(): boolean {
    return this._visible;
  }

  /** Some shown run can still change state (so the live refresh has work). */
  get hasUnfinished(): boolean {
    return this._runs.some(r => !isFinal(r.state));
  }

  /** The interval the next live refresh waits (ms), for tests and the footer. */
  get refreshInterval(): number {
    return this._interval;
  }

  /** Change filters (a field set to '' or undefined is cleared) and start over. */
  setFilter(filter: Partial<IRunFilter>): Promise<void> {
    const next = { ...this._filter, ...filter };
    for (const key of Object.keys(next) as (keyof IRunFilter)[]) {
      if (next[key] === '' || next[key] === undefined) {
        delete next[key];
      }
    }
    this._filter = next;
    return this.refresh();
  }

  setSort(sortBy: string): Promise<void> {
    if (sortBy === this._sortBy) {
      return Promise.resolve();
    }
    this._sortBy = sortBy;
    return this.refresh();
  }

  /**
   * The list is on screen (or not): only a visible list refreshes. Coming back after the
   * data got older than an interval refreshes once at once.
   */
  setVisible(visible: boolean): void {
    if (visible === this._visible) {
      return;
    }
    this._visible = visible;
    if (visible && this.loaded && this.hasUnfinished) {
      const age = Date.now() - this._lastFetch;
      if (age >= this._polling.intervalMs) {
        this._interval = this._polling.intervalMs;
        this._setFrequency();
        void this._poll.refresh();
      }
    }
  }

  /** First page of the current filters and sort. */
  async refresh(): Promise<void> {
    const generation = ++this._generation;
    this._runs = [];
    this._pages = [];
    this._nextToken = '';
    this._total = null;
    this._cursor = 0;
    await this._load(generation, '');
  }

  /** The next KFP page (no-op while loading, after a failure or at the end). */
  async loadMore(): Promise<void> {
    if (this._loading || !this.hasMore || this._error) {
      return;
    }
    await this._load(this._generation, this._nextToken);
  }

  /** After a failure: the page that failed again. */
  async retry(): Promise<void> {
    if (this._loading) {
      return;
    }
    if (!this.loaded) {
      return this.refresh();
    }
    await this._load(this._generation, this._nextToken);
  }

  /** Put a run's newer state into the list (from a run view or an action). */
  update(run: IRun): void {
    const index = this._runs.findIndex(r => r.run_id === run.run_id);
    if (index >= 0) {
      this._runs = [...this._runs];
      this._runs[index] = { ...this._runs[index], ...run };
      this._changed.emit();
      this._startIfNeeded();
    }
  }

  /** Drop a run that was deleted (or archived out of an `archived=false` list). */
  remove(runId: string): void {
    const before = this._runs.length;
    this._runs = this._runs.filter(r => r.run_id !== runId);
    if (this._runs.length !== before) {
      for (const page of this._pages) {
        page.ids = page.ids.filter(id => id !== runId);
      }
      if (this._total !== null) {
        this._total = Math.max(0, this._total - 1);
      }
      this._changed.emit();
    }
  }

  /** Drop everything (signed out, namespace switched). */
  clear(): void {
    this._generation++;
    this._runs = [];
    this._pages = [];
    this._nextToken = '';
    this._total = null;
    this._error = null;
    this._loading = false;
    void this._poll.stop();
    this._changed.emit();
  }

  dispose(): void {
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _load(generation: number, pageToken: string): Promise<void> {
    this._loading = true;
    this._error = null;
    this._changed.emit();
    try {
      const page = await this.service.listRuns({
        ...this._filter,
        page_size: this._pageSize,
        page_token: pageToken || undefined,
        sort_by: this._sortBy || undefined
      });
      if (generation !== this._generation) {
        return;
      }
      this._lastFetch = Date.now();
      const seen = new Set(this._runs.map(r => r.run_id));
      const fresh = (page.runs ?? []).filter(r => !seen.has(r.run_id));
      this._runs = [...this._runs, ...fresh];
      this._pages.push({ token: pageToken, ids: fresh.map(r => r.run_id) });
      this._nextToken = page.next_page_token ?? '';
      this._total = page.total_size ?? this._total;
      this._onRuns(fresh);
    } catch (error) {
      if (generation !== this._generation) {
        return;
      }
      this._error = this._onError(error);
    } finally {
      if (generation === this._generation) {
        this._loading = false;
        this._changed.emit();
        this._interval = this._polling.intervalMs;
        this._startIfNeeded();
      }
    }
  }

  /** One live refresh: re-read one page holding an unfinished run. */
  private async _tick(phase: string): Promise<void> {
    if (phase === 'started') {
      // Starting schedules the first tick, which only waits: the list was just loaded.
      return;
    }
    const pages = this._pages.filter(p =>
      p.ids.some(id => {
        const run = this._runs.find(r => r.run_id === id);
        return run !== undefined && !isFinal(run.state);
      })
    );
    if (pages.length === 0) {
      return;
    }
    const page = pages[this._cursor % pages.length];
    this._cursor++;
    const generation = this._generation;
    const answer = await this.service.listRuns({
      ...this._filter,
      page_size: this._pageSize,
      page_token: page.token || undefined,
      sort_by: this._sortBy || undefined
    });
    if (generation !== this._generation) {
      return;
    }
    this._lastFetch = Date.now();
    const byId = new Map((answer.runs ?? []).map(r => [r.run_id, r]));
    let changed = false;
    const updated: IRun[] = [];
    this._runs = this._runs.map(run => {
      const newer = byId.get(run.run_id);
      if (
        newer &&
        (newer.state !== run.state || newer.finished_at !== run.finished_at)
      ) {
        changed = true;
        updated.push(newer);
        return { ...run, ...newer };
      }
      return run;
    });
    if (page.token === '') {
      // New runs appear on the first page (started elsewhere, e.g. by %kfp run).
      const known = new Set(this._runs.map(r => r.run_id));
      const added = (answer.runs ?? []).filter(r => !known.has(r.run_id));
      if (added.length > 0 && this._sortBy.startsWith('created_at') && this._sortBy.endsWith('desc')) {
        changed = true;
        this._runs = [...added, ...this._runs];
        page.ids = [...added.map(r => r.run_id), ...page.ids];
        if (this._total !== null) {
          this._total += added.length;
        }
        updated.push(...added);
      }
    }
    this._interval = changed
      ? this._polling.intervalMs
      : Math.min(this._polling.maxMs, Math.round(this._interval * this._polling.growth));
    this._setFrequency();
    if (changed) {
      this._onRuns(updated);
      this._changed.emit();
    }
  }

  private _setFrequency(): void {
    this._poll.frequency = {
      interval: this._interval,
      backoff: 2,
      max: this._polling.maxMs
    };
  }

  private _startIfNeeded(): void {
    if (this.loaded && this.hasUnfinished) {
      this._setFrequency();
      void this._poll.start();
    }
  }

  private _filter: IRunFilter = {};
  private _sortBy: string;
  private _pageSize: number;
  private _polling: IRunPolling;
  private _interval: number;
  private _runs: IRun[] = [];
  private _pages: IPage[] = [];
  private _cursor = 0;
  private _nextToken = '';
  private _total: number | null = null;
  private _loading = false;
  private _error: IProblem | null = null;
  private _generation = 0;
  private _visible = false;
  private _lastFetch = 0;
  private _poll: Poll<void, unknown, 'standby'>;
  private _onError: (error: unknown) => IProblem;
  private _onRuns: (runs: readonly IRun[]) => void;
  private _changed = new Signal<this, void>(this);
}
