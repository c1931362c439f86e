import { ApiError, requestAPI } from './api';
import { FRONTEND_VERSION, IVersionCheck } from './tokens';

/** Ask the server extension for its version and compare it with ours. */
export async function checkVersion(
  request: typeof requestAPI = requestAPI
): Promise<IVersionCheck> {
  try {
    const reply = await request<{ version: string }>('version');
    return compareVersions(reply.version, FRONTEND_VERSION);
  } catch (error) {
    if (error instanceof ApiError) {
      return {
        status: 'missing',
        serverVersion: null,
        frontendVersion: FRONTEND_VERSION
      };
    }
    throw error;
  }
}

/** Python writes pre-releases as `0.1.0a1`, npm as `0.1.0-alpha.1`: compare them alike. */
export function normalizeVersion(version: string): string {
  return version
    .trim()
    .replace(/-?alpha\.?/, 'a')
    .replace(/-?beta\.?/, 'b')
    .replace(/-?rc\.?/, 'rc')
    .replace(/\.dev\d*$/, '');
}

export function compareVersions(
  serverVersion: string,
  frontendVersion: string
): IVersionCheck {
  const same =
    normalizeVersion(serverVersion) === normalizeVersion(frontendVersion);
  return {
    status: same ? 'ok' : 'mismatch',
    serverVersion,
    frontendVersion
  };
}
