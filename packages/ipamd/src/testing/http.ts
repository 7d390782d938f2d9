/** A small fetch wrapper for API tests: JSON bodies, raw bodies, and the answer as text + JSON. */
export interface CallOptions {
  auth?: string;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is (with `contentType`, default application/json). */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: unknown;
}

export const call = async (base: string, method: string, path: string, o: CallOptions = {}): Promise<CallResult> => {
  const headers: Record<string, string> = { ...o.headers };
  if (o.auth) headers.authorization = o.auth;
  let body: string | undefined;
  if (o.json !== undefined) body = JSON.stringify(o.json);
  if (o.raw !== undefined) body = o.raw;
  if (body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
  const res = await fetch(base + path, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
};
