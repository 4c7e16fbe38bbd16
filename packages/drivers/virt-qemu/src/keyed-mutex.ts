/** Serializes async work per key (nova's `@utils.synchronized(instance.uuid)`), and tells which keys are busy. */

/** One lock per key; work for different keys runs concurrently. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #busy = new Map<string, number>();

  /** Run `fn` once every earlier `run` for `key` has settled; resolves or rejects as `fn` does. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = prev.then(() => mine);
    this.#tails.set(key, tail);
    this.#busy.set(key, (this.#busy.get(key) ?? 0) + 1);
    try {
      await prev;
      return await fn();
    } finally {
      release();
      const n = (this.#busy.get(key) ?? 1) - 1;
      if (n === 0) this.#busy.delete(key);
      else this.#busy.set(key, n);
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** True while work for `key` runs or waits. */
  isBusy(key: string): boolean {
    return this.#busy.has(key);
  }
}
