import { ISpecSummary } from '../tokens';

/** What a spec holds, before the server cut its lists (it lists at most 1,000 tasks and
 * parameters, so that a huge package cannot make a huge answer). */
export interface ISpecCounts {
  tasks: number;
  parameters: number;
  /** The summary lists fewer tasks than the spec has (each view says which list was cut). */
  tasksCut: boolean;
  /** The summary lists fewer parameters than the spec has. */
  parametersCut: boolean;
}

/** The spec's own counts: the server's `counts` when it sent them, else the lists' lengths
 * (a server from before the cap). */
export function specCounts(summary: ISpecSummary): ISpecCounts {
  const counts = summary.counts;
  const tasks = summary.tasks?.length ?? 0;
  const parameters = summary.parameters?.length ?? 0;
  const all = { tasks: counts?.tasks ?? tasks, parameters: counts?.parameters ?? parameters };
  return { ...all, tasksCut: all.tasks > tasks, parametersCut: all.parameters > parameters };
}
