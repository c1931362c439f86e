import { nullTranslator } from '@jupyterlab/translation';

import { KFPService } from '../api';
import { UploadFormModel } from '../components/UploadDialog';
import { recorded, recordedError } from './recorded';

describe('UploadFormModel', () => {
  it('hands a failed upload to the connection (an expired session asks to sign in again)', async () => {
    const request = async (endPoint: string) => {
      if (endPoint === 'validate') {
        return recorded('validate_ok');
      }
      throw recordedError('session_expired');
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

  it('keeps the name as it is once the person clicked or typed in it, even if validation ends later', async () => {
    const request = async (endPoint: string) => {
      if (endPoint === 'validate') {
        return recorded('validate_ok');
      }
      throw new Error(`unexpected ${endPoint}`);
    };
    const make = () =>
      new UploadFormModel(
        new KFPService(request as any),
        { path: 'hello_pipeline.yaml' },
        nullTranslator.load('jupyter_kfp_connect'),
        { scope: 'private', multiUser: true, namespace: 'ns' }
      );
    // Untouched, the package's own name replaces the file's.
    const untouched = make();
    await untouched.validate();
    expect(untouched.name).not.toBe('hello_pipeline');
    // Clicked into (a selection made, typing about to start) before validation answers.
    const clicked = make();
    clicked.claimName();
    await clicked.validate();
    expect(clicked.name).toBe('hello_pipeline');
  });
});
