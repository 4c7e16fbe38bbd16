/** /v3/domains, /v3/projects, /v3/users and /v3/groups: CRUD with keystone's filters and policy. */
import type { FastifyInstance } from 'fastify';
import { BadRequest, Forbidden, NotFound } from '@strata/errors';
import { queryBool, queryString, type Query } from '@strata/http';
import type { IdentityApi } from '../identity-api.js';
import { isAdmin } from '../identity-context.js';
import { base, callerToken, extraOf, requireAdmin, schemas, selfUrl } from './route-helpers.js';
import { collection, domainView, groupView, projectView, userView } from './identity-views.js';

type Params = { id: string; userId: string; groupId: string };

const domainBody = (required: string[]) => ({
  type: 'object',
  required: ['domain'],
  properties: {
    domain: {
      type: 'object',
      required,
      properties: { name: schemas.shortName, description: schemas.description, enabled: schemas.enabled, tags: schemas.tags, explicit_domain_id: schemas.id },
    },
  },
});

const projectBody = (required: string[]) => ({
  type: 'object',
  required: ['project'],
  properties: {
    project: {
      type: 'object',
      required,
      properties: {
        name: schemas.shortName,
        description: schemas.description,
        enabled: schemas.enabled,
        domain_id: schemas.nullableId,
        parent_id: schemas.nullableId,
        is_domain: { type: 'boolean' },
        tags: schemas.tags,
        options: { type: 'object' },
      },
    },
  },
});

const userBody = (required: string[]) => ({
  type: 'object',
  required: ['user'],
  properties: {
    user: {
      type: 'object',
      required,
      properties: {
        name: schemas.name,
        enabled: schemas.enabled,
        domain_id: schemas.id,
        password: { type: ['string', 'null'] },
        default_project_id: schemas.nullableId,
        description: schemas.description,
        email: { type: ['string', 'null'] },
        options: { type: 'object' },
      },
    },
  },
});

const groupBody = (required: string[]) => ({
  type: 'object',
  required: ['group'],
  properties: { group: { type: 'object', required, properties: { name: schemas.name, description: schemas.description, domain_id: schemas.id } } },
});

/** Register domain, project, user and group routes. */
export function registerIdentityRoutes(app: FastifyInstance, api: IdentityApi): void {
  // ---- domains --------------------------------------------------------------------
  app.post('/v3/domains', { schema: { body: domainBody(['name']) } }, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:create_domain');
    const d = (request.body as { domain: Record<string, unknown> & { name: string; description?: string | null; enabled?: boolean; explicit_domain_id?: string } }).domain;
    const created = await api.domains.create({
      name: d.name,
      description: d.description ?? '',
      enabled: d.enabled ?? true,
      ...(d.explicit_domain_id !== undefined ? { id: d.explicit_domain_id } : {}),
      extra: extraOf(d, ['name', 'description', 'enabled', 'explicit_domain_id', 'tags', 'options', 'id']),
    });
    return reply.code(201).send({ domain: domainView(created, base(request)) });
  });

  app.get('/v3/domains', async (request) => {
    const caller = await callerToken(api, request);
    const q = request.query as Query;
    const name = queryString(q, 'name');
    const enabled = queryBool(q, 'enabled');
    let domains = await api.domains.list({ ...(name !== undefined ? { name } : {}), ...(enabled !== undefined ? { enabled } : {}) });
    if (!isAdmin(caller)) {
      const mine = new Set([caller.user.domainId, caller.project?.domainId, caller.domain?.id]);
      domains = domains.filter((d) => mine.has(d.id));
    }
    return collection('domains', domains.map((d) => domainView(d, base(request))), selfUrl(request));
  });

  app.get('/v3/domains/:id', async (request) => {
    const caller = await callerToken(api, request);
    const { id } = request.params as Params;
    requireAdmin(caller, 'identity:get_domain', caller.user.domainId === id || caller.project?.domainId === id || caller.domain?.id === id);
    return { domain: domainView(await api.domains.get(id), base(request)) };
  });

  app.patch('/v3/domains/:id', { schema: { body: domainBody([]) } }, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:update_domain');
    const { id } = request.params as Params;
    const d = (request.body as { domain: Record<string, unknown> & { name?: string; description?: string | null; enabled?: boolean } }).domain;
    if ('id' in d && d.id !== id) throw new BadRequest('Cannot change Domain ID.');
    const updated = await api.updateDomain(id, {
      ...(d.name !== undefined ? { name: d.name } : {}),
      ...(d.description !== undefined ? { description: d.description ?? '' } : {}),
      ...(d.enabled !== undefined ? { enabled: d.enabled } : {}),
      extra: extraOf(d, ['name', 'description', 'enabled', 'tags', 'options', 'id']),
    });
    return { domain: domainView(updated, base(request)) };
  });

  app.delete('/v3/domains/:id', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:delete_domain');
    await api.deleteDomain((request.params as Params).id);
    return reply.code(204).send();
  });

  // ---- projects -------------------------------------------------------------------
  app.post('/v3/projects', { schema: { body: projectBody(['name']) } }, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:create_project');
    const p = (request.body as { project: Record<string, unknown> & { name: string; description?: string | null; enabled?: boolean; domain_id?: string | null; parent_id?: string | null; is_domain?: boolean; tags?: string[] } }).project;
    const created = await api.createProject({
      name: p.name,
      ...(p.domain_id != null ? { domainId: p.domain_id } : {}),
      parentId: p.parent_id ?? null,
      description: p.description ?? '',
      enabled: p.enabled ?? true,
      ...(p.tags !== undefined ? { tags: p.tags } : {}),
      ...(p.is_domain !== undefined ? { isDomain: p.is_domain } : {}),
      extra: extraOf(p, ['name', 'description', 'enabled', 'domain_id', 'parent_id', 'is_domain', 'tags', 'options', 'id']),
    });
    return reply.code(201).send({ project: projectView(created, base(request)) });
  });

  app.get('/v3/projects', async (request) => {
    const caller = await callerToken(api, request);
    const q = request.query as Query;
    const name = queryString(q, 'name');
    // NOTE: keystone lets a domain-scoped token list its own domain's projects; anyone else needs admin.
    requireAdmin(caller, 'identity:list_projects', caller.domain !== undefined);
    const domainId = caller.domain !== undefined && !isAdmin(caller) ? caller.domain.id : queryString(q, 'domain_id');
    const parentId = queryString(q, 'parent_id');
    const enabled = queryBool(q, 'enabled');
    const filter = { ...(name !== undefined ? { name } : {}), ...(domainId !== undefined ? { domainId } : {}), ...(enabled !== undefined ? { enabled } : {}) };
    let projects = queryBool(q, 'is_domain') === true ? await api.domainsAsProjects(filter) : await api.projects.list(filter);
    if (parentId !== undefined) projects = projects.filter((p) => (p.parentId ?? p.domainId) === parentId);
    const tags = queryString(q, 'tags');
    if (tags !== undefined) projects = projects.filter((p) => tags.split(',').every((t) => p.tags.includes(t)));
    const tagsAny = queryString(q, 'tags-any');
    if (tagsAny !== undefined) projects = projects.filter((p) => tagsAny.split(',').some((t) => p.tags.includes(t)));
    const notTags = queryString(q, 'not-tags');
    if (notTags !== undefined) projects = projects.filter((p) => !notTags.split(',').every((t) => p.tags.includes(t)));
    const notTagsAny = queryString(q, 'not-tags-any');
    if (notTagsAny !== undefined) projects = projects.filter((p) => !notTagsAny.split(',').some((t) => p.tags.includes(t)));
    return collection('projects', projects.map((p) => projectView(p, base(request))), selfUrl(request));
  });

  app.get('/v3/projects/:id', async (request) => {
    const caller = await callerToken(api, request);
    const { id } = request.params as Params;
    requireAdmin(caller, 'identity:get_project', caller.project?.id === id);
    const project = await api.getProjectOrDomain(id);
    const body = projectView(project, base(request)) as Record<string, unknown>;
    const q = request.query as Query;
    if ('parents_as_ids' in q || 'parents_as_list' in q) {
      const ancestors = await api.projects.ancestors(id);
      if ('parents_as_list' in q) body.parents = ancestors.map((a) => ({ project: projectView(a, base(request)) }));
      else body.parents = ancestors.reduceRight<Record<string, unknown> | null>((acc, a) => ({ [a.id]: acc }), null);
    }
    if ('subtree_as_ids' in q || 'subtree_as_list' in q) {
      const children = await api.projects.children(id);
      if ('subtree_as_list' in q) body.subtree = children.map((c) => ({ project: projectView(c, base(request)) }));
      else body.subtree = children.length === 0 ? null : Object.fromEntries(children.map((c) => [c.id, null]));
    }
    return { project: body };
  });

  app.patch('/v3/projects/:id', { schema: { body: projectBody([]) } }, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:update_project');
    const { id } = request.params as Params;
    const p = (request.body as { project: Record<string, unknown> & { name?: string; description?: string | null; enabled?: boolean; domain_id?: string | null; parent_id?: string | null; is_domain?: boolean; tags?: string[] } }).project;
    const current = await api.getProjectOrDomain(id);
    const currentDomain = current.isDomain ? null : current.domainId;
    const currentParent = current.isDomain ? null : current.parentId ?? current.domainId;
    if (p.domain_id !== undefined && p.domain_id !== currentDomain) throw new BadRequest('Cannot change the domain of a project.');
    if (p.parent_id !== undefined && p.parent_id !== currentParent) throw new Forbidden('Cannot change the parent of a project.');
    if (p.is_domain !== undefined && p.is_domain !== current.isDomain) throw new BadRequest('Cannot change is_domain of a project.');
    const updated = await api.updateProject(id, {
      ...(p.name !== undefined ? { name: p.name } : {}),
      ...(p.description !== undefined ? { description: p.description ?? '' } : {}),
      ...(p.enabled !== undefined ? { enabled: p.enabled } : {}),
      ...(p.tags !== undefined ? { tags: p.tags } : {}),
      extra: extraOf(p, ['name', 'description', 'enabled', 'domain_id', 'parent_id', 'is_domain', 'tags', 'options', 'id']),
    });
    return { project: projectView(updated, base(request)) };
  });

  app.delete('/v3/projects/:id', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:delete_project');
    await api.deleteProject((request.params as Params).id);
    return reply.code(204).send();
  });

  // ---- project tags -------------------------------------------------------------------
  app.get('/v3/projects/:id/tags', async (request) => {
    const caller = await callerToken(api, request);
    const { id } = request.params as Params;
    requireAdmin(caller, 'identity:get_project_tags', caller.project?.id === id);
    return { tags: [...(await api.projects.get(id)).tags] };
  });
  app.put('/v3/projects/:id/tags', { schema: { body: { type: 'object', required: ['tags'], properties: { tags: schemas.tags } } } }, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:update_project_tags');
    const { id } = request.params as Params;
    const tags = (request.body as { tags: string[] }).tags;
    const p = await api.updateProject(id, { tags });
    return { tags: [...p.tags] };
  });
  app.delete('/v3/projects/:id/tags', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:delete_project_tags');
    await api.updateProject((request.params as Params).id, { tags: [] });
    return reply.code(204).send();
  });
  app.get('/v3/projects/:id/tags/:tag', async (request, reply) => {
    const caller = await callerToken(api, request);
    const { id, tag } = request.params as Params & { tag: string };
    requireAdmin(caller, 'identity:get_project_tag', caller.project?.id === id);
    if (!(await api.projects.get(id)).tags.includes(tag)) throw new NotFound(`Tag ${tag} not found on project ${id}.`, {}, 'ProjectTagNotFound');
    return reply.code(204).send();
  });
  app.put('/v3/projects/:id/tags/:tag', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:create_project_tag');
    const { id, tag } = request.params as Params & { tag: string };
    if (tag.length > 255 || /[,/]/.test(tag)) throw new BadRequest(`Invalid tag: ${tag}`);
    const p = await api.projects.get(id);
    if (!p.tags.includes(tag)) {
      if (p.tags.length >= 80) throw new BadRequest('A project can have at most 80 tags.');
      await api.updateProject(id, { tags: [...p.tags, tag] });
    }
    return reply.code(201).header('location', `${base(request)}/v3/projects/${id}/tags/${tag}`).send();
  });
  app.delete('/v3/projects/:id/tags/:tag', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:delete_project_tag');
    const { id, tag } = request.params as Params & { tag: string };
    const p = await api.projects.get(id);
    if (!p.tags.includes(tag)) throw new NotFound(`Tag ${tag} not found on project ${id}.`, {}, 'ProjectTagNotFound');
    await api.updateProject(id, { tags: p.tags.filter((t) => t !== tag) });
    return reply.code(204).send();
  });

  // ---- users ----------------------------------------------------------------------
  app.post('/v3/users', { schema: { body: userBody(['name']) } }, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:create_user');
    const u = (request.body as { user: Record<string, unknown> & { name: string; enabled?: boolean; domain_id?: string; password?: string | null; default_project_id?: string | null } }).user;
    const created = await api.createUser({
      name: u.name,
      ...(u.domain_id !== undefined ? { domainId: u.domain_id } : {}),
      password: u.password ?? null,
      enabled: u.enabled ?? true,
      defaultProjectId: u.default_project_id ?? null,
      extra: extraOf(u, ['name', 'enabled', 'domain_id', 'password', 'default_project_id', 'options', 'id']),
    });
    return reply.code(201).send({ user: userView(created, base(request)) });
  });

  app.get('/v3/users', async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:list_users');
    const q = request.query as Query;
    const name = queryString(q, 'name');
    const domainId = queryString(q, 'domain_id');
    const enabled = queryBool(q, 'enabled');
    const users = await api.users.list({ ...(name !== undefined ? { name } : {}), ...(domainId !== undefined ? { domainId } : {}), ...(enabled !== undefined ? { enabled } : {}) });
    return collection('users', users.map((u) => userView(u, base(request))), selfUrl(request));
  });

  app.get('/v3/users/:id', async (request) => {
    const caller = await callerToken(api, request);
    const { id } = request.params as Params;
    requireAdmin(caller, 'identity:get_user', caller.user.id === id);
    return { user: userView(await api.users.get(id), base(request)) };
  });

  app.patch('/v3/users/:id', { schema: { body: userBody([]) } }, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:update_user');
    const { id } = request.params as Params;
    const u = (request.body as { user: Record<string, unknown> & { name?: string; enabled?: boolean; domain_id?: string; password?: string | null; default_project_id?: string | null } }).user;
    const current = await api.users.get(id);
    if (u.domain_id !== undefined && u.domain_id !== current.domainId) throw new BadRequest('Cannot change the domain of a user.');
    const updated = await api.updateUser(id, {
      ...(u.name !== undefined ? { name: u.name } : {}),
      ...(u.enabled !== undefined ? { enabled: u.enabled } : {}),
      ...(u.password !== undefined ? { password: u.password } : {}),
      ...(u.default_project_id !== undefined ? { defaultProjectId: u.default_project_id } : {}),
      extra: extraOf(u, ['name', 'enabled', 'domain_id', 'password', 'default_project_id', 'options', 'id']),
    });
    return { user: userView(updated, base(request)) };
  });

  app.delete('/v3/users/:id', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:delete_user');
    await api.deleteUser((request.params as Params).id);
    return reply.code(204).send();
  });

  app.post(
    '/v3/users/:id/password',
    { schema: { body: { type: 'object', required: ['user'], properties: { user: { type: 'object', required: ['password', 'original_password'], properties: { password: { type: 'string', minLength: 1 }, original_password: { type: 'string' } } } } } } },
    async (request, reply) => {
      const { id } = request.params as Params;
      const u = (request.body as { user: { password: string; original_password: string } }).user;
      await api.changePassword(id, u.original_password, u.password);
      return reply.code(204).send();
    },
  );

  app.get('/v3/users/:id/projects', async (request) => {
    const caller = await callerToken(api, request);
    const { id } = request.params as Params;
    requireAdmin(caller, 'identity:list_user_projects', caller.user.id === id);
    await api.users.get(id);
    const projects = await api.projectsForUser(id);
    return collection('projects', projects.map((p) => projectView(p, base(request))), selfUrl(request));
  });

  app.get('/v3/users/:id/groups', async (request) => {
    const caller = await callerToken(api, request);
    const { id } = request.params as Params;
    requireAdmin(caller, 'identity:list_groups_for_user', caller.user.id === id);
    await api.users.get(id);
    const groups = await api.users.listGroups({ ids: await api.users.groupIdsOf(id) });
    return collection('groups', groups.map((g) => groupView(g, base(request))), selfUrl(request));
  });

  // ---- groups ---------------------------------------------------------------------
  app.post('/v3/groups', { schema: { body: groupBody(['name']) } }, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:create_group');
    const g = (request.body as { group: Record<string, unknown> & { name: string; description?: string | null; domain_id?: string } }).group;
    const domainId = g.domain_id ?? 'default';
    await api.domains.get(domainId).catch(() => {
      throw new BadRequest(`Domain ${domainId} does not exist.`);
    });
    const created = await api.users.createGroup({ name: g.name, domainId, description: g.description ?? '', extra: extraOf(g, ['name', 'description', 'domain_id', 'id']) });
    return reply.code(201).send({ group: groupView(created, base(request)) });
  });

  app.get('/v3/groups', async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:list_groups');
    const q = request.query as Query;
    const name = queryString(q, 'name');
    const domainId = queryString(q, 'domain_id');
    const groups = await api.users.listGroups({ ...(name !== undefined ? { name } : {}), ...(domainId !== undefined ? { domainId } : {}) });
    return collection('groups', groups.map((g) => groupView(g, base(request))), selfUrl(request));
  });

  app.get('/v3/groups/:id', async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:get_group');
    return { group: groupView(await api.users.getGroup((request.params as Params).id), base(request)) };
  });

  app.patch('/v3/groups/:id', { schema: { body: groupBody([]) } }, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:update_group');
    const { id } = request.params as Params;
    const g = (request.body as { group: Record<string, unknown> & { name?: string; description?: string | null } }).group;
    const updated = await api.users.updateGroup(id, {
      ...(g.name !== undefined ? { name: g.name } : {}),
      ...(g.description !== undefined ? { description: g.description ?? '' } : {}),
      extra: extraOf(g, ['name', 'description', 'domain_id', 'id']),
    });
    return { group: groupView(updated, base(request)) };
  });

  app.delete('/v3/groups/:id', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:delete_group');
    await api.deleteGroup((request.params as Params).id);
    return reply.code(204).send();
  });

  app.get('/v3/groups/:id/users', async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:list_users_in_group');
    const { id } = request.params as Params;
    await api.users.getGroup(id);
    const users = await api.users.list({ ids: await api.users.memberIds(id) });
    return collection('users', users.map((u) => userView(u, base(request))), selfUrl(request));
  });

  app.put('/v3/groups/:groupId/users/:userId', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:add_user_to_group');
    const { groupId, userId } = request.params as Params;
    await api.users.getGroup(groupId);
    await api.users.get(userId);
    await api.users.addMember(groupId, userId);
    api.invalidate();
    return reply.code(204).send();
  });

  app.get('/v3/groups/:groupId/users/:userId', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:check_user_in_group');
    const { groupId, userId } = request.params as Params;
    await api.users.getGroup(groupId);
    await api.users.get(userId);
    if (!(await api.users.isMember(groupId, userId))) throw new NotFound(`User ${userId} is not a member of group ${groupId}.`, {}, 'NotFound');
    return reply.code(204).send();
  });

  app.delete('/v3/groups/:groupId/users/:userId', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:remove_user_from_group');
    const { groupId, userId } = request.params as Params;
    await api.users.getGroup(groupId);
    await api.users.get(userId);
    if (!(await api.users.removeMember(groupId, userId))) throw new NotFound(`User ${userId} is not a member of group ${groupId}.`, {}, 'NotFound');
    api.invalidate();
    return reply.code(204).send();
  });
}
