import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { KFPService, toProblem } from '../api';
import type { IProblem } from '../tokens';
import type { IRun, IRunDetail, RunAction } from '../tokens';
import { DEFAULT_RUN_POLLING, IRunPolling } from './runList';
import { isFinal } from './runState';

/**
 * One run for the RunView: its details (tasks, DAG, what KFP allows), refreshed while the
 * view is on screen and the run can still change (one `GET runs/{id}` per interval, the
 * interval growing while nothing changes), and the actions.
 */
export class RunModel {
  constructor(
    readonly service: KFPService,
    readonly runId: string,
    options: {
      polling?: Partial<IRunPolling>;
      onError?: (error: unknown) => IProblem;
      /** Told about each newer state (the runs list and the started-runs watcher). */
      onRun?: (run: IRun) => void;
      /** Told when the run was deleted. */
      onDeleted?: (runId: string) => void;
    } = {}
  ) {
    this._polling = { ...DEFAULT_RUN_POLLING, ...options.polling };
    this._interval = this._polling.intervalMs;
    this._onError = options.onError ?? toProblem;
    this._onRun = options.onRun ?? (() => undefined);
    this._onDeleted = options.onDeleted ?? (() => undefined);
    this._poll = new Poll({
      auto: false,
      name: `jupyter_kfp_connect:run:${runId}`,
      factory: state => this._tick(state.phase),
      frequency: { interval: this._interval, backoff: 2, max: this._polling.maxMs },
      standby: () =>
        !this._visible || !this._run || isFinal(this._run.state) ? true : 'when-hidden'
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get run(): IRunDetail | null {
    return this._run;
  }

  get loading(): boolean {
    return this._loading;
  }

  get busy(): RunAction | 'delete' | null {
    return this._busy;
  }

  get problem(): IProblem | null {
    return this._problem;
  }

  get deleted(): boolean {
    return this._deleted;
  }

  setVisible(visible: boolean): void {
    this._visible = visible;
  }

  async load(): Promise<void> {
    this._loading = true;
    this._changed.emit();
    try {
      this._set(await this.service.getRun(this.runId));
      this._problem = null;
    } catch (error) {
      this._problem = this._onError(error);
    } finally {
      this._loading = false;
      this._changed.emit();
    }
    if (this._run && !isFinal(this._run.state)) {
      void this._poll.start();
    }
  }

  /** Terminate, retry, archive or unarchive; the answer is the run's new state. */
  async act(action: RunAction): Promise<boolean> {
    return this._do(action, async () => {
      await this.service.runAction(this.runId, action);
      // The action's answer has no tasks or actions: read the details again.
      this._set(await this.service.getRun(this.runId));
      this._interval = this._polling.intervalMs;
      this._poll.frequency = { interval: this._interval, backoff: 2, max: this._polling.maxMs };
      if (this._run && !isFinal(this._run.state)) {
        void this._poll.start();
      }
    });
  }

  async delete(): Promise<boolean> {
    return this._do('delete', async () => {
      await this.service.deleteRun(this.runId);
      this._deleted = true;
      void this._poll.stop();
      this._onDeleted(this.runId);
    });
  }

  dismissProblem(): void {
    this._problem = null;
    this._changed.emit();
  }

  dispose(): void {
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _do(
    what: RunAction | 'delete',
    action: () => Promise<void>
  ): Promise<boolean> {
    this._busy = what;
    this._problem = null;
    this._changed.emit();
    try {
      await action();
      return true;
    } catch (error) {
      this._problem = this._onError(error);
      return false;
    } finally {
      this._busy = null;
      this._changed.emit();
    }
  }

  private async _tick(phase: string): Promise<void> {
    if (phase === 'started' || this._deleted) {
      return;
    }
    const before = this._run;
    const run = await this.service.getRun(this.runId);
    const changed =
      !before ||
      before.state !== run.state ||
      JSON.stringify(before.tasks) !== JSON.stringify(run.tasks);
    this._set(run);
    this._interval = changed
      ? this._polling.intervalMs
      : Math.min(this._polling.maxMs, Math.round(this._interval * this._polling.growth));
    this._poll.frequency = { interval: this._interval, backoff: 2, max: this._polling.maxMs };
    this._changed.emit();
  }

  private _set(run: IRunDetail): void {
    const before = this._run?.state;
    this._run = run;
    if (before !== run.state) {
      this._onRun(run);
    }
  }

  private _run: IRunDetail | null = null;
  private _loading = false;
  private _busy: RunAction | 'delete' | null = null;
  private _problem: IProblem | null = null;
  private _deleted = false;
  private _visible = false;
  private _interval: number;
  private _polling: IRunPolling;
  private _poll: Poll<void, unknown, 'standby'>;
  private _onError: (error: unknown) => IProblem;
  private _onRun: (run: IRun) => void;
  private _onDeleted: (runId: string) => void;
  private _changed = new Signal<this, void>(this);
}
