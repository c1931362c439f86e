import { nullTranslator } from '@jupyterlab/translation';

import { ApiError, KFPService } from '../api';
import { UploadFormModel } from '../components/UploadDialog';
import { ConnectionModel } from '../model';
import { IPipeline, IProblem } from '../tokens';
import { fakeServer } from './fakeServer';

const trans = nullTranslator.load('jupyter_kfp_connect');

/** Pipelines sorted by name, with KFP's substring search. */
function pipelines(all: IPipeline[], packageName: string) {
  return fakeServer(endPoint => {
    if (endPoint === 'validate') {
      return {
        valid: true,
        name: packageName,
        summary: { name: packageName, tasks: [], parameters: [] }
      };
    }
    const url = new URL(endPoint, 'http://x/');
    const search = url.searchParams.get('search') ?? '';
    const size = Number(url.searchParams.get('page_size') || 50);
    return {
      pipelines: all
        .filter(p => (p.display_name ?? '').includes(search))
        .slice(0, size)
    };
  });
}

function versionForm(service: KFPService, file: string, pipeline?: IPipeline) {
  const form = new UploadFormModel(service, { path: file }, trans, {
    scope: 'private',
    multiUser: true,
    namespace: 'ns',
    pipeline
  });
  form.mode = 'version';
  return form;
}

describe('Upload as a new version: which pipeline is preselected', () => {
  const all: IPipeline[] = [
    { id: 'a', display_name: 'aardvark' },
    { id: 'h', display_name: 'hello-world' },
    { id: 't', display_name: 'training' }
  ];

  it("preselects the pipeline named like the package's pipelineInfo.name", async () => {
    const { service } = pipelines(all, 'training');
    const form = versionForm(service, 'my-file.yaml');
    await form.searchTargets('');
    await form.validate();
    expect(form.target?.id).toBe('t');
  });

  it('falls back to the file name', async () => {
    const { service } = pipelines(all, 'something-else');
    const form = versionForm(service, 'hello-world.yaml');
    await form.validate();
    await form.searchTargets('');
    expect(form.target?.id).toBe('h');
  });

  it('finds the match beyond the first page by searching its name', async () => {
    const many: IPipeline[] = Array.from({ length: 80 }, (_, i) => ({
      id: `p${i}`,
      display_name: `a-${String(i).padStart(3, '0')}`
    }));
    many.push({ id: 'z', display_name: 'zebra' });
    const { service } = pipelines(many, 'zebra');
    const form = versionForm(service, 'x.yaml');
    await form.validate();
    await form.searchTargets('');
    expect(form.target?.id).toBe('z');
  });

  it('selects nothing when no name matches, and refuses to upload until the user chooses', async () => {
    const { service, calls } = pipelines(all, 'unknown');
    const form = versionForm(service, 'other.yaml');
    await form.validate();
    await form.searchTargets('');
    expect(form.candidates.map(c => c.id)).toEqual(['a', 'h', 't']);
    expect(form.target).toBeNull();
    expect(await form.submit()).toBe(false);
    expect(form.problem?.message).toMatch(/Choose the pipeline/);
    expect(calls.some(c => c.endPoint.startsWith('pipelines/upload'))).toBe(false);
  });

  it('keeps the pipeline the user came from', async () => {
    const { service } = pipelines(all, 'training');
    const form = versionForm(service, 'training.yaml', all[0]);
    await form.validate();
    await form.searchTargets('');
    expect(form.target?.id).toBe('a');
  });
});

function problem(code: string, status: number, details = {}): IProblem {
  return { code, message: code, fix: '', yaml: '', status, details };
}

const connected = {
  state: 'connected',
  host: 'http://kfp',
  namespace: 'ns',
  auth: 'dex',
  multi_user: true
};

describe('ConnectionModel safety', () => {
  afterEach(() => jest.useRealTimers());

  it('polls with a session check while connected, and shows the expiry', async () => {
    jest.useFakeTimers();
    let state = 'connected';
    const { service, calls } = fakeServer(endPoint => {
      if (endPoint === 'status?check=1') {
        state = 'expired'; // the light KFP call found the gateway session gone
      }
      return { ...connected, state };
    });
    const model = new ConnectionModel(service);
    await model.refreshStatus();
    model.startPolling(60);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(calls.map(c => c.endPoint)).toEqual(['status', 'status?check=1']);
    expect(model.status?.state).toBe('expired');
    // Signed out: polling answers from memory (no KFP call to make).
    await jest.advanceTimersByTimeAsync(60_000);
    expect(calls[2].endPoint).toBe('status');
    model.dispose();
  });

  it('refuses a typed namespace the server could not list, and keeps the old one', async () => {
    const { service, calls } = fakeServer((endPoint, init) => {
      if (endPoint === 'namespace') {
        const body = JSON.parse(init.body as string);
        expect(body).toEqual({ namespace: 'alice', check: true });
        return new ApiError(
          problem('namespace_denied', 403, { kfp_message: 'PermissionDenied' })
        );
      }
      return connected;
    });
    const model = new ConnectionModel(service);
    await model.refreshStatus();
    let contexts = 0;
    model.contextChanged.connect(() => contexts++);
    expect(await model.setNamespace('alice', true)).toBe(false);
    expect(model.problem?.code).toBe('namespace_denied');
    expect(model.status?.namespace).toBe('ns');
    expect(contexts).toBe(0);
    expect(calls.filter(c => c.endPoint === 'namespace')).toHaveLength(1);
  });
});
