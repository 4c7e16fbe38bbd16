/**
 * Credentials and a keystone session as the `openstack` CLI finds them: OS_* variables, or
 * OS_CLOUD in clouds.yaml (./, ~/.config/openstack/, /etc/openstack/), or <data-dir>/openrc.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

/** Password credentials scoped to a project. */
export interface OsCredentials {
  readonly authUrl: string;
  readonly username: string;
  readonly password: string;
  readonly projectName: string;
  readonly userDomainName: string;
  readonly projectDomainName: string;
  readonly region: string | undefined;
  readonly interface: string;
}

/** A token and the catalog it came with. */
export interface OsSession {
  readonly token: string;
  /** The endpoint of a service type (public interface by default), or undefined. */
  endpoint(type: string): string | undefined;
}

/** Raised when no credentials can be found or keystone refuses them. */
export class CredentialsError extends Error {}

function fromEnv(env: NodeJS.ProcessEnv): OsCredentials | undefined {
  if (env.OS_AUTH_URL === undefined || env.OS_USERNAME === undefined || env.OS_PASSWORD === undefined) return undefined;
  return {
    authUrl: env.OS_AUTH_URL,
    username: env.OS_USERNAME,
    password: env.OS_PASSWORD,
    projectName: env.OS_PROJECT_NAME ?? env.OS_TENANT_NAME ?? '',
    userDomainName: env.OS_USER_DOMAIN_NAME ?? 'Default',
    projectDomainName: env.OS_PROJECT_DOMAIN_NAME ?? 'Default',
    region: env.OS_REGION_NAME,
    interface: env.OS_INTERFACE ?? 'public',
  };
}

function fromCloudsYaml(cloud: string, env: NodeJS.ProcessEnv): OsCredentials | undefined {
  const files = [join(process.cwd(), 'clouds.yaml'), join(env.HOME ?? homedir(), '.config/openstack/clouds.yaml'), '/etc/openstack/clouds.yaml'];
  for (const f of files) {
    if (!existsSync(f)) continue;
    const doc = parse(readFileSync(f, 'utf8')) as { clouds?: Record<string, { auth?: Record<string, string>; region_name?: string; interface?: string }> } | null;
    const c = doc?.clouds?.[cloud];
    const a = c?.auth;
    if (a?.auth_url === undefined || a.username === undefined || a.password === undefined) continue;
    return {
      authUrl: a.auth_url,
      username: a.username,
      password: a.password,
      projectName: a.project_name ?? '',
      userDomainName: a.user_domain_name ?? 'Default',
      projectDomainName: a.project_domain_name ?? 'Default',
      region: c?.region_name,
      interface: c?.interface ?? 'public',
    };
  }
  return undefined;
}

/** Parse `export K='v'` lines of an openrc file. */
export function parseOpenrc(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z_]+)=(?:'((?:[^']|'\\'')*)'|(\S*))$/.exec(line.trim());
    if (m !== null && m[1] !== undefined) out[m[1]] = m[2] !== undefined ? m[2].replace(/'\\''/g, "'") : (m[3] ?? '');
  }
  return out;
}

/** Credentials from the environment, clouds.yaml (OS_CLOUD) or <dataDir>/openrc, in that order. */
export function findCredentials(env: NodeJS.ProcessEnv, dataDir: string): OsCredentials {
  if (env.OS_CLOUD !== undefined && env.OS_CLOUD !== '') {
    const c = fromCloudsYaml(env.OS_CLOUD, env);
    if (c === undefined) throw new CredentialsError(`cloud ${env.OS_CLOUD} not found in any clouds.yaml`);
    return c;
  }
  const e = fromEnv(env);
  if (e !== undefined) return e;
  const openrc = join(dataDir, 'openrc');
  if (existsSync(openrc)) {
    const r = fromEnv(parseOpenrc(readFileSync(openrc, 'utf8')));
    if (r !== undefined) return r;
  }
  throw new CredentialsError(`no credentials: set OS_* variables (source ${openrc}) or OS_CLOUD`);
}

/** Authenticate with keystone (password, project scope); the session carries the catalog. */
export async function openSession(c: OsCredentials): Promise<OsSession> {
  const url = `${c.authUrl.replace(/\/+$/, '')}/auth/tokens`;
  const body = {
    auth: {
      identity: { methods: ['password'], password: { user: { name: c.username, password: c.password, domain: { name: c.userDomainName } } } },
      ...(c.projectName !== '' ? { scope: { project: { name: c.projectName, domain: { name: c.projectDomainName } } } } : {}),
    },
  };
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  if (res.status !== 201) throw new CredentialsError(`keystone refused the credentials (HTTP ${res.status})`);
  const token = res.headers.get('x-subject-token') ?? '';
  const tb = (await res.json()) as { token: { catalog?: Array<{ type: string; endpoints: Array<{ interface: string; region_id: string | null; region?: string; url: string }> }> } };
  return {
    token,
    endpoint: (type) => {
      const svc = tb.token.catalog?.find((s) => s.type === type);
      const ep = svc?.endpoints.find((e) => e.interface === c.interface && (c.region === undefined || e.region_id === c.region || e.region === c.region)) ?? svc?.endpoints.find((e) => e.interface === c.interface);
      return ep?.url.replace(/\/+$/, '');
    },
  };
}
