import { nullTranslator } from '@jupyterlab/translation';

import { KFPService } from '../api';
import { UploadFormModel } from '../components/UploadDialog';
import { isValidName, proposeName } from '../k8sNames';

describe('Kubernetes names', () => {
  it('knows DNS-1123 subdomains and proposes one from any text', () => {
    expect(isValidName('my-pipeline.v2')).toBe(true);
    expect(isValidName('My Pipeline')).toBe(false);
    expect(isValidName('a'.repeat(254))).toBe(false);
    expect(proposeName('My Scaler (v2)')).toBe('my-scaler-v2');
    expect(proposeName('Ünïcode Pipeline')).toBe('unicode-pipeline');
    expect(proposeName('--a..b--')).toBe('a.b');
    expect(proposeName('!!!')).toBe('pipeline');
    expect(proposeName('x'.repeat(300)).length).toBe(128);
  });
});

describe('UploadFormModel with the Kubernetes store', () => {
  function form(kubernetesNames: boolean, sent: Record<string, string>[]) {
    const request = async (endPoint: string, init?: RequestInit) => {
      if (endPoint === 'validate') {
        return { valid: true, name: 'hello', summary: { tasks: [], parameters: [] } };
      }
      sent.push(JSON.parse(String(init?.body)));
      return { pipeline: { id: 'p1' }, version: { id: 'v1' } };
    };
    return new UploadFormModel(
      new KFPService(request as any),
      { path: 'hello.yaml' },
      nullTranslator.load('jupyter_kfp_connect'),
      { scope: 'private', multiUser: true, namespace: 'ns', kubernetesNames }
    );
  }

  it('sends a valid name and keeps the typed text as display name', async () => {
    const sent: Record<string, string>[] = [];
    const model = form(true, sent);
    await model.validate();
    model.setName('My Pipeline');
    expect(model.effectiveName).toBe('my-pipeline');
    expect(await model.submit()).toBe(true);
    expect(sent[0]).toMatchObject({ name: 'my-pipeline', display_name: 'My Pipeline' });
  });

  it('leaves names alone with the database store, and sends a display name apart', async () => {
    const sent: Record<string, string>[] = [];
    const model = form(false, sent);
    await model.validate();
    model.setName('My Pipeline');
    model.update({ displayName: 'Shown name' });
    expect(await model.submit()).toBe(true);
    expect(sent[0]).toMatchObject({ name: 'My Pipeline', display_name: 'Shown name' });
  });
});
