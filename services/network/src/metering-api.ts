/** Metering labels and rules (admin only), as neutron's metering extension stores them. */
import type { NeutronContext } from './neutron-context.js';
import type { PluginCore } from './plugin-core.js';
import { newId } from './objects/common.js';
import { deleteMeteringLabelRow, deleteMeteringLabelRuleRow, insertMeteringLabel, insertMeteringLabelRule, loadMeteringLabelRules, loadMeteringLabels, type MeteringLabel, type MeteringLabelRule } from './objects/metering.js';
import { badAttribute, notFound, conflict } from './errors.js';
import { optBoolean, optString } from './attributes.js';
import { formatCidr, parseCidr } from './ipam/cidr.js';

function prefix(attr: string, v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const c = typeof v === 'string' ? parseCidr(v) : undefined;
  if (c === undefined) throw badAttribute(attr, `'${String(v)}' is not a valid IP subnet`);
  return formatCidr(c);
}

/** Metering. */
export class MeteringApi {
  readonly #core: PluginCore;

  constructor(core: PluginCore) {
    this.#core = core;
  }

  async listLabels(ctx: NeutronContext): Promise<MeteringLabel[]> {
    ctx.authorize('get_metering_label');
    return loadMeteringLabels(this.#core.db);
  }

  async getLabel(ctx: NeutronContext, id: string): Promise<MeteringLabel> {
    ctx.authorize('get_metering_label');
    const l = (await loadMeteringLabels(this.#core.db, [id]))[0];
    if (l === undefined) throw notFound('MeteringLabel', id);
    return l;
  }

  async createLabel(ctx: NeutronContext, input: { projectId?: string; name?: unknown; description?: unknown; shared?: unknown }): Promise<MeteringLabel> {
    ctx.authorize('create_metering_label');
    const label: MeteringLabel = {
      id: newId(),
      projectId: input.projectId ?? ctx.projectId,
      name: optString('name', input.name) ?? '',
      description: optString('description', input.description, 1024) ?? '',
      shared: optBoolean('shared', input.shared) ?? false,
    };
    await insertMeteringLabel(this.#core.db, label);
    return label;
  }

  async deleteLabel(ctx: NeutronContext, id: string): Promise<void> {
    await this.getLabel(ctx, id);
    ctx.authorize('delete_metering_label');
    await this.#core.transaction((trx) => deleteMeteringLabelRow(trx, id));
  }

  async listRules(ctx: NeutronContext): Promise<MeteringLabelRule[]> {
    ctx.authorize('get_metering_label_rule');
    return loadMeteringLabelRules(this.#core.db);
  }

  async getRule(ctx: NeutronContext, id: string): Promise<MeteringLabelRule> {
    ctx.authorize('get_metering_label_rule');
    const r = (await loadMeteringLabelRules(this.#core.db, { ids: [id] }))[0];
    if (r === undefined) throw notFound('MeteringLabelRule', id);
    return r;
  }

  async createRule(ctx: NeutronContext, input: { projectId?: string; meteringLabelId?: unknown; direction?: unknown; remoteIpPrefix?: unknown; sourceIpPrefix?: unknown; destinationIpPrefix?: unknown; excluded?: unknown }): Promise<MeteringLabelRule> {
    ctx.authorize('create_metering_label_rule');
    if (typeof input.meteringLabelId !== 'string') throw badAttribute('metering_label_id', `'${String(input.meteringLabelId)}' is not a valid UUID`);
    const label = await this.getLabel(ctx, input.meteringLabelId);
    const direction = input.direction ?? 'ingress';
    if (direction !== 'ingress' && direction !== 'egress') throw badAttribute('direction', `'${String(direction)}' is not in ['ingress', 'egress']`);
    const rule: MeteringLabelRule = {
      id: newId(),
      projectId: input.projectId ?? label.projectId,
      meteringLabelId: label.id,
      direction,
      remoteIpPrefix: prefix('remote_ip_prefix', input.remoteIpPrefix),
      sourceIpPrefix: prefix('source_ip_prefix', input.sourceIpPrefix),
      destinationIpPrefix: prefix('destination_ip_prefix', input.destinationIpPrefix),
      excluded: optBoolean('excluded', input.excluded) ?? false,
    };
    const same = (await loadMeteringLabelRules(this.#core.db, { labelIds: [label.id] })).find(
      (r) => r.direction === rule.direction && r.remoteIpPrefix === rule.remoteIpPrefix && r.sourceIpPrefix === rule.sourceIpPrefix && r.destinationIpPrefix === rule.destinationIpPrefix && r.excluded === rule.excluded,
    );
    if (same !== undefined) throw conflict('MeteringLabelRuleOverlaps', `Metering label rule with remote_ip_prefix ${rule.remoteIpPrefix} overlaps another.`);
    await insertMeteringLabelRule(this.#core.db, rule);
    return rule;
  }

  async deleteRule(ctx: NeutronContext, id: string): Promise<void> {
    await this.getRule(ctx, id);
    ctx.authorize('delete_metering_label_rule');
    await deleteMeteringLabelRuleRow(this.#core.db, id);
  }
}
