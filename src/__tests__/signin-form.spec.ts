import {
  ISignInFields,
  loginRequest,
  offersSkipVerification
} from '../components/SignInForm';
import { ConnectionModel } from '../model';
import { IStatus } from '../tokens';
import { fakeServer } from './fakeServer';
import { recorded } from './recorded';

const FILLED: ISignInFields = {
  method: 'dex',
  host: '',
  username: 'user@example.com',
  password: '12341234',
  connector: 'local',
  keep: false,
  secret: '',
  skipVerify: true
};

/** A model whose status came from a fake server answering `status` (a recorded answer). */
async function signedOutModel(status: IStatus) {
  const server = fakeServer(endPoint =>
    endPoint.startsWith('status') ? status : { ...status, state: 'connected' }
  );
  const model = new ConnectionModel(server.service);
  await model.refreshStatus();
  return { model, calls: server.calls };
}

function sentBody(calls: { endPoint: string; init: RequestInit }[]): any {
  const login = calls.find(c => c.endPoint === 'login');
  return JSON.parse(String(login?.init.body));
}

describe('the sign-in form and the TLS policy', () => {
  it('offers "don\'t verify" and sends verify_ssl: false where the admin allows it', async () => {
    const status = recorded('status_signed_out');
    expect(status.allow_insecure_tls).toBe(true); // what the server says by default
    const { model, calls } = await signedOutModel(status);
    expect(offersSkipVerification(model.status)).toBe(true);
    await model.login(loginRequest(FILLED, model.status));
    expect(sentBody(calls).verify_ssl).toBe(false);
  });

  it('hides the box, and never sends verify_ssl, where the admin forbids it', async () => {
    const forbidden = { ...recorded('status_signed_out'), allow_insecure_tls: false };
    const { model, calls } = await signedOutModel(forbidden);
    expect(offersSkipVerification(model.status)).toBe(false);
    await model.login(loginRequest(FILLED, model.status));
    expect(sentBody(calls)).not.toHaveProperty('verify_ssl');
  });

  it('does not offer it to a server that does not state its policy', () => {
    const { allow_insecure_tls, ...older } = recorded('status_signed_out');
    expect(allow_insecure_tls).toBeDefined();
    expect(offersSkipVerification(older)).toBe(false);
    expect(loginRequest(FILLED, older)).not.toHaveProperty('verify_ssl');
  });

  it('offers it only for an https endpoint, configured or typed', () => {
    const status = recorded('status_signed_out');
    expect(offersSkipVerification({ ...status, host: 'http://127.0.0.1:8080/pipeline' })).toBe(
      false
    );
    const unset = { ...status, host: '' };
    expect(offersSkipVerification(unset)).toBe(false);
    expect(offersSkipVerification(unset, 'http://kfp.local')).toBe(false);
    expect(offersSkipVerification(unset, ' HTTPS://kfp.local ')).toBe(true);
    const typedHttp = { ...FILLED, host: 'http://kfp.local' };
    expect(loginRequest(typedHttp, unset)).not.toHaveProperty('verify_ssl');
    const typedHttps = { ...FILLED, host: 'https://kfp.local' };
    expect(loginRequest(typedHttps, unset)).toMatchObject({
      host: 'https://kfp.local',
      verify_ssl: false
    });
  });

  it('leaves verification on when the box is not ticked', () => {
    const status = recorded('status_signed_out');
    const request = loginRequest({ ...FILLED, skipVerify: false }, status);
    expect(request).not.toHaveProperty('verify_ssl');
    expect(request).toMatchObject({ auth: 'dex', username: 'user@example.com' });
  });
});
