/** ComputeCapabilitiesFilter: flavor extra specs `capabilities:<key>` must match the host's values. */
import type { FilterRequest, HostFilter, HostState } from '../host-state.js';

export class ComputeCapabilitiesFilter implements HostFilter {
  readonly name = 'ComputeCapabilitiesFilter';
  hostPasses(host: HostState, req: FilterRequest): boolean {
    for (const [key, want] of Object.entries(req.flavor.extraSpecs)) {
      if (!key.startsWith('capabilities:')) continue;
      const cap = key.slice('capabilities:'.length);
      const have = cap === 'hypervisor_type' ? host.hypervisorType : cap === 'vcpus' ? String(host.vcpus) : cap === 'memory_mb' ? String(host.memoryMb) : undefined;
      if (have === undefined) return false;
      const m = /^(<in>|s==|==|>=|<=)\s*(.*)$/.exec(want);
      const op = m?.[1];
      const val = (m?.[2] ?? want).trim();
      if (op === '>=' && !(Number(have) >= Number(val))) return false;
      if (op === '<=' && !(Number(have) <= Number(val))) return false;
      if (op === '==' && Number(have) !== Number(val)) return false;
      if (op === '<in>' && !have.includes(val)) return false;
      if ((op === undefined || op === 's==') && have !== val) return false;
    }
    return true;
  }
}
