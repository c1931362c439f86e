import { ApiError } from '../api';
import { PipelineListModel } from '../model';
import { IProblem } from '../tokens';
import { fakeServer } from './fakeServer';

const options = {
  scope: 'private' as const,
  pageSize: 5,
  sortBy: 'created_at desc',
  searchDebounceMs: 0
};

/** A list of `n` pipelines; version-counts answers `versions[id]` (2 unless set). */
function server(n: number, versions: Record<string, number | null> = {}) {
  const pipelines = Array.from({ length: n }, (_, i) => ({
    id: `p${i}`,
    display_name: `pipe ${i}`
  }));
  return fakeServer(endPoint => {
    const url = new URL(endPoint, 'http://x/');
    if (url.pathname === '/version-counts') {
      const ids = (url.searchParams.get('ids') ?? '').split(',');
      return {
        counts: Object.fromEntries(ids.map(id => [id, id in versions ? versions[id] : 2]))
      };
    }
    return { pipelines, total_size: n, next_page_token: '' };
  });
}

const countCalls = (calls: { endPoint: string }[]) =>
  calls.filter(c => c.endPoint.startsWith('version-counts'));

const settle = () => new Promise(resolve => setTimeout(resolve, 20));

describe('PipelineListModel version counts', () => {
  it('gathers the rows asked for into one request and keeps the answers', async () => {
    const { service, calls } = server(3, { p1: 5, p2: null });
    const model = new PipelineListModel(service, options);
    model.countDelayMs = 5;
    await model.refresh();
    model.requestCounts(['p0']);
    model.requestCounts(['p0', 'p1', 'p2']);
    expect(model.versionCount('p0')).toBeUndefined();
    await settle();
    expect(countCalls(calls).map(c => c.endPoint)).toEqual(['version-counts?ids=p0%2Cp1%2Cp2']);
    expect(model.versionCount('p0')).toBe(2);
    expect(model.versionCount('p1')).toBe(5);
    expect(model.versionCount('p2')).toBeNull();
    // Known counts are not asked again.
    model.requestCounts(['p0', 'p1', 'p2']);
    await settle();
    expect(countCalls(calls)).toHaveLength(1);
  });

  it('asks again after a refresh, and keeps the old counts until its page arrives', async () => {
    const { service, calls } = server(2);
    const model = new PipelineListModel(service, options);
    model.countDelayMs = 5;
    await model.refresh();
    model.requestCounts(['p0', 'p1']);
    await settle();
    const refreshing = model.refresh();
    expect(model.versionCount('p0')).toBe(2); // rows stay on screen with their counts
    await refreshing;
    expect(model.versionCount('p0')).toBeUndefined();
    model.requestCounts(['p0', 'p1']);
    await settle();
    expect(countCalls(calls)).toHaveLength(2);
    expect(model.versionCount('p1')).toBe(2);
  });

  it('drops an answer that arrives after a refresh, and reports a failure', async () => {
    const errors: IProblem[] = [];
    let release: () => void = () => undefined;
    const { service } = fakeServer(endPoint => {
      if (endPoint.startsWith('version-counts')) {
        return new Promise(resolve => {
          release = () => resolve({ counts: { p0: 9 } });
        });
      }
      return { pipelines: [{ id: 'p0', display_name: 'a' }], total_size: 1 };
    });
    const model = new PipelineListModel(service, options, e => {
      errors.push(e as IProblem);
      return e as IProblem;
    });
    model.countDelayMs = 1;
    await model.refresh();
    model.requestCounts(['p0']);
    await settle();
    await model.refresh();
    release();
    await settle();
    expect(model.versionCount('p0')).toBeUndefined();

    const failing = fakeServer(endPoint =>
      endPoint.startsWith('version-counts')
        ? new ApiError({ code: 'session_expired', message: 'expired', status: 401 } as IProblem)
        : { pipelines: [{ id: 'p0', display_name: 'a' }], total_size: 1 }
    );
    const seen: unknown[] = [];
    const other = new PipelineListModel(failing.service, options, e => {
      seen.push(e);
      return e as IProblem;
    });
    other.countDelayMs = 1;
    await other.refresh();
    other.requestCounts(['p0']);
    await settle();
    expect(seen).toHaveLength(1);
    expect(other.versionCount('p0')).toBeNull();
  });
});
