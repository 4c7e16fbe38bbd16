/** REST access for end-to-end tests beside the `openstack` CLI (which takes a second per call: polls go over REST). */

type Json = Record<string, any>;

/** A project-scoped token and the public endpoints of its catalog. */
export interface ProjectToken {
  readonly token: string;
  readonly projectId: string;
  /** The public URL of catalog service `type`, without a trailing slash; throws when the catalog has none. */
  endpoint(type: string): string;
}

/**
 * Authenticates the password user of an openrc environment (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD,
 * OS_PROJECT_NAME; user and project in the default domain). Throws unless keystone answers 201.
 */
export async function projectToken(env: NodeJS.ProcessEnv): Promise<ProjectToken> {
  const domain = { id: 'default' };
  const auth = { identity: { methods: ['password'], password: { user: { name: env.OS_USERNAME, password: env.OS_PASSWORD, domain } } }, scope: { project: { name: env.OS_PROJECT_NAME, domain } } };
  const res = await fetch(`${env.OS_AUTH_URL}/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ auth }) });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST ${env.OS_AUTH_URL}/auth/tokens as ${env.OS_USERNAME}: ${res.status} ${text}`);
  const body = JSON.parse(text) as { token: { project: { id: string }; catalog?: Array<{ type: string; endpoints: Array<{ interface: string; url: string }> }> } };
  return {
    token: res.headers.get('x-subject-token') ?? '',
    projectId: body.token.project.id,
    endpoint: (type) => {
      const url = body.token.catalog?.find((c) => c.type === type)?.endpoints.find((e) => e.interface === 'public')?.url;
      if (url === undefined) throw new Error(`no public ${type} endpoint in the catalog of ${env.OS_USERNAME}`);
      return url.replace(/\/$/, '');
    },
  };
}

/** A JSON call on an API: resolves to the parsed body ({} when empty); throws on a status of 400 or more. */
export type JsonCall = (method: string, path: string, body?: unknown) => Promise<Json>;

/** JSON calls with `token` on paths under `baseUrl` (joined with a `/`). */
export function jsonCaller(baseUrl: string, token: string): JsonCall {
  return async (method, path, body) => {
    const res = await fetch(`${baseUrl}/${path}`, { method, headers: { 'x-auth-token': token, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text === '' ? {} : (JSON.parse(text) as Json);
  };
}
