/** A small JSON-over-HTTP helper for service-to-service REST calls: timeouts, request ids, OpenStack errors. */
import { OpenStackError, ServiceUnavailable } from '@strata/errors';

/** Options of one request. */
export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** @default 30000 */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A response: status, headers and parsed JSON body (undefined when empty). */
export interface JsonResponse<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

function messageOf(body: unknown, fallback: string): string {
  if (typeof body !== 'object' || body === null) return fallback;
  const first = Object.values(body as Record<string, unknown>)[0];
  if (typeof first === 'object' && first !== null && typeof (first as { message?: unknown }).message === 'string') return (first as { message: string }).message;
  if (typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  return fallback;
}

/**
 * Send a request and parse JSON. A status ≥ 400 throws an OpenStackError with the same status and the
 * service's message; a connection failure or timeout throws ServiceUnavailable naming the URL.
 */
export async function requestJson<T>(url: string, opts: RequestOptions = {}): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
  const signal = opts.signal === undefined ? timeout : AbortSignal.any([timeout, opts.signal]);
  let res: Response;
  try {
    res = await fetch(url, { method: opts.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}), signal });
  } catch (err) {
    throw new ServiceUnavailable(`${opts.method ?? 'GET'} ${url} failed: ${(err as Error).message}`, { url }, 'ServiceUnreachable', { cause: err });
  }
  const text = await res.text();
  let parsed: unknown;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (res.status >= 400) throw new OpenStackError(res.status, `HTTP${res.status}`, messageOf(parsed, `${opts.method ?? 'GET'} ${url} returned ${res.status}`), { url });
  return { status: res.status, headers: res.headers, body: parsed as T };
}
