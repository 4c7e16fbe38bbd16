/** ImagePropertiesFilter: the image's hypervisor_type / img_hv_type, when set, matches the host. */
import type { FilterRequest, HostFilter, HostState } from '../host-state.js';

export class ImagePropertiesFilter implements HostFilter {
  readonly name = 'ImagePropertiesFilter';
  hostPasses(host: HostState, req: FilterRequest): boolean {
    const wanted = req.imageProperties.img_hv_type ?? req.imageProperties.hypervisor_type;
    if (typeof wanted !== 'string' || wanted === '') return true;
    const hv = host.hypervisorType.toLowerCase();
    const w = wanted.toLowerCase();
    return w === hv || (w === 'kvm' && hv === 'qemu') || (w === 'qemu' && hv === 'kvm');
  }
}
