/** /v2.1/servers: create, list (+detail) with nova's filters, sorting and paging, show, update, delete; metadata and tags. */
import { isIPv4, isIPv6 } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { contextOf, type RequestContext } from '@strata/auth';
import { BadRequest, Conflict, Forbidden, NotFound } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import { ComputeApi, type CreateServerRequest } from '../compute-api.js';
import type { BlockDeviceRequest, Instance, MutableInstanceUpdate, RequestedNetwork } from '../objects/instance.js';
import { addressesView, serverBasicView, serverDetailView, serverIndexView, serverShowView, vmStatesForStatus, type ServerViewContext } from './servers-view.js';
import type { ApiVersion } from './microversion.js';
import { baseOf, bodyObject, bool, canonicalIpv6, int, invalid, isUuid, metadataField, nameField, onlyKeys, str, versionOf } from './route-helpers.js';

const SORT_KEYS = new Set(['access_ip_v4', 'access_ip_v6', 'auto_disk_config', 'availability_zone', 'config_drive', 'created_at', 'display_description', 'display_name', 'host', 'hostname', 'image_ref', 'instance_type_id', 'kernel_id', 'key_name', 'launch_index', 'launched_at', 'locked', 'locked_by', 'node', 'power_state', 'progress', 'project_id', 'ramdisk_id', 'root_device_name', 'task_state', 'terminated_at', 'updated_at', 'user_id', 'uuid', 'vm_state']);

const SORT_FIELDS: Readonly<Record<string, (i: Instance) => string | number | null>> = {
  created_at: (i) => i.createdAt,
  updated_at: (i) => i.updatedAt,
  display_name: (i) => i.name,
  uuid: (i) => i.id,
  vm_state: (i) => i.vmState,
  task_state: (i) => i.taskState,
  power_state: (i) => i.powerState,
  host: (i) => i.host,
  node: (i) => i.node,
  launched_at: (i) => i.launchedAt,
  terminated_at: (i) => i.terminatedAt,
  key_name: (i) => i.keyName,
  project_id: (i) => i.projectId,
  user_id: (i) => i.userId,
  availability_zone: (i) => i.availabilityZone,
  hostname: (i) => i.hostname,
  image_ref: (i) => i.imageRef,
  instance_type_id: (i) => i.flavor.id,
  launch_index: (i) => i.launchIndex,
  locked: (i) => Number(i.locked),
  progress: (i) => i.progress,
  display_description: (i) => i.description,
  access_ip_v4: (i) => i.accessIpV4,
  access_ip_v6: (i) => i.accessIpV6,
};

function all(q: Query, name: string): string[] {
  const v = q[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function parseTime(v: string, name: string): string {
  if (!/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?)?(Z|[+-]\d\d:?\d\d)?$/.test(v)) throw new BadRequest(`Invalid filter field: ${name}.`, {}, 'InvalidInput');
  const t = Date.parse(v.replace(' ', 'T'));
  if (Number.isNaN(t)) throw new BadRequest(`Invalid filter field: ${name}.`, {}, 'InvalidInput');
  return new Date(t).toISOString();
}

/** Apply nova's list filters, sort and page; returns the page and whether more may follow. */
async function listServers(api: ComputeApi, ctx: RequestContext, q: Query, version: ApiVersion): Promise<{ page: Instance[]; limit: number | undefined }> {
  const admin = ctx.isAdmin;
  // 2.83: non-admins may filter on more of the server's fields (admins always could).
  const wide = admin || version.atLeast('2.83');
  const allTenants = q.all_tenants !== undefined && queryString(q, 'all_tenants') !== 'False' && queryString(q, 'all_tenants') !== 'false' && queryString(q, 'all_tenants') !== '0';
  if (allTenants) ctx.authorize('os_compute_api:servers:index:get_all_tenants', {});
  let projectId: string | undefined = ctx.projectId;
  // NOTE: as nova does, tenant_id/project_id only narrow an all_tenants listing.
  if (admin && allTenants) projectId = queryString(q, 'project_id') ?? queryString(q, 'tenant_id');
  const changesSince = queryString(q, 'changes-since');
  const changesBefore = version.atLeast('2.66') ? queryString(q, 'changes-before') : undefined;
  if (changesSince !== undefined && changesBefore !== undefined && parseTime(changesSince, 'changes-since') > parseTime(changesBefore, 'changes-before')) {
    throw new BadRequest('The value of changes-since must be less than or equal to changes-before.', {}, 'InvalidInput');
  }
  const status = queryString(q, 'status');
  const deletedParam = admin ? queryString(q, 'deleted') : undefined;
  const onlyDeleted = deletedParam !== undefined && ['true', '1', 'yes', 'True'].includes(deletedParam);
  let vmStates: string[] | undefined;
  if (status !== undefined) {
    vmStates = all(q, 'status').flatMap(vmStatesForStatus);
    if (vmStates.length === 0) return { page: [], limit: undefined };
  }
  // Without filters or sort keys applied here, paging runs in the database (nova's marker: any
  // existing server, 400 MarkerNotFound otherwise).
  const limitParam = queryString(q, 'limit');
  if (limitParam !== undefined && !/^\d+$/.test(limitParam)) throw new BadRequest('limit param must be an integer', {}, 'InvalidInput');
  const jsOnly = ['name', 'image', 'flavor', 'ip', 'ip6', 'reservation_id', 'tags', 'tags-any', 'not-tags', 'not-tags-any', 'sort_key', 'sort_dir', ...(version.atLeast('2.73') ? ['locked'] : []), ...(admin ? ['node'] : []), ...(wide ? ['key_name', 'availability_zone', 'user_id', 'vm_state', 'task_state', 'power_state', 'progress', 'config_drive', 'created_at', 'launched_at', 'terminated_at'] : [])];
  const inDb = !jsOnly.some((k) => q[k] !== undefined);
  let after: { createdAt: string; id: string } | undefined;
  const markerParam = queryString(q, 'marker');
  if (inDb && markerParam !== undefined) {
    const m = await api.instances.find(markerParam, { includeDeleted: true });
    if (m === undefined || (!admin && m.projectId !== ctx.projectId)) throw new BadRequest(`marker [${markerParam}] not found`, {}, 'MarkerNotFound');
    after = { createdAt: m.createdAt, id: m.id };
  }
  const list = await api.instances.list({
    ...(inDb && after !== undefined ? { after } : {}),
    ...(inDb && limitParam !== undefined ? { limit: Number(limitParam) } : {}),
    ...(projectId !== undefined ? { projectId } : {}),
    ...(changesSince !== undefined ? { changesSince: parseTime(changesSince, 'changes-since') } : {}),
    ...(changesBefore !== undefined ? { changesBefore: parseTime(changesBefore, 'changes-before') } : {}),
    ...(onlyDeleted || (vmStates?.includes('deleted') ?? false) ? { includeDeleted: true } : {}),
    ...(onlyDeleted ? { onlyDeleted: true } : {}),
    ...(admin && queryString(q, 'host') !== undefined ? { host: queryString(q, 'host') as string } : {}),
    ...(vmStates !== undefined ? { vmStates } : {}),
  });
  let out = list;
  const name = queryString(q, 'name');
  if (name !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(name);
    } catch {
      re = new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    }
    out = out.filter((i) => re.test(i.name));
  }
  const image = queryString(q, 'image');
  if (image !== undefined) out = out.filter((i) => i.imageRef === (image.split('/').pop() ?? image));
  const flavor = queryString(q, 'flavor');
  if (flavor !== undefined) out = out.filter((i) => i.flavor.id === (flavor.split('/').pop() ?? flavor));
  const ip = queryString(q, 'ip');
  if (ip !== undefined) {
    const re = new RegExp(ip.replace(/\./g, '\\.'));
    out = out.filter((i) => i.networkInfo.some((n) => n.ips.some((a) => a.version === 4 && re.test(a.address))));
  }
  const ip6 = queryString(q, 'ip6');
  if (ip6 !== undefined) out = out.filter((i) => i.networkInfo.some((n) => n.ips.some((a) => a.version === 6 && a.address.includes(ip6))));
  const reservation = queryString(q, 'reservation_id');
  if (reservation !== undefined) out = out.filter((i) => i.reservationId === reservation);
  if (wide) {
    const keyName = queryString(q, 'key_name');
    if (keyName !== undefined) out = out.filter((i) => i.keyName === keyName);
    const az = queryString(q, 'availability_zone');
    if (az !== undefined) out = out.filter((i) => i.availabilityZone === az);
    const user = queryString(q, 'user_id');
    if (user !== undefined) out = out.filter((i) => i.userId === user);
    const vmState = all(q, 'vm_state');
    if (vmState.length > 0) out = out.filter((i) => vmState.includes(i.vmState));
    const taskState = all(q, 'task_state');
    if (taskState.length > 0) out = out.filter((i) => taskState.includes(i.taskState ?? 'None'));
    const power = all(q, 'power_state');
    if (power.length > 0) out = out.filter((i) => power.includes(String(i.powerState)));
    const progress = queryString(q, 'progress');
    if (progress !== undefined) out = out.filter((i) => String(i.progress) === progress);
    const configDrive = queryString(q, 'config_drive');
    if (configDrive !== undefined) out = out.filter((i) => (i.configDrive !== '') === ['true', '1', 'yes', 'True'].includes(configDrive));
    for (const [param, get] of [['created_at', (i: Instance) => i.createdAt], ['launched_at', (i: Instance) => i.launchedAt], ['terminated_at', (i: Instance) => i.terminatedAt]] as const) {
      const t = queryString(q, param);
      if (t !== undefined) {
        const at = parseTime(t, param);
        out = out.filter((i) => get(i) !== null && new Date(get(i) as string).toISOString().slice(0, 19) === at.slice(0, 19));
      }
    }
  }
  if (admin) {
    const node = queryString(q, 'node');
    if (node !== undefined) out = out.filter((i) => i.node === node);
  }
  const locked = version.atLeast('2.73') ? queryString(q, 'locked') : undefined;
  if (locked !== undefined) {
    const l = locked.toLowerCase();
    const truthy = ['1', 't', 'true', 'on', 'y', 'yes'];
    const falsy = ['0', 'f', 'false', 'off', 'n', 'no'];
    if (!truthy.includes(l) && !falsy.includes(l)) throw new BadRequest(`Unrecognized value '${locked}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'`, {}, 'InvalidInput');
    out = out.filter((i) => i.locked === truthy.includes(l));
  }
  const tags = queryString(q, 'tags');
  if (tags !== undefined) out = out.filter((i) => tags.split(',').every((t) => i.tags.includes(t)));
  const tagsAny = queryString(q, 'tags-any');
  if (tagsAny !== undefined) out = out.filter((i) => tagsAny.split(',').some((t) => i.tags.includes(t)));
  const notTags = queryString(q, 'not-tags');
  if (notTags !== undefined) out = out.filter((i) => !notTags.split(',').every((t) => i.tags.includes(t)));
  const notTagsAny = queryString(q, 'not-tags-any');
  if (notTagsAny !== undefined) out = out.filter((i) => !notTagsAny.split(',').some((t) => i.tags.includes(t)));

  // Sorting: pairs of sort_key/sort_dir; created_at desc by default.
  const keys = all(q, 'sort_key');
  const dirs = all(q, 'sort_dir');
  for (const d of dirs) if (d !== 'asc' && d !== 'desc') throw new BadRequest(`Invalid sort direction: ${d}`, {}, 'InvalidInput');
  for (const k of keys) {
    if (!SORT_KEYS.has(k)) throw new BadRequest(`Invalid sort key: ${k}`, {}, 'InvalidInput');
    if (!admin && (k === 'host' || k === 'node')) throw new Forbidden(`Only administrators can sort servers by ${k}`);
  }
  if (keys.length > 0) {
    const spec = keys.map((k, n) => ({ get: SORT_FIELDS[k] ?? ((i: Instance) => i.createdAt), dir: (dirs[n] ?? dirs[0] ?? 'desc') === 'asc' ? 1 : -1 }));
    out = [...out].sort((a, b) => {
      for (const s of spec) {
        const x = s.get(a);
        const y = s.get(b);
        if (x === y) continue;
        if (x === null) return -1 * s.dir;
        if (y === null) return 1 * s.dir;
        return (x < y ? -1 : 1) * s.dir;
      }
      return a.id < b.id ? 1 : -1;
    });
  }
  const marker = inDb ? undefined : markerParam;
  if (marker !== undefined) {
    const idx = out.findIndex((i) => i.id === marker);
    if (idx < 0) throw new BadRequest(`marker [${marker}] not found`, {}, 'MarkerNotFound');
    out = out.slice(idx + 1);
  }
  let limit: number | undefined;
  if (limitParam !== undefined) {
    limit = Number(limitParam);
    out = out.slice(0, limit);
  }
  return { page: out, limit };
}

function nextLink(request: FastifyRequest, page: Instance[], limit: number | undefined, path: string): Array<{ rel: string; href: string }> | undefined {
  if (limit === undefined || page.length < limit || page.length === 0) return undefined;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(request.query as Query)) {
    if (k === 'marker') continue;
    for (const x of Array.isArray(v) ? v : [v ?? '']) q.append(k, x);
  }
  q.set('marker', page[page.length - 1]?.id ?? '');
  return [{ rel: 'next', href: `${baseOf(request)}/v2.1/${path}?${q.toString()}` }];
}

/** Parse block_device_mapping_v2 entries. */
function parseBdms(v: unknown, version: ApiVersion): BlockDeviceRequest[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid('block_device_mapping_v2', 'is not of type array');
  return v.map((raw) => {
    if (raw === null || typeof raw !== 'object') throw invalid('block_device_mapping_v2', 'entries must be objects');
    const b = raw as Record<string, unknown>;
    if (b.volume_type !== undefined && !version.atLeast('2.67')) throw new BadRequest("Additional properties are not allowed ('volume_type' was unexpected)", {}, 'ValidationError');
    if (b.volume_type !== undefined && b.volume_type !== null && (typeof b.volume_type !== 'string' || b.volume_type.length < 1 || b.volume_type.length > 255)) throw invalid('volume_type', `${JSON.stringify(b.volume_type)} is not valid`);
    const sourceType = (b.source_type ?? (b.volume_id !== undefined ? 'volume' : undefined)) as string | undefined;
    if (sourceType === undefined || !['image', 'volume', 'blank', 'snapshot'].includes(sourceType)) throw invalid('source_type', `${JSON.stringify(b.source_type)} is not one of ['volume', 'image', 'snapshot', 'blank']`);
    const dest = (b.destination_type ?? (sourceType === 'image' || sourceType === 'blank' ? 'local' : 'volume')) as string;
    if (!['volume', 'local'].includes(dest)) throw invalid('destination_type', `${JSON.stringify(dest)} is not one of ['local', 'volume']`);
    const bootRaw = b.boot_index;
    const bootIndex = bootRaw === undefined || bootRaw === null || bootRaw === 'none' ? null : Number(bootRaw);
    if (bootIndex !== null && !Number.isInteger(bootIndex)) throw invalid('boot_index', `${JSON.stringify(bootRaw)} is not an integer`);
    const size = b.volume_size === undefined || b.volume_size === null ? undefined : Number(b.volume_size);
    if (size !== undefined && (!Number.isInteger(size) || size < 0)) throw invalid('volume_size', `${JSON.stringify(b.volume_size)} is not valid`);
    const uuid = typeof b.uuid === 'string' ? b.uuid : typeof b.volume_id === 'string' ? b.volume_id : undefined;
    if (sourceType !== 'blank' && uuid === undefined) throw new BadRequest('Block Device Mapping is Invalid: missing uuid.', {}, 'InvalidBDMFormat');
    return {
      bootIndex,
      sourceType: sourceType as BlockDeviceRequest['sourceType'],
      destinationType: dest as 'volume' | 'local',
      ...(uuid !== undefined ? { uuid } : {}),
      ...(size !== undefined ? { volumeSize: size } : {}),
      deleteOnTermination: b.delete_on_termination === true || b.delete_on_termination === 'true' || b.delete_on_termination === 'True',
      ...(typeof b.volume_type === 'string' ? { volumeType: b.volume_type } : {}),
      ...(typeof b.tag === 'string' ? { tag: b.tag } : {}),
      ...(typeof b.device_name === 'string' ? { deviceName: b.device_name } : {}),
    };
  });
}

/** Parse `networks` per microversion (2.37: required, auto/none). */
function parseNetworks(v: unknown, atLeast237: boolean): CreateServerRequest['networks'] {
  if (v === undefined) {
    if (atLeast237) throw invalid('server', "'networks' is a required property");
    return undefined;
  }
  if (typeof v === 'string') {
    if (atLeast237 && (v === 'auto' || v === 'none')) return v;
    throw invalid('networks', `'${v}' is not of type 'array'`);
  }
  if (!Array.isArray(v)) throw invalid('networks', `${JSON.stringify(v)} is not of type 'array'`);
  return v.map((raw): RequestedNetwork => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid('networks', 'entries must be objects');
    const n = raw as Record<string, unknown>;
    onlyKeys(n, ['uuid', 'port', 'fixed_ip', 'tag'], 'networks');
    const uuid = n.uuid;
    const port = n.port;
    if (uuid !== undefined && (typeof uuid !== 'string' || !isUuid(uuid))) throw new BadRequest(`Bad networks format: network uuid is not in proper format (${String(uuid)})`, {}, 'ValidationError');
    if (port !== undefined && port !== null && (typeof port !== 'string' || !isUuid(port))) throw invalid('port', `${JSON.stringify(port)} is not a 'uuid'`);
    if (uuid === undefined && (port === undefined || port === null)) throw new BadRequest('Bad network format: missing uuid', {}, 'ValidationError');
    const fixed = n.fixed_ip;
    if (fixed !== undefined && (typeof fixed !== 'string' || !/^[0-9a-fA-F:.]+$/.test(fixed))) throw invalid('fixed_ip', `${JSON.stringify(fixed)} is not a 'ip-address'`);
    return {
      ...(typeof uuid === 'string' ? { networkId: uuid } : {}),
      ...(typeof port === 'string' ? { portId: port } : {}),
      ...(typeof fixed === 'string' ? { fixedIp: fixed } : {}),
      ...(typeof n.tag === 'string' ? { tag: n.tag } : {}),
    };
  });
}

const CREATE_KEYS = ['name', 'imageRef', 'flavorRef', 'networks', 'block_device_mapping_v2', 'block_device_mapping', 'key_name', 'user_data', 'metadata', 'security_groups', 'availability_zone', 'min_count', 'max_count', 'return_reservation_id', 'config_drive', 'accessIPv4', 'accessIPv6', 'adminPass', 'OS-DCF:diskConfig', 'personality', 'description', 'tags', 'trusted_image_certificates', 'host', 'hypervisor_hostname', 'hostname'];

/** Keys of the create body and the microversion that added them. */
const CREATE_KEY_SINCE: Readonly<Record<string, string>> = { description: '2.19', tags: '2.52', trusted_image_certificates: '2.63', host: '2.74', hypervisor_hostname: '2.74', hostname: '2.90' };

/**
 * The guest hostname of 2.90 (a single DNS label, 1–63 characters) or 2.94 (an FQDN up to 255
 * characters); 400 otherwise.
 */
export function hostnameField(obj: Record<string, unknown>, v: ApiVersion): string | undefined {
  const h = obj.hostname;
  if (h === undefined) return undefined;
  if (typeof h !== 'string') throw invalid('hostname', `${JSON.stringify(h)} is not of type 'string'`);
  const label = '[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?';
  const ok = v.atLeast('2.94') ? h.length <= 255 && new RegExp(`^${label}(\\.${label})*\\.?$`).test(h) : h.length <= 63 && new RegExp(`^${label}$`).test(h);
  if (!ok) throw invalid('hostname', `'${h}' does not match the hostname format`);
  return h;
}

/** trusted_image_certificates (2.63): 1–50 unique non-empty strings, or null. */
function trustedCertsField(obj: Record<string, unknown>): string[] | undefined {
  const t = obj.trusted_image_certificates;
  if (t === undefined || t === null) return undefined;
  if (!Array.isArray(t)) throw invalid('trusted_image_certificates', `${JSON.stringify(t)} is not of type 'array', 'null'`);
  if (t.length < 1) throw invalid('trusted_image_certificates', '[] is too short');
  if (t.length > 50) throw invalid('trusted_image_certificates', 'is too long');
  if (!t.every((c) => typeof c === 'string' && c.length > 0)) throw invalid('trusted_image_certificates', 'items must be non-empty strings');
  if (new Set(t).size !== t.length) throw invalid('trusted_image_certificates', 'has non-unique elements');
  return t as string[];
}

/** Parse and validate the create body (nova's schemas by microversion, by hand). */
export function parseCreate(request: FastifyRequest): { req: CreateServerRequest; returnReservationId: boolean } {
  const v = versionOf(request);
  const s = bodyObject(request, 'server');
  onlyKeys(s, CREATE_KEYS, 'server');
  for (const [key, since] of Object.entries(CREATE_KEY_SINCE)) if (s[key] !== undefined && !v.atLeast(since)) throw new BadRequest(`Additional properties are not allowed ('${key}' was unexpected)`, {}, 'ValidationError');
  if (s.personality !== undefined && v.atLeast('2.57')) throw new BadRequest("Additional properties are not allowed ('personality' was unexpected)", {}, 'ValidationError');
  const name = nameField(s, 'name', true) as string;
  const imageRefRaw = s.imageRef;
  if (imageRefRaw !== undefined && typeof imageRefRaw !== 'string') throw invalid('imageRef', `${JSON.stringify(imageRefRaw)} is not of type 'string'`);
  const flavorRaw = s.flavorRef;
  if (flavorRaw === undefined || flavorRaw === null || flavorRaw === '') throw invalid('flavorRef', "'flavorRef' is a required property");
  if (typeof flavorRaw !== 'string' && typeof flavorRaw !== 'number') throw invalid('flavorRef', `${JSON.stringify(flavorRaw)} is not of type 'string', 'integer'`);
  const userData = str(s, 'user_data', { max: 65535, nullable: true }) ?? null;
  if (userData !== null && !/^[A-Za-z0-9+/=\s]*$/.test(userData)) throw invalid('user_data', 'is not a base64 string');
  if (userData !== null && Buffer.from(userData, 'base64').toString('base64').replace(/=+$/, '') !== userData.replace(/\s/g, '').replace(/=+$/, '')) throw invalid('user_data', 'is not a base64 string');
  const minCount = int(s, 'min_count', { min: 1 }) ?? 1;
  const maxCount = int(s, 'max_count', { min: 1 }) ?? minCount;
  if (minCount > maxCount) throw new BadRequest('min_count must be <= max_count', {}, 'InvalidInput');
  const sgs = s.security_groups;
  let securityGroups: string[] = [];
  if (sgs !== undefined) {
    if (!Array.isArray(sgs)) throw invalid('security_groups', 'is not of type array');
    securityGroups = sgs.map((g) => {
      const gn = (g as { name?: unknown } | null)?.name;
      if (typeof gn !== 'string' || gn === '') throw invalid('security_groups', 'entries need a name');
      return gn;
    });
  }
  const hintsRaw = (request.body as Record<string, unknown>)['os:scheduler_hints'] ?? (request.body as Record<string, unknown>)['OS-SCH-HNT:scheduler_hints'] ?? {};
  if (typeof hintsRaw !== 'object' || hintsRaw === null || Array.isArray(hintsRaw)) throw invalid('os:scheduler_hints', 'is not of type object');
  const hints = hintsRaw as Record<string, unknown>;
  if (hints.group !== undefined && (typeof hints.group !== 'string' || !isUuid(hints.group))) throw invalid('os:scheduler_hints/group', `${JSON.stringify(hints.group)} is not a 'uuid'`);
  const tagsRaw = s.tags;
  let tags: string[] = [];
  if (tagsRaw !== undefined) {
    if (!Array.isArray(tagsRaw) || tagsRaw.length > 50 || !tagsRaw.every((t) => typeof t === 'string' && t.length > 0 && t.length <= 60 && !/[,/]/.test(t))) throw invalid('tags', 'is not a valid tag list');
    tags = [...new Set(tagsRaw as string[])];
  }
  const accessIpV4 = str(s, 'accessIPv4') ?? '';
  if (accessIpV4 !== '' && !isIPv4(accessIpV4)) throw invalid('accessIPv4', `'${accessIpV4}' is not a 'ipv4'`);
  const accessIpV6 = str(s, 'accessIPv6') ?? '';
  if (accessIpV6 !== '' && !isIPv6(accessIpV6)) throw invalid('accessIPv6', `'${accessIpV6}' is not a 'ipv6'`);
  const keyName = str(s, 'key_name', { min: 1, max: 255, nullable: true }) ?? null;
  const az = str(s, 'availability_zone', { min: 1, max: 255, nullable: true }) ?? null;
  const adminPass = str(s, 'adminPass') ?? null;
  const configDrive = bool(s, 'config_drive') ?? false;
  const diskConfig = s['OS-DCF:diskConfig'];
  if (diskConfig !== undefined && diskConfig !== 'AUTO' && diskConfig !== 'MANUAL') throw invalid('OS-DCF:diskConfig', `${JSON.stringify(diskConfig)} is not one of ['AUTO', 'MANUAL']`);
  const description = s.description === undefined ? null : (str(s, 'description', { max: 255, nullable: true }) ?? null);
  const hostname = hostnameField(s, v);
  if (hostname !== undefined && maxCount > 1 && !v.atLeast('2.94')) throw new BadRequest('Cannot specify hostname when creating multiple servers', {}, 'ValidationError');
  const trustedCerts = trustedCertsField(s);
  if (trustedCerts !== undefined && (s.imageRef === undefined || s.imageRef === '')) throw new BadRequest('Image certificate validation is not supported when booting from volume', {}, 'CertificateValidationFailed');
  const requestedHost = str(s, 'host', { min: 1, max: 255 }) ?? undefined;
  const requestedNode = str(s, 'hypervisor_hostname', { min: 1, max: 255 }) ?? undefined;
  return {
    req: {
      name,
      description,
      imageRef: typeof imageRefRaw === 'string' ? imageRefRaw : '',
      flavorRef: String(flavorRaw).split('/').pop() ?? String(flavorRaw),
      networks: parseNetworks(s.networks, v.atLeast('2.37')),
      blockDevices: parseBdms(s.block_device_mapping_v2, v),
      keyName,
      userData,
      metadata: metadataField(s.metadata),
      securityGroups,
      availabilityZone: az,
      minCount,
      maxCount,
      configDrive,
      accessIpV4,
      accessIpV6: accessIpV6 === '' ? '' : canonicalIpv6(accessIpV6),
      schedulerHints: hints,
      tags,
      adminPass,
      diskConfig: typeof diskConfig === 'string' ? diskConfig : 'MANUAL',
      ...(hostname !== undefined ? { hostname } : {}),
      ...(trustedCerts !== undefined ? { trustedCerts } : {}),
      ...(requestedHost !== undefined ? { requestedHost } : {}),
      ...(requestedNode !== undefined ? { requestedNode } : {}),
    },
    returnReservationId: bool(s, 'return_reservation_id') ?? false,
  };
}

/** Build the view context of a request. */
export async function viewContext(api: ComputeApi, request: FastifyRequest, ctx: RequestContext, attachmentsFor?: Instance): Promise<ServerViewContext> {
  const version = versionOf(request);
  return {
    base: baseOf(request),
    version,
    isAdmin: ctx.isAdmin,
    ...(ctx.isAdmin && version.atLeast('2.16') ? { hostStatus: await api.hostStatuses() } : {}),
    ...(attachmentsFor !== undefined ? { attachments: await api.attachments.list(attachmentsFor.id) } : {}),
  };
}

/** Register the server routes. */
export function registerServerRoutes(app: FastifyInstance, api: ComputeApi): void {
  app.post('/v2.1/servers', async (request, reply) => {
    const ctx = contextOf(request);
    ctx.authorize('os_compute_api:servers:create', { projectId: ctx.projectId ?? null });
    const started = Date.now();
    api.tracer.begin(ctx.globalRequestId ?? ctx.requestId).record({ step: 3, component: 'nova-api', kind: 'http', startedAt: started, durationMs: 0, outcome: 'ok', detail: 'POST /v2.1/servers' });
    const { req, returnReservationId } = parseCreate(request);
    const v = versionOf(request);
    if (req.requestedHost !== undefined || req.requestedNode !== undefined) ctx.authorize('os_compute_api:servers:create:forced_host', { projectId: ctx.projectId ?? null });
    const { instances, reservationId } = await api.createServers(ctx, req, { networksRequired: v.atLeast('2.37') });
    if (returnReservationId) return reply.code(202).send({ reservation_id: reservationId });
    const first = instances[0] as Instance;
    const base = baseOf(request);
    const adminPass = req.adminPass ?? ComputeApi.generatePassword();
    void reply.header('location', `${base}/v2.1/servers/${first.id}`);
    return reply.code(202).send({
      server: {
        id: first.id,
        links: [
          { rel: 'self', href: `${base}/v2.1/servers/${first.id}` },
          { rel: 'bookmark', href: `${base}/servers/${first.id}` },
        ],
        'OS-DCF:diskConfig': req.diskConfig,
        security_groups: (req.securityGroups.length > 0 ? req.securityGroups : ['default']).map((name) => ({ name })),
        adminPass,
      },
    });
  });

  app.get('/v2.1/servers', async (request) => {
    const ctx = contextOf(request);
    ctx.authorize('os_compute_api:servers:index', { projectId: ctx.projectId ?? null });
    const { page, limit } = await listServers(api, ctx, request.query as Query, versionOf(request));
    const vc = await viewContext(api, request, ctx);
    const links = nextLink(request, page, limit, 'servers');
    return { servers: page.map((i) => serverIndexView(i, vc)), ...(links !== undefined ? { servers_links: links } : {}) };
  });

  app.get('/v2.1/servers/detail', async (request) => {
    const ctx = contextOf(request);
    ctx.authorize('os_compute_api:servers:detail', { projectId: ctx.projectId ?? null });
    const { page, limit } = await listServers(api, ctx, request.query as Query, versionOf(request));
    const vc = await viewContext(api, request, ctx);
    // One query for the attachments of the whole page (not one per server).
    const attachments = await api.attachments.listMany(page.filter((i) => i.blockDevices.length > 0 || i.vmState !== 'building').map((i) => i.id));
    const links = nextLink(request, page, limit, 'servers/detail');
    return { servers: page.map((i) => serverDetailView(i, { ...vc, attachments: attachments.get(i.id) ?? [] })), ...(links !== undefined ? { servers_links: links } : {}) };
  });

  app.get('/v2.1/servers/:id', async (request) => {
    const ctx = contextOf(request);
    const { id } = request.params as { id: string };
    const i = await api.getServer(ctx, id);
    ctx.authorize('os_compute_api:servers:show', { projectId: i.projectId });
    return { server: serverShowView(i, await viewContext(api, request, ctx, i)) };
  });

  app.put('/v2.1/servers/:id', async (request) => {
    const ctx = contextOf(request);
    const { id } = request.params as { id: string };
    const v = versionOf(request);
    const s = bodyObject(request, 'server');
    onlyKeys(s, ['name', 'accessIPv4', 'accessIPv6', 'OS-DCF:diskConfig', ...(v.atLeast('2.19') ? ['description'] : []), ...(v.atLeast('2.90') ? ['hostname'] : [])], 'server');
    const hostname = hostnameField(s, v);
    const i = await api.getServer(ctx, id);
    ctx.authorize('os_compute_api:servers:update', { projectId: i.projectId });
    const name = nameField(s, 'name', false);
    const changes: MutableInstanceUpdate = {};
    if (name !== undefined) Object.assign(changes, { name });
    if (hostname !== undefined) Object.assign(changes, { hostname });
    const a4 = str(s, 'accessIPv4');
    if (a4 !== undefined && a4 !== null) {
      if (a4 !== '' && !isIPv4(a4)) throw invalid('accessIPv4', `'${a4}' is not a 'ipv4'`);
      changes.accessIpV4 = a4;
    }
    const a6 = str(s, 'accessIPv6');
    if (a6 !== undefined && a6 !== null) {
      if (a6 !== '' && !isIPv6(a6)) throw invalid('accessIPv6', `'${a6}' is not a 'ipv6'`);
      changes.accessIpV6 = a6 === '' ? '' : canonicalIpv6(a6);
    }
    const dc = s['OS-DCF:diskConfig'];
    if (dc !== undefined) {
      if (dc !== 'AUTO' && dc !== 'MANUAL') throw invalid('OS-DCF:diskConfig', `${JSON.stringify(dc)} is not one of ['AUTO', 'MANUAL']`);
      changes.diskConfig = dc;
    }
    if (s.description !== undefined) changes.description = str(s, 'description', { max: 255, nullable: true }) ?? null;
    const updated = Object.keys(changes).length > 0 ? await api.instances.save(i.id, changes) : i;
    return { server: serverBasicView(updated, await viewContext(api, request, ctx, v.atLeast('2.75') ? updated : undefined), { rebuild: false }) };
  });

  app.delete('/v2.1/servers/:id', async (request, reply) => {
    const ctx = contextOf(request);
    const { id } = request.params as { id: string };
    const i = await api.getServer(ctx, id);
    ctx.authorize('os_compute_api:servers:delete', { projectId: i.projectId });
    await api.deleteServer(ctx, i);
    return reply.code(204).send();
  });

  // Server metadata.
  const metaOwner = async (request: FastifyRequest): Promise<Instance> => {
    const ctx = contextOf(request);
    const i = await api.getServer(ctx, (request.params as { id: string }).id);
    ctx.authorize('os_compute_api:server-metadata', { projectId: i.projectId });
    return i;
  };
  const checkMetaQuota = async (i: Instance, md: Record<string, string>): Promise<void> => {
    const limits = await api.quotas.limits(i.projectId);
    if (limits.metadata_items >= 0 && Object.keys(md).length > limits.metadata_items) throw new Forbidden(`Quota exceeded for metadata_items: Requested ${Object.keys(md).length}, but already used 0 of ${limits.metadata_items} metadata_items`, {}, 'OverQuota');
  };
  const metaWritable = (request: FastifyRequest, i: Instance): void => {
    if (i.locked && !contextOf(request).isAdmin) throw new Conflict(`Instance ${i.id} is locked`, { instanceId: i.id }, 'InstanceIsLocked');
  };
  app.get('/v2.1/servers/:id/metadata', async (request) => ({ metadata: { ...(await metaOwner(request)).metadata } }));
  app.get('/v2.1/servers/:id/metadata/:key', async (request) => {
    const i = await metaOwner(request);
    const { key } = request.params as { key: string };
    const v = i.metadata[key];
    if (v === undefined) throw new NotFound('Metadata item was not found', {}, 'MetadataItemNotFound');
    return { meta: { [key]: v } };
  });
  app.post('/v2.1/servers/:id/metadata', async (request) => {
    const i = await metaOwner(request);
    metaWritable(request, i);
    const md = { ...i.metadata, ...metadataField(bodyObject(request, 'metadata')) };
    await checkMetaQuota(i, md);
    return { metadata: { ...(await api.instances.save(i.id, { metadata: md })).metadata } };
  });
  app.put('/v2.1/servers/:id/metadata', async (request) => {
    const i = await metaOwner(request);
    metaWritable(request, i);
    const md = metadataField(bodyObject(request, 'metadata'));
    await checkMetaQuota(i, md);
    return { metadata: { ...(await api.instances.save(i.id, { metadata: md })).metadata } };
  });
  app.put('/v2.1/servers/:id/metadata/:key', async (request) => {
    const i = await metaOwner(request);
    metaWritable(request, i);
    const { key } = request.params as { key: string };
    const meta = metadataField(bodyObject(request, 'meta'), 'meta');
    const keys = Object.keys(meta);
    if (keys.length !== 1) throw new BadRequest('Request body contains too many items', {}, 'ValidationError');
    if (keys[0] !== key) throw new BadRequest('Request body and URI mismatch', {}, 'ValidationError');
    const md = { ...i.metadata, ...meta };
    await checkMetaQuota(i, md);
    await api.instances.save(i.id, { metadata: md });
    return { meta };
  });
  app.delete('/v2.1/servers/:id/metadata/:key', async (request, reply) => {
    const i = await metaOwner(request);
    metaWritable(request, i);
    const { key } = request.params as { key: string };
    if (i.metadata[key] === undefined) throw new NotFound('Metadata item was not found', {}, 'MetadataItemNotFound');
    const md = { ...i.metadata };
    delete md[key];
    await api.instances.save(i.id, { metadata: md });
    return reply.code(204).send();
  });

  // Server tags (2.26).
  const tagOwner = async (request: FastifyRequest): Promise<Instance> => {
    const ctx = contextOf(request);
    if (!versionOf(request).atLeast('2.26')) throw new NotFound('The resource could not be found.', {}, 'NotFound');
    const i = await api.getServer(ctx, (request.params as { id: string }).id);
    ctx.authorize('os_compute_api:os-server-tags', { projectId: i.projectId });
    return i;
  };
  const validTag = (t: unknown): string => {
    if (typeof t !== 'string' || t.length < 1 || t.length > 60 || /[,/]/.test(t)) throw invalid('tags', `${JSON.stringify(t)} is not a valid tag`);
    return t;
  };
  app.get('/v2.1/servers/:id/tags', async (request) => ({ tags: [...(await tagOwner(request)).tags] }));
  app.get('/v2.1/servers/:id/tags/:tag', async (request, reply) => {
    const i = await tagOwner(request);
    if (!i.tags.includes((request.params as { tag: string }).tag)) throw new NotFound(`Tag ${(request.params as { tag: string }).tag} could not be found.`, {}, 'TagNotFound');
    return reply.code(204).send();
  });
  app.put('/v2.1/servers/:id/tags', async (request) => {
    const i = await tagOwner(request);
    const b = request.body as { tags?: unknown } | undefined;
    if (b === undefined || !Array.isArray(b.tags)) throw invalid('tags', "'tags' is a required property");
    const tags = [...new Set(b.tags.map(validTag))];
    if (tags.length > 50) throw new BadRequest('The number of tags exceeded the per-server limit 50', {}, 'TooManyTags');
    return { tags: [...(await api.instances.save(i.id, { tags })).tags] };
  });
  app.put('/v2.1/servers/:id/tags/:tag', async (request, reply) => {
    const i = await tagOwner(request);
    const tag = validTag((request.params as { tag: string }).tag);
    if (i.tags.includes(tag)) return reply.code(204).send();
    if (i.tags.length >= 50) throw new BadRequest('The number of tags exceeded the per-server limit 50', {}, 'TooManyTags');
    await api.instances.save(i.id, { tags: [...i.tags, tag] });
    void reply.header('location', `${baseOf(request)}/v2.1/servers/${i.id}/tags/${tag}`);
    return reply.code(201).send();
  });
  app.delete('/v2.1/servers/:id/tags', async (request, reply) => {
    const i = await tagOwner(request);
    await api.instances.save(i.id, { tags: [] });
    return reply.code(204).send();
  });
  app.delete('/v2.1/servers/:id/tags/:tag', async (request, reply) => {
    const i = await tagOwner(request);
    const tag = (request.params as { tag: string }).tag;
    if (!i.tags.includes(tag)) throw new NotFound(`Tag ${tag} could not be found.`, {}, 'TagNotFound');
    await api.instances.save(i.id, { tags: i.tags.filter((t) => t !== tag) });
    return reply.code(204).send();
  });

  // Addresses.
  app.get('/v2.1/servers/:id/ips', async (request) => {
    const ctx = contextOf(request);
    const i = await api.getServer(ctx, (request.params as { id: string }).id);
    ctx.authorize('os_compute_api:servers:show', { projectId: i.projectId });
    return { addresses: Object.fromEntries(Object.entries(addressesView(i)).map(([k, list]) => [k, list.map((a) => ({ version: a.version, addr: a.addr }))])) };
  });
  app.get('/v2.1/servers/:id/ips/:network', async (request) => {
    const ctx = contextOf(request);
    const i = await api.getServer(ctx, (request.params as { id: string }).id);
    ctx.authorize('os_compute_api:servers:show', { projectId: i.projectId });
    const net = (request.params as { network: string }).network;
    const a = addressesView(i)[net];
    if (a === undefined) throw new NotFound('Instance is not a member of specified network', {}, 'NetworkNotFound');
    return { [net]: a.map((x) => ({ version: x.version, addr: x.addr })) };
  });
}
