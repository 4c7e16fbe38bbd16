/** Errors of the OpenStack APIs, with the message each service puts in its own error body. */

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Find the human message in nova ({"forbidden": {"message"}}), neutron ({"NeutronError"}), keystone ({"error"}) and cinder bodies. */
export function errorMessage(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as unknown;
    if (body !== null && typeof body === 'object') {
      for (const v of Object.values(body as Record<string, unknown>)) {
        if (v !== null && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') return (v as { message: string }).message;
      }
      const m = (body as { message?: unknown }).message;
      if (typeof m === 'string') return m;
    }
  } catch {
    // not JSON: glance answers some errors in text or HTML
  }
  const plain = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return plain !== '' ? plain.slice(0, 300) : `HTTP ${status}`;
}

/** A message to show for any thrown value. */
export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
