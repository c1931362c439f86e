import { ApiError } from '../api';
import { ConnectionModel, PipelineListModel } from '../model';
import { readSettings } from '../settings';
import { IPipeline } from '../tokens';
import { runUpload } from '../uploads';
import { recorded, recordedError } from './recorded';
import { fakeServer } from './fakeServer';


/** `total` pipelines served `page_size` at a time, newest first, with a name search. */
function pipelineServer(total: number) {
  return fakeServer(pipelinePages(total));
}

/** A pipeline as the server lists it, with another id and name. */
function listedPipeline(id: string, display_name: string): IPipeline {
  const [template] = recorded('pipelines_page').pipelines;
  return { ...template, id, name: display_name, display_name };
}

function pipelinePages(total: number) {
  const all: IPipeline[] = Array.from({ length: total }, (_, i) =>
    listedPipeline(`id-${total - i}`, `pipeline-${String(total - i).padStart(5, '0')}`)
  );
  return (endPoint: string) => {
    const url = new URL(endPoint, 'http://x/');
    const search = url.searchParams.get('search') ?? '';
    const size = Number(url.searchParams.get('page_size'));
    const start = Number(url.searchParams.get('page_token') || 0);
    const hits = all.filter(p => p.display_name!.includes(search));
    const next = start + size < hits.length ? String(start + size) : '';
    return {
      pipelines: hits.slice(start, start + size),
      next_page_token: next,
      total_size: hits.length
    };
  };
}

const OPTIONS = {
  scope: 'private' as const,
  pageSize: 50,
  sortBy: 'created_at desc',
  searchDebounceMs: 300
};

describe('KFPService', () => {
  it('sends list queries as KFP paging/sort/search parameters', async () => {
    const { service, calls } = fakeServer(() => ({ pipelines: [] }));
    await service.listPipelines({
      scope: 'shared',
      page_size: 20,
      page_token: 'tok',
      sort_by: 'display_name desc',
      search: 'a b'
    });
    const url = new URL(calls[0].endPoint, 'http://x/');
    expect(url.pathname).toBe('/pipelines');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      scope: 'shared',
      page_size: '20',
      page_token: 'tok',
      sort_by: 'display_name desc',
      search: 'a b'
    });
  });

  it('uploads a Jupyter-root path as JSON and a browser file as multipart', async () => {
    const { service, calls } = fakeServer(() => ({}));
    await service.uploadPipeline(
      { path: 'dir/p.yaml' },
      { name: 'n', description: '', scope: 'shared' }
    );
    expect(calls[0].endPoint).toBe('pipelines');
    expect(JSON.parse(calls[0].init.body as string)).toEqual({
      path: 'dir/p.yaml',
      name: 'n',
      scope: 'shared'
    });
    // The JupyterLab jest environment uses Node's File but jsdom's FormData, which
    // refuse each other; take Node's FormData (as in a browser, one realm).
    const NodeFormData = (
      await new Response('a=b', {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' }
      }).formData()
    ).constructor as typeof FormData;
    const jsdomFormData = global.FormData;
    global.FormData = NodeFormData;
    const file = new File(['x'], 'p.yaml');
    try {
      await service.uploadVersion('a/b', { file }, { name: 'v1' });
    } finally {
      global.FormData = jsdomFormData;
    }
    expect(calls[1].endPoint).toBe('pipelines/a%2Fb/versions');
    const form = calls[1].init.body as FormData;
    expect(form).toBeInstanceOf(NodeFormData);
    expect((form.get('file') as File).name).toBe('p.yaml');
    expect(form.get('name')).toBe('v1');
  });
});

describe('PipelineListModel', () => {
  it('loads page after page until KFP has no next_page_token', async () => {
    const { service, calls } = pipelineServer(120);
    const list = new PipelineListModel(service, OPTIONS);
    await list.refresh();
    expect(list.items).toHaveLength(50);
    expect(list.totalSize).toBe(120);
    expect(list.hasMore).toBe(true);
    await list.loadMore();
    await list.loadMore();
    expect(list.items).toHaveLength(120);
    expect(list.items[119].display_name).toBe('pipeline-00001');
    expect(list.hasMore).toBe(false);
    await list.loadMore(); // at the end: no request
    expect(calls).toHaveLength(3);
    expect(calls[1].endPoint).toContain('page_token=50');
  });

  it('does not load the same page twice while one is in flight', async () => {
    const { service, calls } = pipelineServer(120);
    const list = new PipelineListModel(service, OPTIONS);
    await list.refresh();
    await Promise.all([list.loadMore(), list.loadMore(), list.loadMore()]);
    expect(calls).toHaveLength(2);
    expect(list.items).toHaveLength(100);
  });

  it('debounces typing into one server search', async () => {
    jest.useFakeTimers();
    try {
      const { service, calls } = pipelineServer(120);
      const list = new PipelineListModel(service, OPTIONS);
      list.setSearch('0');
      list.setSearch('00');
      list.setSearch('0001');
      jest.advanceTimersByTime(299);
      expect(calls).toHaveLength(0);
      jest.advanceTimersByTime(1);
      expect(calls).toHaveLength(1);
      expect(calls[0].endPoint).toContain('search=0001');
      await jest.runAllTimersAsync();
      // 00019..00010 and 00001: what KFP's substring filter finds.
      expect(list.items).toHaveLength(11);
      expect(list.items.every(p => p.display_name!.includes('0001'))).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('drops the answer of a query the user already replaced', async () => {
    let release: (v: any) => void = () => undefined;
    const { service } = fakeServer(endPoint =>
      endPoint.includes('scope=shared')
        ? new Promise(resolve => (release = resolve))
        : { pipelines: [{ id: 'mine' }], next_page_token: '' }
    );
    const list = new PipelineListModel(service, { ...OPTIONS, scope: 'shared' });
    const slow = list.refresh();
    await list.setScope('private');
    release({ pipelines: [{ id: 'shared-late' }], next_page_token: '' });
    await slow;
    expect(list.items.map(p => p.id)).toEqual(['mine']);
    expect(list.loading).toBe(false);
  });

  it('keeps the diagnosis of a failed page and hands it to the error handler', async () => {
    const seen: string[] = [];
    const { service, calls } = fakeServer(
      () => recordedError('session_expired')
    );
    const list = new PipelineListModel(service, OPTIONS, error => {
      seen.push((error as ApiError).code);
      return (error as ApiError).problem;
    });
    await list.refresh();
    expect(list.error?.code).toBe('session_expired');
    expect(seen).toEqual(['session_expired']);
    await list.loadMore(); // failed: scrolling does not hammer the server
    expect(calls).toHaveLength(1);
  });

  it('retries the page that failed and keeps the pages before it', async () => {
    const pages = pipelinePages(120);
    let failNext = false;
    const { service, calls } = fakeServer(endPoint => {
      if (failNext) {
        failNext = false;
        return recordedError('unreachable');
      }
      return pages(endPoint);
    });
    const list = new PipelineListModel(service, OPTIONS);
    await list.refresh();
    failNext = true;
    await list.loadMore();
    expect(list.error?.code).toBe('unreachable');
    expect(list.items).toHaveLength(50);
    await list.retry();
    expect(list.error).toBeNull();
    expect(list.items).toHaveLength(100);
    expect(calls[2].endPoint).toBe(calls[1].endPoint); // the same page again
  });
});

describe('ConnectionModel', () => {
  const connected = recorded('status_connected');

  it('signs in, and announces the new context once', async () => {
    const { service, calls } = fakeServer(endPoint =>
      endPoint === 'login' ? connected : {}
    );
    const model = new ConnectionModel(service);
    let contexts = 0;
    model.contextChanged.connect(() => contexts++);
    expect(
      await model.login({ auth: 'dex', username: 'u', password: 'p' })
    ).toBe(true);
    expect(model.connected).toBe(true);
    expect(contexts).toBe(1);
    expect(JSON.parse(calls[0].init.body as string).password).toBe('p');
  });

  it('keeps the reason of a failed sign-in and stays signed out', async () => {
    const { service } = fakeServer(endPoint =>
      endPoint === 'login'
        ? recordedError('invalid_credentials')
        : {}
    );
    const model = new ConnectionModel(service);
    expect(await model.login({ auth: 'dex' })).toBe(false);
    expect(model.problem?.code).toBe('invalid_credentials');
    expect(model.connected).toBe(false);
    expect(model.busy).toBe(false);
  });

  it('asks the server again when any call says the session expired', async () => {
    let state = 'connected';
    const { service, calls } = fakeServer(endPoint =>
      endPoint === 'status' ? { ...connected, state } : {}
    );
    const model = new ConnectionModel(service);
    await model.refreshStatus();
    state = 'expired';
    model.handleError(recordedError('session_expired'));
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(calls.filter(c => c.endPoint === 'status')).toHaveLength(2);
    expect(model.status?.state).toBe('expired');
    expect(model.problem?.code).toBe('session_expired');
    // Other failures are the caller's to show; no status round trip.
    model.handleError(recordedError('not_found'));
    expect(calls.filter(c => c.endPoint === 'status')).toHaveLength(2);
  });

  it('switches namespace through the server', async () => {
    let namespace = 'ns';
    const { service, calls } = fakeServer((endPoint, init) => {
      if (endPoint === 'namespace') {
        namespace = JSON.parse(init.body as string).namespace;
        return { namespace };
      }
      return { ...connected, namespace };
    });
    const model = new ConnectionModel(service);
    await model.refreshStatus();
    let contexts = 0;
    model.contextChanged.connect(() => contexts++);
    await model.setNamespace(' team-a ');
    expect(calls.find(c => c.endPoint === 'namespace')?.init.method).toBe('PUT');
    expect(model.status?.namespace).toBe('team-a');
    expect(contexts).toBeGreaterThanOrEqual(1);
  });
});

describe('runUpload', () => {
  const source = { path: 'p.yaml' };
  const base = {
    source,
    mode: 'pipeline' as const,
    name: 'hello',
    description: '',
    scope: 'private' as const
  };

  it('turns a duplicate name into an offer for the existing pipeline', async () => {
    const { service } = fakeServer(
      () =>
        recordedError('duplicate_name', { name: 'hello', pipeline_id: 'p1' })
    );
    const outcome = await runUpload(service, base);
    expect(outcome).toMatchObject({
      ok: false,
      duplicate: { name: 'hello', pipelineId: 'p1' }
    });
  });

  it('finds the existing pipeline by exact name when the error does not say', async () => {
    const { service } = fakeServer(endPoint =>
      endPoint === 'pipelines'
        ? // KFP's own 409 (a race past the server's check) names no pipeline id.
          recordedError('duplicate_name', { name: 'hello', pipeline_id: '' })
        : {
            ...recorded('pipelines_page'),
            pipelines: [
              listedPipeline('p2', 'hello-world'),
              listedPipeline('p1', 'hello')
            ]
          }
    );
    const outcome = await runUpload(service, base);
    expect(outcome.ok === false && outcome.duplicate?.pipelineId).toBe('p1');
  });

  it('passes an invalid package problem through without an offer', async () => {
    const { service } = fakeServer(
      () => recordedError('invalid_package')
    );
    const outcome = await runUpload(service, base);
    expect(outcome).toMatchObject({ ok: false, duplicate: null });
  });

  it('uploads a version to the chosen pipeline', async () => {
    const created = recorded('upload_created');
    created.pipeline.id = created.version.pipeline_id = 'p1';
    created.version.id = 'v2';
    const { service, calls } = fakeServer(() => created);
    const outcome = await runUpload(service, {
      ...base,
      mode: 'version',
      pipelineId: 'p1'
    });
    expect(calls[0].endPoint).toBe('pipelines/p1/versions');
    expect(outcome).toMatchObject({ ok: true, version: { id: 'v2' } });
  });
});

describe('readSettings', () => {
  it('clamps to what KFP accepts and falls back to defaults', () => {
    const settings = {
      composite: { pageSize: 5000, defaultScope: 'nonsense', searchDebounceMs: -1 }
    } as any;
    expect(readSettings(settings)).toEqual({
      defaultScope: 'private',
      pageSize: 200,
      searchDebounceMs: 0,
      defaultSort: 'created_at desc',
      statusPollSeconds: 60
    });
  });
});

describe('KFPService.getPipeline', () => {
  it('gives the versions newest first, whatever order the page came in', async () => {
    const { service } = fakeServer(() => ({
      pipeline: { id: 'p' },
      versions: [
        { id: 'old', created_at: '2026-01-01T00:00:00Z' },
        { id: 'new', created_at: '2026-03-01T00:00:00Z' },
        { id: 'mid', created_at: '2026-02-01T00:00:00Z' }
      ],
      total_size: 3
    }));
    const data = await service.getPipeline('p');
    expect(data.versions.map(v => v.id)).toEqual(['new', 'mid', 'old']);
  });
});
