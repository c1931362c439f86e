import { ApiError } from '../api';
import { FRONTEND_VERSION } from '../tokens';
import { checkVersion, compareVersions, normalizeVersion } from '../version';

describe('version handshake', () => {
  it('accepts the same version written the Python and the npm way', () => {
    expect(normalizeVersion('0.2.0a1')).toBe(normalizeVersion('0.2.0-alpha.1'));
    expect(compareVersions('0.2.0rc1', '0.2.0-rc.1').status).toBe('ok');
  });

  it('flags a different server version', () => {
    const check = compareVersions('0.1.0', '0.2.0');
    expect(check.status).toBe('mismatch');
    expect(check.serverVersion).toBe('0.1.0');
  });

  it('reports a missing server extension when the endpoint fails', async () => {
    const failing = async () => {
      throw new ApiError({
        code: 'extension_missing',
        message: 'not found',
        fix: '',
        yaml: '',
        status: 404
      });
    };
    const check = await checkVersion(failing as any);
    expect(check).toEqual({
      status: 'missing',
      serverVersion: null,
      frontendVersion: FRONTEND_VERSION
    });
  });

  it('passes when the server answers our own version', async () => {
    const answering = async () => ({ version: FRONTEND_VERSION });
    expect((await checkVersion(answering as any)).status).toBe('ok');
  });
});
