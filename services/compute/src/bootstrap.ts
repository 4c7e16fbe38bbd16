/** First-start data of nova: the classic flavors m1.tiny … m1.xlarge, created idempotently. */
import type { ComputeApi } from './compute-api.js';

/** OpenStack's classic default flavors (id, name, MB, vCPUs, GB). */
export const CLASSIC_FLAVORS: ReadonlyArray<{ id: string; name: string; memoryMb: number; vcpus: number; rootGb: number }> = [
  { id: '1', name: 'm1.tiny', memoryMb: 512, vcpus: 1, rootGb: 1 },
  { id: '2', name: 'm1.small', memoryMb: 2048, vcpus: 1, rootGb: 20 },
  { id: '3', name: 'm1.medium', memoryMb: 4096, vcpus: 2, rootGb: 40 },
  { id: '4', name: 'm1.large', memoryMb: 8192, vcpus: 4, rootGb: 80 },
  { id: '5', name: 'm1.xlarge', memoryMb: 16384, vcpus: 8, rootGb: 160 },
];

/** Create any classic flavor that is missing (by id or by name); returns the names created. */
export async function seedFlavors(api: ComputeApi): Promise<string[]> {
  const existing = await api.flavors.list();
  const created: string[] = [];
  for (const f of CLASSIC_FLAVORS) {
    if (existing.some((e) => e.id === f.id || e.name === f.name)) continue;
    await api.flavors.create({ ...f, ephemeralGb: 0, swap: 0, rxtxFactor: 1, isPublic: true, description: null });
    created.push(f.name);
  }
  return created;
}
