/** keystone-manage bootstrap: the default domain, roles, admin project/user, region and catalog — idempotent. */
import { randomBytes } from 'node:crypto';
import type { IdentityApi } from './identity-api.js';
import { DEFAULT_DOMAIN_ID } from './objects/domain.js';
import type { EndpointInterface } from './objects/catalog.js';

/** One service to register in the catalog. */
export interface CatalogServiceSpec {
  readonly type: string;
  readonly name: string;
  readonly description: string;
  /** URL per interface. */
  readonly urls: Readonly<Record<EndpointInterface, string>>;
}

/** Bootstrap inputs. */
export interface BootstrapOptions {
  readonly adminUser: string;
  readonly adminProject: string;
  /** Set the admin password to this; when absent a new admin gets a generated one and an existing admin keeps its own. */
  readonly adminPassword?: string;
  readonly region: string;
  readonly services: readonly CatalogServiceSpec[];
}

/** What bootstrap did. */
export interface BootstrapResult {
  /** The admin password when bootstrap set it (new admin, or a configured password). */
  readonly adminPassword: string | undefined;
  readonly adminUserId: string;
  readonly adminProjectId: string;
  readonly created: readonly string[];
}

/** Create what is missing, leave what exists; endpoints of registered services are brought to the given URLs. */
export async function bootstrap(api: IdentityApi, opts: BootstrapOptions): Promise<BootstrapResult> {
  const created: string[] = [];
  if ((await api.domains.find(DEFAULT_DOMAIN_ID)) === undefined) {
    await api.domains.create({ id: DEFAULT_DOMAIN_ID, name: 'Default', description: 'The default domain' });
    created.push('domain Default');
  }
  const roleIds: Record<string, string> = {};
  for (const name of ['admin', 'member', 'reader', 'service']) {
    let role = await api.roles.findByName(name);
    if (role === undefined) {
      role = await api.roles.create({ name });
      created.push(`role ${name}`);
    }
    roleIds[name] = role.id;
  }
  // admin implies member implies reader, as keystone-manage bootstrap sets up.
  await api.roles.addImplied(roleIds.admin as string, roleIds.member as string);
  await api.roles.addImplied(roleIds.member as string, roleIds.reader as string);

  let project = await api.projects.findByName(opts.adminProject, DEFAULT_DOMAIN_ID);
  if (project === undefined) {
    project = await api.projects.create({ name: opts.adminProject, domainId: DEFAULT_DOMAIN_ID, parentId: null, description: 'Bootstrap project for initializing the cloud.' });
    created.push(`project ${opts.adminProject}`);
  }
  if ((await api.projects.findByName('service', DEFAULT_DOMAIN_ID)) === undefined) {
    await api.projects.create({ name: 'service', domainId: DEFAULT_DOMAIN_ID, parentId: null, description: 'Project of the service users.' });
    created.push('project service');
  }

  let adminPassword: string | undefined;
  let user = await api.users.findByName(opts.adminUser, DEFAULT_DOMAIN_ID);
  if (user === undefined) {
    adminPassword = opts.adminPassword ?? randomBytes(12).toString('base64url');
    user = await api.users.create({ name: opts.adminUser, domainId: DEFAULT_DOMAIN_ID, password: adminPassword, defaultProjectId: project.id });
    created.push(`user ${opts.adminUser}`);
  } else if (opts.adminPassword !== undefined && !(await api.users.checkPassword(user.id, opts.adminPassword))) {
    adminPassword = opts.adminPassword;
    await api.users.update(user.id, { password: adminPassword, enabled: true });
  }
  await api.roles.grant({ actorType: 'user', actorId: user.id, targetType: 'project', targetId: project.id, roleId: roleIds.admin as string, inherited: false });
  await api.roles.grant({ actorType: 'user', actorId: user.id, targetType: 'system', targetId: 'system', roleId: roleIds.admin as string, inherited: false });

  if ((await api.catalog.findRegion(opts.region)) === undefined) {
    await api.catalog.createRegion({ id: opts.region });
    created.push(`region ${opts.region}`);
  }

  for (const spec of opts.services) {
    let service = (await api.catalog.listServices({ type: spec.type })).find((s) => s.name === spec.name);
    if (service === undefined) {
      service = await api.catalog.createService({ type: spec.type, name: spec.name, description: spec.description });
      created.push(`service ${spec.name}`);
    }
    const existing = await api.catalog.listEndpoints({ serviceId: service.id });
    for (const iface of ['public', 'internal', 'admin'] as const) {
      const url = spec.urls[iface];
      const ep = existing.find((e) => e.interface === iface && e.regionId === opts.region);
      if (ep === undefined) {
        await api.catalog.createEndpoint({ serviceId: service.id, interface: iface, url, regionId: opts.region });
        created.push(`endpoint ${spec.name} ${iface}`);
      } else if (ep.url !== url) {
        await api.catalog.updateEndpoint(ep.id, { url });
      }
    }
  }
  api.invalidate();
  return { adminPassword, adminUserId: user.id, adminProjectId: project.id, created };
}
