import type { IRun, RunState } from '../tokens';

/**
 * States a run never leaves (KFP's frontend `hasFinishedV2`, StatusUtils.ts at 2.17.0):
 * only these stop the polling.
 */
export const FINAL_STATES: ReadonlySet<string> = new Set([
  'SUCCEEDED',
  'SKIPPED',
  'FAILED',
  'CANCELED'
]);

/** Every state a person can filter the list by, in the order KFP's proto lists them. */
export const RUN_STATES: readonly RunState[] = [
  'PENDING',
  'RUNNING',
  'SUCCEEDED',
  'SKIPPED',
  'FAILED',
  'CANCELING',
  'CANCELED',
  'PAUSED'
];

/** True once a run (or a task) cannot change any more. */
export function isFinal(state: RunState | null | undefined): boolean {
  return FINAL_STATES.has(String(state ?? ''));
}

/** How long a run took (or has been running, at `now`), in ms; null before it started. */
export function runDuration(
  run: Pick<IRun, 'created_at' | 'scheduled_at' | 'finished_at' | 'state'>,
  now: number = Date.now()
): number | null {
  const start = Date.parse(run.scheduled_at || run.created_at || '');
  if (isNaN(start)) {
    return null;
  }
  const end = isFinal(run.state) ? Date.parse(run.finished_at || '') : now;
  return isNaN(end) ? null : Math.max(0, end - start);
}

/** "1 h 2 min", "3 min 4 s", "5 s": short and unambiguous. */
export function formatDuration(ms: number | null): string {
  if (ms === null) {
    return '';
  }
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) {
    return `${h} h ${m} min`;
  }
  if (m > 0) {
    return `${m} min ${s} s`;
  }
  return `${s} s`;
}
