import { nullTranslator } from '@jupyterlab/translation';

import { ApiError, KFPService } from '../api';
import { IProblem } from '../tokens';
import { UploadFormModel } from '../components/UploadDialog';

function problem(code: string, status: number): IProblem {
  return { code, message: code, fix: '', yaml: '', status, details: {} };
}

describe('UploadFormModel', () => {
  it('hands a failed upload to the connection (an expired session asks to sign in again)', async () => {
    const request = async (endPoint: string) => {
      if (endPoint === 'validate') {
        return { valid: true, name: 'hello', summary: { tasks: [], parameters: [] } };
      }
      throw new ApiError(problem('session_expired', 401));
    };
    const seen: string[] = [];
    const form = new UploadFormModel(
      new KFPService(request as any),
      { path: 'hello.yaml' },
      nullTranslator.load('jupyter_kfp_connect'),
      {
        scope: 'private',
        multiUser: true,
        namespace: 'ns',
        onProblem: p => seen.push(p.code)
      }
    );
    await form.validate();
    expect(await form.submit()).toBe(false);
    expect(form.problem?.code).toBe('session_expired');
    expect(seen).toEqual(['session_expired']);
  });
});
