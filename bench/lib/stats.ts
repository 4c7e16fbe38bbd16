/** Small helpers shared by the benchmarks: `--name N` and `--name word` flags, median and percentile. */

/** The number after `--<name>` on the command line, or `def`. */
export function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

/** The word after `--<name>` on the command line, or `def` (also when nothing follows the flag). */
export function textArg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}

/** The upper median of `xs` (0 when empty). */
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

/** The `p` quantile of `xs`, 0 ≤ p ≤ 1 (0 when empty). */
export const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0;
