/** A fake server for the models' tests: records each call, answers from `handler` (an
 * ApiError it returns is thrown, as the real request function does). */
import { ApiError, KFPService } from '../api';

export function fakeServer(handler: (endPoint: string, init: RequestInit) => any) {
  const calls: { endPoint: string; init: RequestInit }[] = [];
  const request = async (endPoint: string, init: RequestInit = {}) => {
    calls.push({ endPoint, init });
    const answer = await handler(endPoint, init);
    if (answer instanceof ApiError) {
      throw answer;
    }
    return answer;
  };
  return { service: new KFPService(request as any), calls };
}
