/**
 * Flavor extra spec validation (microversion 2.86). Keys in a namespace nova knows must be known
 * keys with valid values; keys in any other namespace (e.g. `foo:bar`) pass unchecked, as in nova.
 */
import { BadRequest } from '@strata/errors';

type Check = (value: string) => string | undefined;

const oneOf =
  (...allowed: string[]): Check =>
  (v) =>
    allowed.includes(v) ? undefined : `must be one of ${allowed.join(', ')}`;
const intAtLeast =
  (min: number): Check =>
  (v) =>
    /^-?\d+$/.test(v) && Number(v) >= min ? undefined : `must be an integer >= ${min}`;
const bool: Check = (v) => (['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', 't', 'f', 'y', 'n'].includes(v.toLowerCase()) ? undefined : 'must be a boolean');
const any: Check = () => undefined;
const pageSize: Check = (v) => (['small', 'large', 'any'].includes(v) || /^\d+(KB|MB|GB|K|M|G)?$/i.test(v) ? undefined : 'must be small, large, any or a page size');
const cpuSet: Check = (v) => (/^\^?\d+(-\d+)?(,\^?\d+(-\d+)?)*$/.test(v) ? undefined : 'must be a CPU set such as 0-3,^2');

/** Known keys of the namespaces nova validates (exact names). */
const KNOWN: Readonly<Record<string, Check>> = {
  'hw:cpu_policy': oneOf('dedicated', 'shared', 'mixed'),
  'hw:cpu_thread_policy': oneOf('prefer', 'isolate', 'require'),
  'hw:cpu_emulator_threads': oneOf('isolate', 'share'),
  'hw:cpu_dedicated_mask': cpuSet,
  'hw:cpu_realtime': bool,
  'hw:cpu_realtime_mask': cpuSet,
  'hw:cpu_sockets': intAtLeast(1),
  'hw:cpu_cores': intAtLeast(1),
  'hw:cpu_threads': intAtLeast(1),
  'hw:cpu_max_sockets': intAtLeast(1),
  'hw:cpu_max_cores': intAtLeast(1),
  'hw:cpu_max_threads': intAtLeast(1),
  'hw:numa_nodes': intAtLeast(1),
  'hw:mem_page_size': pageSize,
  'hw:mem_encryption': bool,
  'hw:watchdog_action': oneOf('none', 'pause', 'poweroff', 'reset', 'disabled'),
  'hw:boot_menu': bool,
  'hw:pmu': bool,
  'hw:serial_port_count': intAtLeast(0),
  'hw:tpm_version': oneOf('1.2', '2.0'),
  'hw:tpm_model': oneOf('tpm-tis', 'tpm-crb'),
  'hw:pci_numa_affinity_policy': oneOf('required', 'preferred', 'legacy', 'socket'),
  'hw:emulator_threads_policy': oneOf('isolate', 'share'),
  'hw:hide_hypervisor_id': bool,
  'hw:vif_multiqueue_enabled': bool,
  'hw:viommu_model': oneOf('intel', 'smmuv3', 'virtio', 'auto'),
  'hw:virtio_packed_ring': bool,
  'hw:locked_memory': bool,
  'hw:maxphysaddr_mode': oneOf('emulate', 'passthrough'),
  'hw:maxphysaddr_bits': intAtLeast(1),
  'hw:ephemeral_encryption': bool,
  'hw:ephemeral_encryption_format': oneOf('luks'),
  'hw_rng:allowed': bool,
  'hw_rng:rate_bytes': intAtLeast(0),
  'hw_rng:rate_period': intAtLeast(0),
  'hw_video:ram_max_mb': intAtLeast(0),
  'os:secure_boot': oneOf('required', 'disabled', 'optional'),
  'os:monitors': intAtLeast(1),
  'os:resolution': any,
  'os:keyboard_layout': any,
  'accel:device_profile': any,
  'group_policy': oneOf('isolate', 'none'),
  'hide_hypervisor_id': bool,
  'pci_passthrough:alias': (v) => (/^[^:,]+(:\d+)?(,[^:,]+(:\d+)?)*$/.test(v) ? undefined : 'must be alias[:count][,alias[:count]]'),
};

/** Known keys given by pattern: [namespace prefix, pattern of the full key, value check]. */
const PATTERNS: ReadonlyArray<readonly [string, RegExp, Check]> = [
  ['hw:', /^hw:numa_cpus\.\d+$/, cpuSet],
  ['hw:', /^hw:numa_mem\.\d+$/, intAtLeast(0)],
  ['hw:', /^hw:cpu_realtime_mask$/, cpuSet],
  ['quota:', /^quota:(cpu_(shares|period|quota|limit|reservation)|disk_(read|write|total)_(bytes|iops)_sec|vif_(inbound|outbound)_(average|peak|burst)|memory_(limit|reservation|shares_level|shares_share)|cpu_shares_level|cpu_shares_share|disk_io_(limit|reservation|shares_level|shares_share)|vif_(limit|reservation|shares_level|shares_share))$/, any],
  ['resources', /^resources\d*:[A-Z0-9_]+$/, intAtLeast(0)],
  ['trait', /^trait\d*:[A-Z0-9_]+$/, oneOf('required', 'forbidden')],
  ['aggregate_instance_extra_specs:', /^aggregate_instance_extra_specs:.+$/, any],
  ['capabilities:', /^capabilities:.+$/, any],
  ['vmware:', /^vmware:(hw_version|storage_policy)$/, any],
  ['powervm:', /^powervm:.+$/, any],
];

/** The namespaces nova validates: a key in one of these must be a known key. */
const NAMESPACES = ['hw:', 'hw_rng:', 'hw_video:', 'os:', 'quota:', 'accel:', 'pci_passthrough:', 'vmware:', 'resources', 'trait'];

function namespaced(key: string): boolean {
  return NAMESPACES.some((ns) => (ns.endsWith(':') ? key.startsWith(ns) : new RegExp(`^${ns}\\d*:`).test(key)));
}

/** Validate extra specs as nova does from 2.86; 400 for an unknown key or a bad value in a known namespace. */
export function validateExtraSpecs(specs: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(specs)) {
    const exact = KNOWN[key];
    const pattern = exact === undefined ? PATTERNS.find(([, re]) => re.test(key))?.[2] : undefined;
    const check = exact ?? pattern;
    if (check === undefined) {
      if (namespaced(key)) throw new BadRequest(`Validation failed; extra spec '${key}' does not exist.`, {}, 'ValidationError');
      continue;
    }
    const problem = check(value);
    if (problem !== undefined) throw new BadRequest(`Validation failed; '${value}' is not valid for extra spec '${key}': ${problem}.`, {}, 'ValidationError');
  }
}
