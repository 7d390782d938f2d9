import { ApiException } from '@kubernetes/client-node';

/** What the Kubernetes adapter needs to know about a failed apiserver call. */
export interface KubeFailure {
  /** HTTP status, when the server answered. */
  status: number | undefined;
  /** Worth retrying: conflicts, throttling, server errors and transport failures. */
  retryable: boolean;
  message: string;
}

/**
 * The one place where client-node errors are read: `ApiException.code` of the typed APIs,
 * `statusCode` of watch errors, anything else (fetch/socket errors) as a transport failure.
 */
export const kubeFailure = (err: unknown): KubeFailure => {
  let status: number | undefined;
  let message = err instanceof Error ? err.message.split('\n')[0] || err.name : String(err);
  if (err instanceof ApiException) {
    status = err.code;
    const body = typeof err.body === 'string' ? safeJson(err.body) : err.body;
    if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
      message = (body as { message: string }).message;
    }
  } else if (err && typeof err === 'object' && typeof (err as { statusCode?: unknown }).statusCode === 'number') {
    status = (err as { statusCode: number }).statusCode;
  }
  const retryable = status === undefined || status === 409 || status === 429 || status >= 500;
  return { status, retryable, message };
};

const safeJson = (s: string): unknown => {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
};
