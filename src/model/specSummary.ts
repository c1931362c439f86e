import { ISpecSummary } from '../tokens';

/** What a spec holds, before the server cut its lists (it lists at most 1,000 tasks and
 * parameters, so that a huge package cannot make a huge answer). */
export interface ISpecCounts {
  tasks: number;
  parameters: number;
  /** Some list in the summary is shorter than the spec's. */
  truncated: boolean;
}

/** The spec's own counts: the server's `counts` when it sent them, else the lists' lengths
 * (a server from before the cap). */
export function specCounts(summary: ISpecSummary): ISpecCounts {
  const counts = summary.counts;
  const tasks = summary.tasks?.length ?? 0;
  const parameters = summary.parameters?.length ?? 0;
  return {
    tasks: counts?.tasks ?? tasks,
    parameters: counts?.parameters ?? parameters,
    truncated: summary.truncated === true
  };
}
