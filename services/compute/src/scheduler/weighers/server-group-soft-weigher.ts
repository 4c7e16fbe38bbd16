/** ServerGroupSoftAffinityWeigher / SoftAntiAffinityWeigher: prefer (or avoid) hosts with the group's members. */
import type { FilterRequest, HostState, HostWeigher } from '../host-state.js';

function membersOn(host: HostState, req: FilterRequest): number {
  return req.groupHosts.has(host.host) ? 1 + [...(req.group?.members ?? [])].filter((m) => host.instances.has(m)).length : 0;
}

export class SoftAffinityWeigher implements HostWeigher {
  readonly name = 'ServerGroupSoftAffinityWeigher';
  readonly multiplier = 1.0;
  weigh(host: HostState, req: FilterRequest): number {
    return req.group?.policy === 'soft-affinity' ? membersOn(host, req) : 0;
  }
}

export class SoftAntiAffinityWeigher implements HostWeigher {
  readonly name = 'ServerGroupSoftAntiAffinityWeigher';
  readonly multiplier = 1.0;
  weigh(host: HostState, req: FilterRequest): number {
    return req.group?.policy === 'soft-anti-affinity' ? -membersOn(host, req) : 0;
  }
}
