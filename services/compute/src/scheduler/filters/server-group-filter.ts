/** ServerGroupAffinityFilter and ServerGroupAntiAffinityFilter (hard policies; soft ones are weighers). */
import type { FilterRequest, HostFilter, HostState } from '../host-state.js';

export class ServerGroupAffinityFilter implements HostFilter {
  readonly name = 'ServerGroupAffinityFilter';
  hostPasses(host: HostState, req: FilterRequest): boolean {
    if (req.group?.policy !== 'affinity' || req.groupHosts.size === 0) return true;
    return req.groupHosts.has(host.host);
  }
}

export class ServerGroupAntiAffinityFilter implements HostFilter {
  readonly name = 'ServerGroupAntiAffinityFilter';
  hostPasses(host: HostState, req: FilterRequest): boolean {
    if (req.group?.policy !== 'anti-affinity') return true;
    return !req.groupHosts.has(host.host);
  }
}
