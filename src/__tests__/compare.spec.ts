import { ApiError } from '../api';
import { CompareModel, defaultPair, lineChanges } from '../model/compare';
import { IPipelineVersion, IProblem } from '../tokens';
import { fakeServer } from './fakeServer';

const V1 = 'name: scaler\nparams:\n  x: 1.5\n  label: result\ntasks: [scale]\n';
const V2 = 'name: scaler\nparams:\n  x: 2.5\n  label: result\n  rounds: 3\ntasks: [scale]\n';

/** The package endpoint, answering `texts[versionId]` (404 for any other). */
function packages(texts: Record<string, string>) {
  return fakeServer(endPoint => {
    const match = /^pipelines\/p\/versions\/([^/]+)\/package$/.exec(endPoint);
    if (match && match[1] in texts) {
      return { filename: `${match[1]}.yaml`, yaml: texts[match[1]] };
    }
    return new ApiError({ code: 'not_found', message: 'gone', status: 404 } as IProblem);
  });
}

describe('CompareModel', () => {
  it("loads both versions' packages from the package endpoint, each once", async () => {
    const { service, calls } = packages({ v1: V1, v2: V2, v3: V1 });
    const model = new CompareModel(service, 'p', 'v1', 'v2');
    expect(model.ready).toBe(false);
    await model.load();
    expect(model.ready).toBe(true);
    expect(model.left).toEqual({ versionId: 'v1', yaml: V1 });
    expect(model.right).toEqual({ versionId: 'v2', yaml: V2 });
    expect(calls.map(c => c.endPoint).sort()).toEqual([
      'pipelines/p/versions/v1/package',
      'pipelines/p/versions/v2/package'
    ]);
    // Swapping and coming back to a version already read asks for nothing.
    model.swap();
    expect(model.left.versionId).toBe('v2');
    expect(model.right.yaml).toBe(V1);
    await model.setVersions('v2', 'v1');
    expect(calls).toHaveLength(2);
    await model.setVersions('v3', 'v1');
    expect(calls).toHaveLength(3);
    expect(model.left.yaml).toBe(V1);
  });

  it('says what failed, and a later good pair clears it', async () => {
    const { service } = packages({ v1: V1, v2: V2 });
    const seen: unknown[] = [];
    const model = new CompareModel(service, 'p', 'v1', 'gone', error => {
      seen.push(error);
      return (error as ApiError).problem;
    });
    await model.load();
    expect(model.problem?.code).toBe('not_found');
    expect(model.ready).toBe(false);
    expect(seen).toHaveLength(1);
    await model.setVersions('v1', 'v2');
    expect(model.problem).toBeNull();
    expect(model.ready).toBe(true);
  });
});

describe('defaultPair', () => {
  const versions = ['c', 'b', 'a'].map(id => ({ id }) as IPipelineVersion);

  it('pairs a version with the one before it, the oldest with the one after', () => {
    expect(defaultPair(versions, 'c')).toEqual({ left: 'b', right: 'c' });
    expect(defaultPair(versions, 'b')).toEqual({ left: 'a', right: 'b' });
    expect(defaultPair(versions, 'a')).toEqual({ left: 'a', right: 'b' });
    expect(defaultPair(versions, 'unknown')).toEqual({ left: 'b', right: 'c' });
  });

  it('has nothing to compare with one version', () => {
    expect(defaultPair(versions.slice(0, 1), 'c')).toBeNull();
  });
});

describe('lineChanges', () => {
  it('counts the chunks and the lines on each side, as the merge view marks them', () => {
    // x changed (1 removed, 1 added); rounds added (1 added) after the unchanged label.
    expect(lineChanges(V1, V2)).toEqual({ added: 2, removed: 1, chunks: 2 });
    expect(lineChanges(V2, V1)).toEqual({ added: 1, removed: 2, chunks: 2 });
    expect(lineChanges(V1, V1)).toEqual({ added: 0, removed: 0, chunks: 0 });
    const far = V1 + 'a\nb\nc\nd\ne\nf\n' + 'end: 1\n';
    const farChanged = V1.replace('x: 1.5', 'x: 9') + 'a\nb\nc\nd\ne\nf\n' + 'end: 2\n';
    expect(lineChanges(far, farChanged)).toEqual({ added: 2, removed: 2, chunks: 2 });
  });
});
