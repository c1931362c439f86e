import { Poll } from '@lumino/polling';

import { KFPService } from '../api';
import type { IRun } from '../tokens';
import { isFinal } from './runState';

/**
 * The runs this person started from JupyterLab (this browser session): when one reaches a
 * final state, `onFinished` is told once (the plugin shows a notification with a link).
 *
 * What the runs list and run views see is reported through `observe` for free; on top,
 * one `GET runs/{id}` per interval (round robin, interval growing to `maxMs`) follows
 * the runs nobody is looking at. Nothing is asked when no run is followed or the browser
 * tab is hidden.
 */
export class StartedRunsWatcher {
  constructor(
    readonly service: KFPService,
    private readonly onFinished: (run: IRun) => void,
    frequency = { intervalMs: 10000, maxMs: 60000 }
  ) {
    this._poll = new Poll({
      auto: false,
      name: 'jupyter_kfp_connect:started-runs',
      factory: state => this._tick(state.phase),
      frequency: { interval: frequency.intervalMs, backoff: 2, max: frequency.maxMs },
      standby: () => (this._watched.size === 0 ? true : 'when-hidden')
    });
  }

  /** Ids of the runs still followed. */
  get watching(): string[] {
    return [...this._watched.keys()];
  }

  /** Follow a run this person just started. */
  watch(run: IRun): void {
    if (isFinal(run.state)) {
      this.onFinished(run);
      return;
    }
    this._watched.set(run.run_id, run);
    void this._poll.start();
  }

  /** A newer state of any run, seen elsewhere (list, run view). */
  observe(run: IRun): void {
    if (this._watched.has(run.run_id) && isFinal(run.state)) {
      this._watched.delete(run.run_id);
      this.onFinished(run);
    }
  }

  /** Stop following (deleted, signed out). */
  forget(runId?: string): void {
    if (runId === undefined) {
      this._watched.clear();
    } else {
      this._watched.delete(runId);
    }
  }

  dispose(): void {
    this._poll.dispose();
  }

  private async _tick(phase: string): Promise<void> {
    if (phase === 'started') {
      return;
    }
    const ids = this.watching;
    if (ids.length === 0) {
      return;
    }
    const id = ids[this._cursor++ % ids.length];
    const run = await this.service.getRun(id);
    this.observe(run);
  }

  private _watched = new Map<string, IRun>();
  private _cursor = 0;
  private _poll: Poll<void, unknown, 'standby'>;
}
