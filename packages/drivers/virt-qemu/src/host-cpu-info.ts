/** The host CPU as nova reports `cpu_info`, read from /proc/cpuinfo. */
import { readFile } from 'node:fs/promises';
import type { CpuInfo } from '@strata/virt';

/** Parse /proc/cpuinfo text (exported for tests). */
export function parseCpuInfo(text: string): CpuInfo {
  const first = text.split('\n\n')[0] ?? '';
  const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(first)?.[1]?.trim();
  const sockets = new Set([...text.matchAll(/^physical id\s*:\s*(\d+)/gm)].map((m) => m[1])).size || 1;
  const cores = Number(field('cpu cores') ?? '1') || 1;
  const siblings = Number(field('siblings') ?? String(cores)) || cores;
  return {
    arch: 'x86_64',
    model: field('model name') ?? 'unknown',
    vendor: field('vendor_id') ?? 'unknown',
    topology: { sockets, cores, threads: Math.max(1, Math.round(siblings / cores)) },
    features: (field('flags') ?? '').split(/\s+/).filter((f) => f.length > 0),
  };
}

/** This host's CPU. */
export async function hostCpuInfo(): Promise<CpuInfo> {
  return parseCpuInfo(await readFile('/proc/cpuinfo', 'utf8').catch(() => ''));
}
