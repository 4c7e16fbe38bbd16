/**
 * keystone-manage bootstrap: the default domain, roles, admin project/user, region and catalog, and the
 * `service` project with one user per service (nova, neutron...) — idempotent.
 */
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

/** A service's own user in the `service` project (nova's [neutron] and [service_user] sections log in as it). */
export interface ServiceUserSpec {
  readonly name: string;
  /** Its password: a new user gets it, an existing one whose password differs is reset to it. Absent: a new one is generated and set. */
  readonly password?: string;
}

/** Bootstrap inputs. */
export interface BootstrapOptions {
  readonly adminUser: string;
  readonly adminProject: string;
  /** Set the admin password to this; when absent a new admin gets a generated one and an existing admin keeps its own. */
  readonly adminPassword?: string;
  readonly region: string;
  readonly services: readonly CatalogServiceSpec[];
  /** Users made members of the `service` project with the admin and service roles. @default none */
  readonly serviceUsers?: readonly ServiceUserSpec[];
}

/** What bootstrap did. */
export interface BootstrapResult {
  /** The admin password when bootstrap set it (new admin, or a configured password). */
  readonly adminPassword: string | undefined;
  readonly adminUserId: string;
  readonly adminProjectId: string;
  /** The password of each service user whose password bootstrap set (new user, reset, or generated). */
  readonly servicePasswords: Readonly<Record<string, string>>;
  readonly created: readonly string[];
}

function generatePassword(): string {
  return randomBytes(12).toString('base64url');
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
  let serviceProject = await api.projects.findByName('service', DEFAULT_DOMAIN_ID);
  if (serviceProject === undefined) {
    serviceProject = await api.projects.create({ name: 'service', domainId: DEFAULT_DOMAIN_ID, parentId: null, description: 'Project of the service users.' });
    created.push('project service');
  }

  let adminPassword: string | undefined;
  let user = await api.users.findByName(opts.adminUser, DEFAULT_DOMAIN_ID);
  if (user === undefined) {
    adminPassword = opts.adminPassword ?? generatePassword();
    user = await api.users.create({ name: opts.adminUser, domainId: DEFAULT_DOMAIN_ID, password: adminPassword, defaultProjectId: project.id });
    created.push(`user ${opts.adminUser}`);
  } else if (opts.adminPassword !== undefined && !(await api.users.checkPassword(user.id, opts.adminPassword))) {
    adminPassword = opts.adminPassword;
    await api.users.update(user.id, { password: adminPassword, enabled: true });
  }
  await api.roles.grant({ actorType: 'user', actorId: user.id, targetType: 'project', targetId: project.id, roleId: roleIds.admin as string, inherited: false });
  await api.roles.grant({ actorType: 'user', actorId: user.id, targetType: 'system', targetId: 'system', roleId: roleIds.admin as string, inherited: false });

  const servicePasswords: Record<string, string> = {};
  for (const spec of opts.serviceUsers ?? []) {
    let serviceUser = await api.users.findByName(spec.name, DEFAULT_DOMAIN_ID);
    if (serviceUser === undefined) {
      const password = spec.password ?? generatePassword();
      serviceUser = await api.users.create({ name: spec.name, domainId: DEFAULT_DOMAIN_ID, password, defaultProjectId: serviceProject.id });
      servicePasswords[spec.name] = password;
      created.push(`user ${spec.name}`);
    } else if (spec.password === undefined || !(await api.users.checkPassword(serviceUser.id, spec.password))) {
      const password = spec.password ?? generatePassword();
      await api.users.update(serviceUser.id, { password });
      servicePasswords[spec.name] = password;
    }
    for (const role of ['admin', 'service']) {
      await api.roles.grant({ actorType: 'user', actorId: serviceUser.id, targetType: 'project', targetId: serviceProject.id, roleId: roleIds[role] as string, inherited: false });
    }
  }

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
  return { adminPassword, adminUserId: user.id, adminProjectId: project.id, servicePasswords, created };
}
