/** A promise raced against a timer that is always cleared, so no pending timer keeps the process alive. */

/** `promise`'s value, or `onTimeout` after `ms`; rejects when `signal` aborts or `promise` rejects. */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: T, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      cleanup();
      reject(signal?.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError'));
    };
    const timer = setTimeout(() => {
      cleanup();
      resolve(onTimeout);
    }, ms);
    if (signal?.aborted === true) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        cleanup();
        resolve(v);
      },
      (e: unknown) => {
        cleanup();
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
