import { ApiError } from '../api';
import { RunModel } from '../model/run';
import { parseParameter, RunFormModel } from '../model/runForm';
import { RunListModel } from '../model/runList';
import { formatDuration, isFinal, runDuration } from '../model/runState';
import { StartedRunsWatcher } from '../model/startedRuns';
import { IRun, IRunDetail } from '../tokens';
import { fakeServer } from './fakeServer';


function run(id: string, state: string, extra: Partial<IRun> = {}): IRun {
  return { run_id: id, display_name: `run-${id}`, state, ...extra };
}

/** Let the promise chains of Lumino's Poll settle between timer steps. */
async function advance(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

const POLLING = { intervalMs: 1000, maxMs: 8000, growth: 2 };

describe('run states', () => {
  it('only SUCCEEDED, SKIPPED, FAILED and CANCELED are final (KFP hasFinishedV2)', () => {
    expect(['SUCCEEDED', 'SKIPPED', 'FAILED', 'CANCELED'].every(isFinal)).toBe(true);
    expect(['PENDING', 'RUNNING', 'CANCELING', 'PAUSED', 'RUNTIME_STATE_UNSPECIFIED'].some(isFinal)).toBe(
      false
    );
  });

  it('measures a run from its start to its end, or to now while it runs', () => {
    const start = '2026-01-01T00:00:00Z';
    expect(
      runDuration({ scheduled_at: start, finished_at: '2026-01-01T01:02:03Z', state: 'SUCCEEDED' })
    ).toBe(3723000);
    expect(runDuration({ scheduled_at: start, state: 'RUNNING' }, Date.parse(start) + 5000)).toBe(5000);
    expect(formatDuration(3723000)).toBe('1 h 2 min');
    expect(formatDuration(65000)).toBe('1 min 5 s');
    expect(formatDuration(null)).toBe('');
  });
});

describe('RunListModel live status', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function listServer(states: () => string[]) {
    return fakeServer(endPoint => {
      expect(endPoint.startsWith('runs')).toBe(true);
      return {
        runs: states().map((s, i) => run(`r${i}`, s)),
        next_page_token: '',
        total_size: states().length
      };
    });
  }

  it('sends the filters, sort and paging to the server', async () => {
    const { service, calls } = listServer(() => []);
    const model = new RunListModel(service, { pageSize: 20, polling: POLLING });
    await model.setFilter({ state: 'RUNNING', pipeline_id: 'p1', experiment_id: 'e1' });
    await model.setSort('display_name');
    const url = new URL(calls[calls.length - 1].endPoint, 'http://x/');
    expect(url.pathname).toBe('/runs');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      page_size: '20',
      sort_by: 'display_name',
      state: 'RUNNING',
      pipeline_id: 'p1',
      experiment_id: 'e1'
    });
    // Clearing a filter drops it from the query.
    await model.setFilter({ state: '' });
    expect(new URL(calls[calls.length - 1].endPoint, 'http://x/').searchParams.has('state')).toBe(
      false
    );
    model.dispose();
  });

  it('makes no call while hidden, at most one per interval when shown, and stops when all ended', async () => {
    let states = ['RUNNING', 'SUCCEEDED'];
    const { service, calls } = listServer(() => states);
    const model = new RunListModel(service, { polling: POLLING });
    await model.refresh();
    expect(calls).toHaveLength(1);

    // Hidden: nothing, however long.
    await advance(30000);
    expect(calls).toHaveLength(1);

    // Shown: one call per interval at most; the interval grows while nothing changes.
    model.setVisible(true);
    await advance(1000);
    const afterFirst = calls.length;
    expect(afterFirst).toBeLessThanOrEqual(2);
    await advance(10000);
    // 1 s then 2 s, 4 s, 8 s: far fewer than one call a second.
    expect(calls.length - afterFirst).toBeLessThanOrEqual(3);
    expect(model.refreshInterval).toBeGreaterThan(POLLING.intervalMs);

    // The run ends: the list learns it on the next refresh and then stops asking.
    states = ['SUCCEEDED', 'SUCCEEDED'];
    await advance(8000);
    expect(model.runs.map(r => r.state)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(model.hasUnfinished).toBe(false);
    const ended = calls.length;
    await advance(60000);
    expect(calls.length).toBe(ended);
    model.dispose();
  });

  it('counts calls per interval: never two within one interval', async () => {
    const { service, calls } = listServer(() => ['RUNNING']);
    const model = new RunListModel(service, {
      polling: { intervalMs: 1000, maxMs: 1000, growth: 1 }
    });
    await model.refresh();
    model.setVisible(true);
    const times: number[] = [];
    const start = Date.now();
    let seen = calls.length;
    for (let i = 0; i < 20; i++) {
      await advance(250);
      if (calls.length !== seen) {
        times.push(Date.now() - start);
        seen = calls.length;
      }
    }
    expect(times.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < times.length; i++) {
      expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(1000);
    }
    // Hidden again: silence.
    model.setVisible(false);
    const hidden = calls.length;
    await advance(10000);
    expect(calls.length).toBe(hidden);
    model.dispose();
  });

  it('re-reads only a page that holds an unfinished run', async () => {
    // Two pages: the first all ended, the second with a running run.
    const { service, calls } = fakeServer(endPoint => {
      const url = new URL(endPoint, 'http://x/');
      const token = url.searchParams.get('page_token');
      return token === 'p2'
        ? { runs: [run('b', 'RUNNING')], next_page_token: '' }
        : { runs: [run('a', 'SUCCEEDED')], next_page_token: 'p2' };
    });
    const model = new RunListModel(service, { pageSize: 1, polling: POLLING });
    await model.refresh();
    await model.loadMore();
    expect(model.runs.map(r => r.run_id)).toEqual(['a', 'b']);
    model.setVisible(true);
    const before = calls.length;
    await advance(4000);
    const polled = calls.slice(before).map(c => new URL(c.endPoint, 'http://x/').searchParams.get('page_token'));
    expect(polled.length).toBeGreaterThan(0);
    expect(polled.every(t => t === 'p2')).toBe(true);
    model.dispose();
  });

  it('backs off after a change-free refresh and comes back to the first interval after a change', async () => {
    let states = ['RUNNING'];
    const { service } = listServer(() => states);
    const model = new RunListModel(service, { polling: POLLING });
    await model.refresh();
    model.setVisible(true);
    await advance(1000 + 2000 + 4000);
    expect(model.refreshInterval).toBe(8000);
    states = ['PENDING'];
    await advance(8000);
    expect(model.runs[0].state).toBe('PENDING');
    expect(model.refreshInterval).toBe(1000);
    model.dispose();
  });

  it('reports the runs it sees, so a started run that ended is noticed', async () => {
    const seen: IRun[] = [];
    let states = ['RUNNING'];
    const { service } = listServer(() => states);
    const model = new RunListModel(service, {
      polling: POLLING,
      onRuns: runs => seen.push(...runs)
    });
    await model.refresh();
    model.setVisible(true);
    states = ['SUCCEEDED'];
    await advance(1000);
    expect(seen.map(r => r.state)).toEqual(['RUNNING', 'SUCCEEDED']);
    model.dispose();
  });
});

describe('parameter form', () => {
  const SPECS = [
    { name: 'text', type: 'STRING', default: 'hi', optional: true },
    { name: 'count', type: 'NUMBER_INTEGER', optional: false },
    { name: 'rate', type: 'NUMBER_DOUBLE', default: 0.5, optional: true },
    { name: 'flag', type: 'BOOLEAN', default: true, optional: true },
    { name: 'items', type: 'LIST', default: [1, 2], optional: true },
    { name: 'config', type: 'PARAMETER_TYPE_STRUCT', optional: true }
  ];

  it.each([
    ['NUMBER_INTEGER', '12', 12],
    ['NUMBER_INTEGER', '-3', -3],
    ['NUMBER_DOUBLE', '1e-3', 0.001],
    ['NUMBER_DOUBLE', '.5', 0.5],
    ['BOOLEAN', 'TRUE', true],
    ['LIST', '[1, "a"]', [1, 'a']],
    ['STRUCT', '{"a": {"b": 1}}', { a: { b: 1 } }],
    ['STRING', ' spaced ', ' spaced ']
  ])('accepts %s %p', (type, text, value) => {
    expect(parseParameter(type, text, true)).toEqual({ value });
  });

  it.each([
    ['NUMBER_INTEGER', 'abc'],
    ['NUMBER_INTEGER', '1.5'],
    ['NUMBER_INTEGER', '99999999999999999999'],
    ['NUMBER_DOUBLE', '1,5'],
    ['NUMBER_DOUBLE', 'NaN'],
    ['BOOLEAN', 'yes'],
    ['LIST', '{"a": 1}'],
    ['LIST', '[1,'],
    ['STRUCT', '[1]'],
    ['STRUCT', 'null']
  ])('refuses %s %p', (type, text) => {
    expect(parseParameter(type, text, false).error).toBeTruthy();
  });

  it('a required parameter left empty is an error; an optional one is left to its default', () => {
    expect(parseParameter('NUMBER_INTEGER', '', true).error).toBeTruthy();
    expect(parseParameter('NUMBER_INTEGER', '', false)).toEqual({});
    expect(parseParameter('STRING', '', true).error).toBeTruthy();
  });

  it('starts from the defaults, checks every field before sending, and sends typed values', async () => {
    const { service, calls } = fakeServer((endPoint, init) => {
      if (endPoint.startsWith('experiments')) {
        return { experiments: [{ experiment_id: 'e1', display_name: 'Default' }] };
      }
      return run('new', 'PENDING');
    });
    const form = new RunFormModel(service, { pipelineId: 'p', versionId: 'v', pipelineName: 'pipe' }, SPECS);
    expect(form.field('text')!.text).toBe('hi');
    expect(form.field('items')!.text).toBe('[1,2]');
    expect(form.field('flag')!.checked).toBe(true);
    expect(form.field('count')!.required).toBe(true);
    expect(form.field('config')!.type).toBe('STRUCT');

    // Nothing is sent while a field is wrong.
    form.setText('count', 'ten');
    expect(await form.submit()).toBeNull();
    expect(calls).toHaveLength(0);
    expect(form.field('count')!.error).toMatch(/whole number/);
    expect(form.errorCount).toBe(1);

    form.setText('count', '10');
    expect(form.field('count')!.error).toBe('');
    form.setExperiment({ kind: 'new', name: 'exp-a' });
    const created = await form.submit();
    expect(created?.run_id).toBe('new');
    const body = JSON.parse(String(calls[0].init.body));
    expect(calls[0].endPoint).toBe('runs');
    expect(body).toEqual({
      pipeline_id: 'p',
      pipeline_version_id: 'v',
      display_name: form.runName,
      experiment_name: 'exp-a',
      parameters: { text: 'hi', count: 10, rate: 0.5, flag: true, items: [1, 2] }
    });
  });

  it('shows the server`s invalid_parameters errors at their fields', async () => {
    const { service } = fakeServer(() =>
      new ApiError({
        code: 'invalid_parameters',
        message: 'Some parameters are not valid.',
        fix: '',
        yaml: '',
        status: 400,
        details: { errors: { count: 'must be at most 5', ghost: 'unknown parameter' } }
      })
    );
    const form = new RunFormModel(service, { pipelineId: 'p', pipelineName: 'pipe' }, SPECS);
    form.setText('count', '10');
    expect(await form.submit()).toBeNull();
    expect(form.field('count')!.error).toBe('must be at most 5');
    expect(form.problem?.message).toContain('ghost: unknown parameter');
  });

  it('asks for a run name and an experiment name when "new" is chosen', async () => {
    const { service, calls } = fakeServer(() => run('x', 'PENDING'));
    const form = new RunFormModel(service, { pipelineId: 'p', pipelineName: 'pipe' }, []);
    form.setRunName('  ');
    form.setExperiment({ kind: 'new', name: '' });
    expect(await form.submit()).toBeNull();
    expect(form.runNameError).toBeTruthy();
    expect(form.experimentError).toBeTruthy();
    expect(calls).toHaveLength(0);
  });
});

describe('run view model and started runs', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function detail(state: string): IRunDetail {
    return {
      ...run('r1', state),
      parameters: {},
      tasks: [],
      dag: { nodes: [], edges: [] },
      actions: { terminate: state === 'RUNNING', retry: false, archive: true, unarchive: false, delete: true }
    };
  }

  it('polls a run only while its view is on screen and stops once it ended', async () => {
    let state = 'RUNNING';
    const { service, calls } = fakeServer(() => detail(state));
    const model = new RunModel(service, 'r1', { polling: POLLING });
    await model.load();
    expect(calls).toHaveLength(1);
    await advance(20000);
    expect(calls).toHaveLength(1); // not visible
    model.setVisible(true);
    await advance(1000);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    state = 'SUCCEEDED';
    await advance(8000);
    expect(model.run?.state).toBe('SUCCEEDED');
    const ended = calls.length;
    await advance(60000);
    expect(calls.length).toBe(ended);
    model.dispose();
  });

  it('terminates through the server and reads the details again', async () => {
    const { service, calls } = fakeServer((endPoint, init) =>
      endPoint.endsWith('/terminate') ? run('r1', 'CANCELING') : detail(calls.length > 2 ? 'CANCELING' : 'RUNNING')
    );
    const model = new RunModel(service, 'r1', { polling: POLLING });
    await model.load();
    expect(await model.act('terminate')).toBe(true);
    expect(calls.map(c => `${c.init.method ?? 'GET'} ${c.endPoint}`)).toEqual([
      'GET runs/r1',
      'POST runs/r1/terminate',
      'GET runs/r1'
    ]);
    expect(model.run?.state).toBe('CANCELING');
    model.dispose();
  });

  it('tells once when a run the person started has ended', async () => {
    let state = 'RUNNING';
    const { service } = fakeServer(() => detail(state));
    const finished: IRun[] = [];
    const watcher = new StartedRunsWatcher(service, r => finished.push(r), {
      intervalMs: 1000,
      maxMs: 1000
    });
    watcher.watch(run('r1', 'PENDING'));
    await advance(3000);
    expect(finished).toHaveLength(0);
    state = 'FAILED';
    await advance(1000);
    expect(finished.map(r => r.state)).toEqual(['FAILED']);
    // Seen again elsewhere: no second notification.
    watcher.observe(run('r1', 'FAILED'));
    expect(finished).toHaveLength(1);
    expect(watcher.watching).toEqual([]);
    watcher.dispose();
  });
});
