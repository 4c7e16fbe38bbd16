/** MAC addresses: neutron's generated ones (base prefix + random) and validation of user-given ones. */
import { randomBytes } from 'node:crypto';

const MAC = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;

/** A random MAC under `base` (its first three octets, e.g. fa:16:3e). */
export function generateMac(base: string): string {
  const prefix = base.split(':').slice(0, 3).join(':').toLowerCase();
  const tail = [...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':');
  return `${prefix}:${tail}`;
}

/** The canonical (lowercase, colon) form of a valid unicast MAC, or undefined. */
export function normalizeMac(text: unknown): string | undefined {
  if (typeof text !== 'string' || !MAC.test(text)) return undefined;
  const mac = text.toLowerCase().replace(/-/g, ':');
  if (mac === '00:00:00:00:00:00') return undefined;
  // Multicast (and broadcast) addresses have the low bit of the first octet set.
  if ((parseInt(mac.slice(0, 2), 16) & 1) === 1) return undefined;
  return mac;
}
