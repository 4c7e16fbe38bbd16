/** /v3/OS-EP-FILTER: endpoint groups and the endpoints or groups a project's catalog is limited to (admin only). */
import type { FastifyInstance } from 'fastify';
import { BadRequest, NotFound } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import type { IdentityApi } from '../identity-api.js';
import { endpointMatches, type EndpointGroupFilters } from '../objects/endpoint-filter.js';
import { base, callerToken, requireAdmin, schemas, selfUrl } from './route-helpers.js';
import { collection, endpointGroupView, endpointView, projectView } from './identity-views.js';

const FILTER_KEYS = ['interface', 'service_id', 'region_id'];

const groupBody = (required: string[]) => ({
  type: 'object',
  required: ['endpoint_group'],
  properties: {
    endpoint_group: {
      type: 'object',
      required,
      properties: {
        name: schemas.name,
        description: schemas.description,
        filters: { type: 'object', properties: { interface: { type: 'string', enum: ['public', 'internal', 'admin'] }, service_id: schemas.id, region_id: { type: 'string' } } },
      },
    },
  },
});

/** keystone accepts only endpoint attributes as filters, and at least one. */
function checkFilters(f: Record<string, unknown>): EndpointGroupFilters {
  const keys = Object.keys(f);
  const bad = keys.find((k) => !FILTER_KEYS.includes(k));
  if (keys.length === 0 || bad !== undefined) throw new BadRequest(`${bad ?? '{}'} is not a valid endpoint group filter; valid filters are ${FILTER_KEYS.join(', ')}.`, {}, 'ValidationError');
  return f as EndpointGroupFilters;
}

type GroupParams = { id: string; projectId: string; endpointId: string };

/** Register OS-EP-FILTER routes. */
export function registerEndpointFilterRoutes(app: FastifyInstance, api: IdentityApi): void {
  const P = '/v3/OS-EP-FILTER';

  // ---- endpoint groups -------------------------------------------------------------
  app.post(`${P}/endpoint_groups`, { schema: { body: groupBody(['name', 'filters']) } }, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:create_endpoint_group');
    const g = (request.body as { endpoint_group: { name: string; description?: string | null; filters: Record<string, unknown> } }).endpoint_group;
    const created = await api.endpointFilter.createGroup({ name: g.name, description: g.description ?? '', filters: checkFilters(g.filters) });
    return reply.code(201).send({ endpoint_group: endpointGroupView(created, base(request)) });
  });

  app.get(`${P}/endpoint_groups`, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:list_endpoint_groups');
    const name = queryString(request.query as Query, 'name');
    const groups = await api.endpointFilter.listGroups(name !== undefined ? { name } : {});
    return collection('endpoint_groups', groups.map((g) => endpointGroupView(g, base(request))), selfUrl(request));
  });

  app.get(`${P}/endpoint_groups/:id`, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:get_endpoint_group');
    return { endpoint_group: endpointGroupView(await api.endpointFilter.getGroup((request.params as GroupParams).id), base(request)) };
  });

  app.patch(`${P}/endpoint_groups/:id`, { schema: { body: groupBody([]) } }, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:update_endpoint_group');
    const g = (request.body as { endpoint_group: { name?: string; description?: string | null; filters?: Record<string, unknown> } }).endpoint_group;
    const updated = await api.endpointFilter.updateGroup((request.params as GroupParams).id, {
      ...(g.name !== undefined ? { name: g.name } : {}),
      ...(g.description !== undefined ? { description: g.description ?? '' } : {}),
      ...(g.filters !== undefined ? { filters: checkFilters(g.filters) } : {}),
    });
    api.invalidate();
    return { endpoint_group: endpointGroupView(updated, base(request)) };
  });

  app.delete(`${P}/endpoint_groups/:id`, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:delete_endpoint_group');
    await api.endpointFilter.deleteGroup((request.params as GroupParams).id);
    api.invalidate();
    return reply.code(204).send();
  });

  app.get(`${P}/endpoint_groups/:id/endpoints`, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:list_endpoints_associated_with_endpoint_group');
    const g = await api.endpointFilter.getGroup((request.params as GroupParams).id);
    const endpoints = (await api.catalog.listEndpoints()).filter((e) => endpointMatches(e, g.filters));
    return collection('endpoints', endpoints.map((e) => endpointView(e, base(request))), selfUrl(request));
  });

  app.get(`${P}/endpoint_groups/:id/projects`, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:list_projects_associated_with_endpoint_group');
    const { id } = request.params as GroupParams;
    await api.endpointFilter.getGroup(id);
    const projects = await api.projects.list({ ids: await api.endpointFilter.projectIdsOfGroup(id) });
    return collection('projects', projects.map((p) => projectView(p, base(request))), selfUrl(request));
  });

  // ---- group <-> project -----------------------------------------------------------
  const groupProject = async (request: { params: unknown }): Promise<GroupParams> => {
    const params = request.params as GroupParams;
    await api.endpointFilter.getGroup(params.id);
    await api.projects.get(params.projectId);
    return params;
  };
  app.put(`${P}/endpoint_groups/:id/projects/:projectId`, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:add_endpoint_group_to_project');
    const { id, projectId } = await groupProject(request);
    await api.endpointFilter.addGroupToProject(id, projectId);
    api.invalidate();
    return reply.code(204).send();
  });
  app.get(`${P}/endpoint_groups/:id/projects/:projectId`, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:get_endpoint_group_in_project');
    const { id, projectId } = await groupProject(request);
    if (!(await api.endpointFilter.groupInProject(id, projectId))) throw new NotFound(`Could not find Endpoint Group Project Association: ${id}, ${projectId}.`, {}, 'EndpointGroupNotFound');
    return { project_endpoint_group: { endpoint_group_id: id, project_id: projectId, links: { self: `${base(request)}${P}/endpoint_groups/${id}/projects/${projectId}` } } };
  });
  app.delete(`${P}/endpoint_groups/:id/projects/:projectId`, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:remove_endpoint_group_from_project');
    const { id, projectId } = await groupProject(request);
    if (!(await api.endpointFilter.removeGroupFromProject(id, projectId))) throw new NotFound(`Could not find Endpoint Group Project Association: ${id}, ${projectId}.`, {}, 'EndpointGroupNotFound');
    api.invalidate();
    return reply.code(204).send();
  });
  app.get(`${P}/projects/:projectId/endpoint_groups`, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:list_endpoint_groups_for_project');
    const { projectId } = request.params as GroupParams;
    await api.projects.get(projectId);
    const groups = await api.endpointFilter.listGroups({ ids: await api.endpointFilter.groupIdsOfProject(projectId) });
    return collection('endpoint_groups', groups.map((g) => endpointGroupView(g, base(request))), selfUrl(request));
  });

  // ---- endpoint <-> project --------------------------------------------------------
  const endpointProject = async (request: { params: unknown }): Promise<GroupParams> => {
    const params = request.params as GroupParams;
    await api.projects.get(params.projectId);
    await api.catalog.getEndpoint(params.endpointId);
    return params;
  };
  app.put(`${P}/projects/:projectId/endpoints/:endpointId`, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:add_endpoint_to_project');
    const { projectId, endpointId } = await endpointProject(request);
    await api.endpointFilter.addEndpointToProject(endpointId, projectId);
    api.invalidate();
    return reply.code(204).send();
  });
  app.get(`${P}/projects/:projectId/endpoints/:endpointId`, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:check_endpoint_in_project');
    const { projectId, endpointId } = await endpointProject(request);
    if (!(await api.endpointFilter.endpointInProject(endpointId, projectId))) throw new NotFound(`Could not find project endpoint: ${projectId}, ${endpointId}.`, {}, 'ProjectEndpointNotFound');
    return reply.code(204).send();
  });
  app.delete(`${P}/projects/:projectId/endpoints/:endpointId`, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:remove_endpoint_from_project');
    const { projectId, endpointId } = await endpointProject(request);
    if (!(await api.endpointFilter.removeEndpointFromProject(endpointId, projectId))) throw new NotFound(`Could not find project endpoint: ${projectId}, ${endpointId}.`, {}, 'ProjectEndpointNotFound');
    api.invalidate();
    return reply.code(204).send();
  });
  app.get(`${P}/projects/:projectId/endpoints`, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:list_endpoints_for_project');
    const { projectId } = request.params as GroupParams;
    await api.projects.get(projectId);
    const allowed = await api.projectEndpointIds(projectId);
    const endpoints = allowed === null ? [] : (await api.catalog.listEndpoints()).filter((e) => allowed.has(e.id));
    return collection('endpoints', endpoints.map((e) => endpointView(e, base(request))), selfUrl(request));
  });
  app.get(`${P}/endpoints/:endpointId/projects`, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:list_projects_for_endpoint');
    const { endpointId } = request.params as GroupParams;
    await api.catalog.getEndpoint(endpointId);
    const projects = await api.projects.list({ ids: await api.endpointFilter.projectIdsOfEndpoint(endpointId) });
    return collection('projects', projects.map((p) => projectView(p, base(request))), selfUrl(request));
  });
}
