/** ML2 type drivers: flat, vlan and vxlan segments, validated for provider networks and allocated for project networks. */
import type { PluginSettings } from '../../plugin-settings.js';
import type { NetworkDb } from '../../objects/common.js';
import { usedSegmentationIds, type Segment } from '../../objects/network.js';
import { invalidInput } from '../../errors.js';
import { OpenStackError } from '@strata/errors';

/** A segment before its row exists. */
export type SegmentRequest = Omit<Segment, 'id'>;

/** What an admin asked for with provider:* attributes (undefined: not given). */
export interface ProviderRequest {
  readonly networkType: string;
  readonly physicalNetwork: string | null | undefined;
  readonly segmentationId: number | null | undefined;
}

/** One network type. */
export interface TypeDriver {
  readonly type: Segment['networkType'];
  /** Check a provider segment; fills in a segmentation id from the ranges when none was given. */
  reserveProviderSegment(db: NetworkDb, req: ProviderRequest, attempt: number): Promise<SegmentRequest>;
  /** A segment for a project network, or undefined when every id is taken. */
  allocateTenantSegment(db: NetworkDb, attempt: number): Promise<SegmentRequest | undefined>;
  /** The MTU of networks of this type. */
  mtu(globalPhysnetMtu: number): number;
}

function noNetworkAvailable(): OpenStackError {
  return new OpenStackError(503, 'NoNetworkAvailable', 'Unable to create the network. No tenant network is available for allocation.');
}

/** The segmentation id a provider request names, else a free one from `pool` (503 when none is); 400 outside 1..`max`. */
async function providerSegmentationId(db: NetworkDb, req: ProviderRequest, type: string, physnet: string | null, pool: ReadonlyArray<{ min: number; max: number }>, max: number, attempt: number): Promise<number> {
  let id = req.segmentationId;
  if (id === undefined || id === null) {
    id = await pickId(db, type, physnet, pool, attempt);
    if (id === undefined) throw noNetworkAvailable();
  }
  if (!Number.isInteger(id) || id < 1 || id > max) throw invalidInput(`segmentation_id out of range (1 through ${max}).`);
  return id;
}

/** The lowest free id in `ranges` (or a random one among the first few after a lost race). */
async function pickId(db: NetworkDb, type: string, physnet: string | null, ranges: ReadonlyArray<{ min: number; max: number }>, attempt: number): Promise<number | undefined> {
  const used = new Set(await usedSegmentationIds(db, type, physnet));
  const free: number[] = [];
  const want = attempt === 0 ? 1 : 16;
  for (const r of ranges) {
    for (let id = r.min; id <= r.max && free.length < want; id++) if (!used.has(id)) free.push(id);
    if (free.length >= want) break;
  }
  if (free.length === 0) return undefined;
  return free[attempt === 0 ? 0 : Math.floor(Math.random() * free.length)];
}

class FlatTypeDriver implements TypeDriver {
  readonly type = 'flat' as const;
  readonly #settings: PluginSettings;
  constructor(settings: PluginSettings) {
    this.#settings = settings;
  }
  async reserveProviderSegment(_db: NetworkDb, req: ProviderRequest): Promise<SegmentRequest> {
    if (req.segmentationId !== undefined && req.segmentationId !== null) throw invalidInput('segmentation_id not allowed for flat provider network.');
    if (req.physicalNetwork === undefined || req.physicalNetwork === null || req.physicalNetwork === '') throw invalidInput('physical_network required for flat provider network.');
    const allowed = this.#settings.flatNetworks;
    if (!allowed.includes('*') && !allowed.includes(req.physicalNetwork)) throw invalidInput(`physical_network '${req.physicalNetwork}' unknown for flat provider network.`);
    return { networkType: 'flat', physicalNetwork: req.physicalNetwork, segmentationId: null };
  }
  async allocateTenantSegment(): Promise<SegmentRequest | undefined> {
    return undefined;
  }
  mtu(global: number): number {
    return global;
  }
}

class VlanTypeDriver implements TypeDriver {
  readonly type = 'vlan' as const;
  readonly #settings: PluginSettings;
  constructor(settings: PluginSettings) {
    this.#settings = settings;
  }
  async reserveProviderSegment(db: NetworkDb, req: ProviderRequest, attempt: number): Promise<SegmentRequest> {
    const physnet = req.physicalNetwork;
    if (physnet === undefined || physnet === null || physnet === '') throw invalidInput('physical_network required for VLAN provider network.');
    const ranges = this.#settings.vlanRanges.filter((r) => r.physnet === physnet);
    if (ranges.length === 0) throw invalidInput(`physical_network '${physnet}' unknown for VLAN provider network.`);
    const pool = ranges.filter((r) => r.min !== null && r.max !== null).map((r) => ({ min: r.min as number, max: r.max as number }));
    const id = await providerSegmentationId(db, req, 'vlan', physnet, pool, 4094, attempt);
    return { networkType: 'vlan', physicalNetwork: physnet, segmentationId: id };
  }
  async allocateTenantSegment(db: NetworkDb, attempt: number): Promise<SegmentRequest | undefined> {
    for (const r of this.#settings.vlanRanges) {
      if (r.min === null || r.max === null) continue;
      const id = await pickId(db, 'vlan', r.physnet, [{ min: r.min, max: r.max }], attempt);
      if (id !== undefined) return { networkType: 'vlan', physicalNetwork: r.physnet, segmentationId: id };
    }
    return undefined;
  }
  mtu(global: number): number {
    return global;
  }
}

class VxlanTypeDriver implements TypeDriver {
  readonly type = 'vxlan' as const;
  readonly #settings: PluginSettings;
  constructor(settings: PluginSettings) {
    this.#settings = settings;
  }
  async reserveProviderSegment(db: NetworkDb, req: ProviderRequest, attempt: number): Promise<SegmentRequest> {
    if (req.physicalNetwork !== undefined && req.physicalNetwork !== null && req.physicalNetwork !== '') throw invalidInput('provider:physical_network specified for vxlan network.');
    const id = await providerSegmentationId(db, req, 'vxlan', null, this.#settings.vniRanges, 16_777_215, attempt);
    return { networkType: 'vxlan', physicalNetwork: null, segmentationId: id };
  }
  async allocateTenantSegment(db: NetworkDb, attempt: number): Promise<SegmentRequest | undefined> {
    const id = await pickId(db, 'vxlan', null, this.#settings.vniRanges, attempt);
    return id === undefined ? undefined : { networkType: 'vxlan', physicalNetwork: null, segmentationId: id };
  }
  mtu(global: number): number {
    // NOTE: VXLAN over IPv4 costs 50 bytes of headers (neutron's VXLAN_ENCAP_OVERHEAD).
    return global - 50;
  }
}

/** ML2's TypeManager: the enabled type drivers and the project network types in order. */
export class TypeManager {
  readonly #drivers: Map<string, TypeDriver>;
  readonly #tenantTypes: readonly string[];

  constructor(settings: PluginSettings) {
    const all: TypeDriver[] = [new FlatTypeDriver(settings), new VlanTypeDriver(settings), new VxlanTypeDriver(settings)];
    this.#drivers = new Map(all.filter((d) => settings.typeDrivers.includes(d.type)).map((d) => [d.type, d]));
    this.#tenantTypes = settings.tenantNetworkTypes.filter((t) => this.#drivers.has(t));
  }

  /** The driver of a type; 400 when the type is not enabled. */
  driver(type: string): TypeDriver {
    const d = this.#drivers.get(type);
    if (d === undefined) throw invalidInput(`network_type value '${type}' not supported.`);
    return d;
  }

  /** Reserve the segment a provider request names. */
  reserveProvider(db: NetworkDb, req: ProviderRequest, attempt: number): Promise<SegmentRequest> {
    return this.driver(req.networkType).reserveProviderSegment(db, req, attempt);
  }

  /** Allocate a segment for a project network from the first type that has one free; 503 when none has. */
  async allocateTenant(db: NetworkDb, attempt: number): Promise<SegmentRequest> {
    for (const t of this.#tenantTypes) {
      const s = await this.#drivers.get(t)?.allocateTenantSegment(db, attempt);
      if (s !== undefined) return s;
    }
    throw noNetworkAvailable();
  }

  /** The MTU of a segment's network. */
  mtu(type: string, globalPhysnetMtu: number): number {
    return this.#drivers.get(type)?.mtu(globalPhysnetMtu) ?? globalPhysnetMtu;
  }
}
