/** /v3/domains/{id}/config and /v3/domains/config/default: domain-specific identity driver configuration (admin only). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IdentityApi } from '../identity-api.js';
import { callerToken, requireAdmin } from './route-helpers.js';

const configBody = { type: 'object', required: ['config'], properties: { config: { type: 'object' } } };

type ConfigParams = { id: string; group?: string; option?: string };

/** Register domain configuration routes. */
export function registerDomainConfigRoutes(app: FastifyInstance, api: IdentityApi): void {
  // ---- defaults ---------------------------------------------------------------------
  const defaults = async (request: FastifyRequest) => {
    requireAdmin(await callerToken(api, request), 'identity:get_domain_config_default');
    const { group, option } = request.params as Partial<ConfigParams>;
    return { config: api.domainConfigs.defaults(group, option) };
  };
  app.get('/v3/domains/config/default', defaults);
  app.get('/v3/domains/config/:group/default', defaults);
  app.get('/v3/domains/config/:group/:option/default', defaults);

  // ---- a domain's config ----------------------------------------------------------------
  app.put('/v3/domains/:id/config', { schema: { body: configBody } }, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:create_domain_config');
    const { id } = request.params as ConfigParams;
    const { created, config } = await api.domainConfigs.create(id, (request.body as { config: unknown }).config);
    return reply.code(created ? 201 : 200).send({ config });
  });

  const show = async (request: FastifyRequest) => {
    requireAdmin(await callerToken(api, request), 'identity:get_domain_config');
    const { id, group, option } = request.params as ConfigParams;
    return { config: await api.domainConfigs.get(id, group, option) };
  };
  const update = async (request: FastifyRequest) => {
    requireAdmin(await callerToken(api, request), 'identity:update_domain_config');
    const { id, group, option } = request.params as ConfigParams;
    return { config: await api.domainConfigs.update(id, (request.body as { config: unknown }).config, group, option) };
  };
  const remove = async (request: FastifyRequest, reply: FastifyReply) => {
    requireAdmin(await callerToken(api, request), 'identity:delete_domain_config');
    const { id, group, option } = request.params as ConfigParams;
    await api.domainConfigs.delete(id, group, option);
    return reply.code(204).send();
  };
  for (const path of ['/v3/domains/:id/config', '/v3/domains/:id/config/:group', '/v3/domains/:id/config/:group/:option']) {
    app.get(path, show);
    app.patch(path, { schema: { body: configBody } }, update);
    app.delete(path, remove);
  }
}
