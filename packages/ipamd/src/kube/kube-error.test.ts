import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { kubeFailure } from './kube-error.js';

const status = (code: number, message: string) =>
  new ApiException(code, 'failed', JSON.stringify({ kind: 'Status', code, message }), {});

describe('kubeFailure', () => {
  it.each([
    { code: 409, retryable: true },
    { code: 429, retryable: true },
    { code: 500, retryable: true },
    { code: 503, retryable: true },
    { code: 400, retryable: false },
    { code: 404, retryable: false },
    { code: 422, retryable: false },
  ])('an ApiException $code is retryable: $retryable, with the Status message', ({ code, retryable }) => {
    expect(kubeFailure(status(code, `why ${code}`))).toEqual({ status: code, retryable, message: `why ${code}` });
  });

  it('a watch error carries statusCode; a transport error has no status and is retried', () => {
    expect(kubeFailure(Object.assign(new Error('Gone'), { statusCode: 410 }))).toEqual({
      status: 410,
      retryable: false,
      message: 'Gone',
    });
    expect(kubeFailure(new Error('connect ECONNREFUSED 127.0.0.1:1'))).toEqual({
      status: undefined,
      retryable: true,
      message: 'connect ECONNREFUSED 127.0.0.1:1',
    });
  });
});
