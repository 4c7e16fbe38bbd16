/** /v3/roles, implied roles, grants (projects, domains, system; users and groups; OS-INHERIT) and /v3/role_assignments. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '@strata/errors';
import { queryFlag, queryString, type Query } from '@strata/http';
import type { IdentityApi } from '../identity-api.js';
import type { Assignment, Role } from '../objects/role.js';
import { base, callerToken, extraOf, requireAdmin, schemas, selfUrl } from './route-helpers.js';
import { assignmentView, collection, roleRef, roleView } from './identity-views.js';

const roleBody = (required: string[]) => ({
  type: 'object',
  required: ['role'],
  properties: { role: { type: 'object', required, properties: { name: schemas.name, domain_id: schemas.nullableId, description: schemas.description, options: { type: 'object' } } } },
});

type GrantParams = { targetId: string; actorId: string; roleId: string };

/** Register role, grant and assignment routes. */
export function registerRoleRoutes(app: FastifyInstance, api: IdentityApi): void {
  app.post('/v3/roles', { schema: { body: roleBody(['name']) } }, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:create_role');
    const r = (request.body as { role: Record<string, unknown> & { name: string; domain_id?: string | null; description?: string | null } }).role;
    const created = await api.createRole({ name: r.name, domainId: r.domain_id ?? null, description: r.description ?? '', extra: extraOf(r, ['name', 'domain_id', 'description', 'options', 'id']) });
    return reply.code(201).send({ role: roleView(created, base(request)) });
  });

  app.get('/v3/roles', async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:list_roles');
    const q = request.query as Query;
    const name = queryString(q, 'name');
    const domainId = queryString(q, 'domain_id');
    const roles = await api.roles.list({ ...(name !== undefined ? { name } : {}), domainId: domainId ?? null });
    return collection('roles', roles.map((r) => roleView(r, base(request))), selfUrl(request));
  });

  app.get('/v3/roles/:id', async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:get_role');
    return { role: roleView(await api.roles.get((request.params as { id: string }).id), base(request)) };
  });

  app.patch('/v3/roles/:id', { schema: { body: roleBody([]) } }, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:update_role');
    const { id } = request.params as { id: string };
    const r = (request.body as { role: Record<string, unknown> & { name?: string; description?: string | null; domain_id?: string | null } }).role;
    const current = await api.roles.get(id);
    if (r.domain_id !== undefined && r.domain_id !== current.domainId) throw new BadRequest('Cannot change the domain of a role.');
    const updated = await api.roles.update(id, {
      ...(r.name !== undefined ? { name: r.name } : {}),
      ...(r.description !== undefined ? { description: r.description ?? '' } : {}),
      extra: extraOf(r, ['name', 'domain_id', 'description', 'options', 'id']),
    });
    api.invalidate();
    return { role: roleView(updated, base(request)) };
  });

  app.delete('/v3/roles/:id', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:delete_role');
    await api.deleteRole((request.params as { id: string }).id);
    return reply.code(204).send();
  });

  // ---- implied roles ---------------------------------------------------------------------
  const inference = (prior: Role, implied: Role[], b: string) => ({ role_inference: { prior_role: roleRef(prior, b), implies: implied.map((r) => roleRef(r, b)) } });

  app.put('/v3/roles/:prior/implies/:implied', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:create_implied_role');
    const { prior, implied } = request.params as { prior: string; implied: string };
    const r = await api.addImpliedRole(prior, implied);
    return reply.code(201).send({ role_inference: { prior_role: roleRef(r.prior, base(request)), implies: roleRef(r.implied, base(request)) }, links: { self: selfUrl(request) } });
  });
  // NOTE: keystone answers HEAD on an inference rule with 204, not GET's 200; Fastify needs the HEAD route before the GET.
  app.head('/v3/roles/:prior/implies/:implied', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:check_implied_role');
    const { prior, implied } = request.params as { prior: string; implied: string };
    await api.roles.get(prior);
    await api.roles.get(implied);
    if (!(await api.roles.hasImplied(prior, implied))) throw new NotFound(`${prior} does not imply ${implied}.`, {}, 'ImpliedRoleNotFound');
    return reply.code(204).send();
  });
  app.get('/v3/roles/:prior/implies/:implied', async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:get_implied_role');
    const { prior, implied } = request.params as { prior: string; implied: string };
    const p = await api.roles.get(prior);
    const i = await api.roles.get(implied);
    if (!(await api.roles.hasImplied(prior, implied))) throw new NotFound(`${prior} does not imply ${implied}.`, {}, 'ImpliedRoleNotFound');
    return { role_inference: { prior_role: roleRef(p, base(request)), implies: roleRef(i, base(request)) }, links: { self: selfUrl(request) } };
  });
  app.delete('/v3/roles/:prior/implies/:implied', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:delete_implied_role');
    const { prior, implied } = request.params as { prior: string; implied: string };
    await api.roles.get(prior);
    await api.roles.get(implied);
    if (!(await api.roles.removeImplied(prior, implied))) throw new NotFound(`${prior} does not imply ${implied}.`, {}, 'ImpliedRoleNotFound');
    api.invalidate();
    return reply.code(204).send();
  });
  app.get('/v3/roles/:prior/implies', async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:list_implied_roles');
    const { prior } = request.params as { prior: string };
    const p = await api.roles.get(prior);
    const implied = await api.roles.list({ ids: (await api.roles.listImplied(prior)).map((x) => x.impliedId) });
    return { ...inference(p, implied, base(request)), links: { self: selfUrl(request) } };
  });
  app.get('/v3/role_inferences', async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:list_role_inference_rules');
    const pairs = await api.roles.listImplied();
    const priors = [...new Set(pairs.map((p) => p.priorId))];
    const out = [];
    for (const priorId of priors) {
      const prior = await api.roles.get(priorId);
      const implied = await api.roles.list({ ids: pairs.filter((p) => p.priorId === priorId).map((p) => p.impliedId) });
      out.push(inference(prior, implied, base(request)).role_inference);
    }
    return { role_inferences: out, links: { self: selfUrl(request) } };
  });

  // ---- grants ------------------------------------------------------------------------------
  const targets: Array<{ path: string; targetType: Assignment['targetType']; inherited: boolean }> = [
    { path: '/v3/projects/:targetId', targetType: 'project', inherited: false },
    { path: '/v3/domains/:targetId', targetType: 'domain', inherited: false },
    { path: '/v3/OS-INHERIT/projects/:targetId', targetType: 'project', inherited: true },
    { path: '/v3/OS-INHERIT/domains/:targetId', targetType: 'domain', inherited: true },
    { path: '/v3/system', targetType: 'system', inherited: false },
  ];
  for (const t of targets) {
    for (const actorType of ['user', 'group'] as const) {
      const suffix = t.inherited ? '/inherited_to_projects' : '';
      const one = `${t.path}/${actorType}s/:actorId/roles/:roleId${suffix}`;
      const many = `${t.path}/${actorType}s/:actorId/roles${suffix}`;
      const assignment = (request: FastifyRequest): Assignment => {
        const p = request.params as GrantParams;
        return { actorType, actorId: p.actorId, targetType: t.targetType, targetId: t.targetType === 'system' ? 'system' : p.targetId, roleId: p.roleId, inherited: t.inherited };
      };
      app.put(one, async (request, reply) => {
        requireAdmin(await callerToken(api, request), 'identity:create_grant');
        await api.grant(assignment(request));
        return reply.code(204).send();
      });
      app.get(one, async (request, reply) => {
        requireAdmin(await callerToken(api, request), 'identity:check_grant');
        await api.checkGrant(assignment(request));
        return reply.code(204).send();
      });
      app.delete(one, async (request, reply) => {
        requireAdmin(await callerToken(api, request), 'identity:revoke_grant');
        await api.revoke(assignment(request));
        return reply.code(204).send();
      });
      app.get(many, async (request) => {
        requireAdmin(await callerToken(api, request), 'identity:list_grants');
        const { roleId: _ignored, ...a } = assignment(request);
        const roles = await api.listGrants(a);
        return collection('roles', roles.map((r) => roleView(r, base(request))), selfUrl(request));
      });
    }
  }

  // ---- role assignments --------------------------------------------------------------------
  app.get('/v3/role_assignments', async (request) => {
    const caller = await callerToken(api, request);
    const q = request.query as Query;
    const userId = queryString(q, 'user.id');
    requireAdmin(caller, 'identity:list_role_assignments', userId !== undefined && userId === caller.user.id);
    const effective = queryFlag(q, 'effective');
    const groupId = queryString(q, 'group.id');
    if (effective && groupId !== undefined) throw new BadRequest('Specifying group.id with effective is not allowed.');
    const projectId = queryString(q, 'scope.project.id');
    const domainId = queryString(q, 'scope.domain.id');
    const roleId = queryString(q, 'role.id');
    const rows = await api.listRoleAssignments({
      effective,
      ...(userId !== undefined ? { userId } : {}),
      ...(groupId !== undefined ? { groupId } : {}),
      ...(roleId !== undefined ? { roleId } : {}),
      ...(projectId !== undefined ? { projectId } : {}),
      ...(domainId !== undefined ? { domainId } : {}),
      ...('scope.system' in q ? { system: true } : {}),
      ...('scope.OS-INHERIT:inherited_to' in q ? { inheritedOnly: true } : {}),
      includeSubtree: queryFlag(q, 'include_subtree'),
    });
    const withNames = queryFlag(q, 'include_names');
    const b = base(request);
    const out = [];
    for (const a of rows) {
      if (!withNames) {
        out.push(assignmentView(a, b));
        continue;
      }
      const role = await api.roles.find(a.roleId);
      let actorName: string | undefined;
      let actorDomain: { id: string; name: string } | undefined;
      if (a.actorType === 'user') {
        const u = await api.users.find(a.actorId);
        if (u !== undefined) {
          actorName = u.name;
          const d = await api.domains.find(u.domainId);
          if (d !== undefined) actorDomain = { id: d.id, name: d.name };
        }
      } else {
        const g = await api.users.getGroup(a.actorId).catch(() => undefined);
        if (g !== undefined) {
          actorName = g.name;
          const d = await api.domains.find(g.domainId);
          if (d !== undefined) actorDomain = { id: d.id, name: d.name };
        }
      }
      let targetName: string | undefined;
      let targetDomain: { id: string; name: string } | undefined;
      if (a.targetType === 'project') {
        const p = await api.projects.find(a.targetId);
        if (p !== undefined) {
          targetName = p.name;
          const d = await api.domains.find(p.domainId);
          if (d !== undefined) targetDomain = { id: d.id, name: d.name };
        }
      } else if (a.targetType === 'domain') targetName = (await api.domains.find(a.targetId))?.name;
      out.push(
        assignmentView(a, b, {
          ...(role !== undefined ? { role } : {}),
          ...(actorName !== undefined ? { actorName } : {}),
          ...(actorDomain !== undefined ? { actorDomain } : {}),
          ...(targetName !== undefined ? { targetName } : {}),
          ...(targetDomain !== undefined ? { targetDomain } : {}),
        }),
      );
    }
    return collection('role_assignments', out, selfUrl(request));
  });
}
