import { specCounts } from '../model/specSummary';
import { ISpecSummary } from '../tokens';

const task = (name: string) => ({ name, display_name: name, dependencies: [] }) as any;

describe('specCounts', () => {
  it("takes a cut summary's counts from the server, not from its lists", () => {
    const summary: ISpecSummary = {
      parameters: [],
      tasks: [task('a'), task('b')],
      truncated: true,
      counts: { tasks: 8000, parameters: 0, artifacts: 0 }
    };
    expect(specCounts(summary)).toEqual({
      tasks: 8000,
      parameters: 0,
      tasksCut: true,
      parametersCut: false
    });
  });

  it("counts the lists of a server that sends no counts", () => {
    const summary: ISpecSummary = { parameters: [], tasks: [task('a'), task('b')] };
    expect(specCounts(summary)).toEqual({
      tasks: 2,
      parameters: 0,
      tasksCut: false,
      parametersCut: false
    });
  });

  it('says which list was cut: parameters only, so no view says its tasks were', () => {
    const summary: ISpecSummary = {
      parameters: [],
      tasks: [task('a')],
      truncated: true,
      counts: { tasks: 1, parameters: 1500, artifacts: 0 }
    };
    expect(specCounts(summary)).toMatchObject({ tasksCut: false, parametersCut: true });
  });
});
