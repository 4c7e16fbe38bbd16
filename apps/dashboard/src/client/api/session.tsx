/**
 * The user's keystone session, as Horizon keeps it: an unscoped token (for listing and switching
 * projects) and a project-scoped token with its catalog. Every API call goes through the
 * dashboard's same-origin proxy, /api/<service-type>/<path of the catalog URL>/<path>.
 */
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError, errorMessage } from './errors';

export interface Project {
  readonly id: string;
  readonly name: string;
}

export interface Session {
  readonly unscopedToken: string;
  readonly token: string;
  readonly expiresAt: string;
  readonly user: { readonly id: string; readonly name: string; readonly domain: string };
  readonly project: Project;
  readonly roles: readonly string[];
  /** Service type → path prefix of its public endpoint (e.g. compute → /v2.1). */
  readonly paths: Readonly<Record<string, string>>;
}

const STORAGE_KEY = 'strata.session';
const LAST_PROJECT_KEY = 'strata.lastProject';

interface TokenBody {
  token: {
    expires_at: string;
    user: { id: string; name: string; domain: { name: string } };
    project?: { id: string; name: string };
    roles?: Array<{ name: string }>;
    catalog?: Array<{ type: string; endpoints: Array<{ interface: string; url: string }> }>;
  };
}

async function keystone(path: string, init: RequestInit & { token?: string }): Promise<{ body: unknown; subjectToken: string | null }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (init.token !== undefined) headers['x-auth-token'] = init.token;
  const res = await fetch(`/api/identity/v3${path}`, { ...init, headers });
  const text = await res.text();
  if (!res.ok) throw new ApiError(res.status, res.status === 401 ? 'Invalid credentials or expired session.' : errorMessage(res.status, text));
  return { body: text === '' ? {} : (JSON.parse(text) as unknown), subjectToken: res.headers.get('x-subject-token') };
}

async function scope(unscopedToken: string, project: Project): Promise<Session> {
  const { body, subjectToken } = await keystone('/auth/tokens', {
    method: 'POST',
    body: JSON.stringify({ auth: { identity: { methods: ['token'], token: { id: unscopedToken } }, scope: { project: { id: project.id } } } }),
  });
  const t = (body as TokenBody).token;
  const paths: Record<string, string> = {};
  for (const svc of t.catalog ?? []) {
    const ep = svc.endpoints.find((e) => e.interface === 'public') ?? svc.endpoints[0];
    if (ep === undefined) continue;
    const path = new URL(ep.url).pathname.replace(/\/+$/, '').replace(/%\(project_id\)s|\$\(project_id\)s/g, project.id);
    paths[svc.type] = path;
  }
  localStorage.setItem(LAST_PROJECT_KEY, project.id);
  return {
    unscopedToken,
    token: subjectToken ?? '',
    expiresAt: t.expires_at,
    user: { id: t.user.id, name: t.user.name, domain: t.user.domain.name },
    project: t.project ?? project,
    roles: (t.roles ?? []).map((r) => r.name),
    paths,
  };
}

/** Log in with a password: an unscoped token, then a token scoped to the last used (or first) project. */
export async function passwordLogin(domain: string, username: string, password: string): Promise<Session> {
  const { subjectToken } = await keystone('/auth/tokens?nocatalog', {
    method: 'POST',
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: username, domain: { name: domain }, password } } } } }),
  });
  if (subjectToken === null) throw new ApiError(500, 'keystone returned no token');
  const projects = await listProjects(subjectToken);
  if (projects.length === 0) throw new ApiError(403, 'You have no role on any project.');
  const last = localStorage.getItem(LAST_PROJECT_KEY);
  return scope(subjectToken, projects.find((p) => p.id === last) ?? projects[0]!);
}

/** The projects a token's user may scope to. */
export async function listProjects(token: string): Promise<Project[]> {
  const { body } = await keystone('/auth/projects', { method: 'GET', token });
  return ((body as { projects: Project[] }).projects ?? []).map((p) => ({ id: p.id, name: p.name })).sort((a, b) => a.name.localeCompare(b.name));
}

function loadSession(): Session | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as Session | null;
    return s !== null && Date.parse(s.expiresAt) > Date.now() ? s : null;
  } catch {
    return null;
  }
}

/** Options of one API call. */
export interface CallOptions {
  readonly method?: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Send body as is (e.g. a File), not as JSON. */
  readonly raw?: boolean;
  /** Use this token instead of the session's. */
  readonly token?: string;
  /** A global request id (req-<uuid>) the services record the call under. */
  readonly requestId?: string;
}

/** What the app gets from useSession(). */
export interface SessionApi {
  readonly session: Session | null;
  /** True after a 401: the login form shows over the page, which keeps its state. */
  readonly expired: boolean;
  readonly isAdmin: boolean;
  login(domain: string, username: string, password: string): Promise<void>;
  switchProject(project: Project): Promise<void>;
  logout(): void;
  /** Call a service by catalog type; resolves to the parsed JSON body (undefined when empty). */
  call<T = any>(service: string, path: string, opts?: CallOptions): Promise<T>;
  /** The proxied URL of a service path (for XHR uploads). */
  url(service: string, path: string): string;
  /**
   * FLOW.md steps 1–2: send the user's credential (the unscoped token) to keystone for a fresh
   * project-scoped token, under a global request id, so the flow trace of what follows starts there.
   */
  flowToken(requestId: string): Promise<string>;
}

const SessionContext = createContext<SessionApi | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(loadSession);
  const [expired, setExpired] = useState(false);
  const queryClient = useQueryClient();
  // The token in use now: a 401 for a call made with an older token (in flight across a re-login) is not an expiry.
  const currentToken = useRef<string | undefined>(session?.token);
  currentToken.current = session?.token;

  const save = useCallback((s: Session | null) => {
    currentToken.current = s?.token;
    if (s === null) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, JSON.stringify(s));
    setSession(s);
  }, []);

  const url = useCallback(
    (service: string, path: string): string => {
      const prefix = session?.paths[service];
      if (prefix === undefined) throw new ApiError(404, `No ${service} service in the catalog`);
      return `/api/${service}${prefix}${path}`;
    },
    [session],
  );

  const call = useCallback(
    async (service: string, path: string, opts: CallOptions = {}): Promise<any> => {
      if (session === null) throw new ApiError(401, 'Not logged in');
      const headers: Record<string, string> = { accept: 'application/json', 'x-auth-token': opts.token ?? session.token, ...(opts.requestId !== undefined ? { 'x-openstack-request-id': opts.requestId } : {}), ...(service === 'compute' ? { 'openstack-api-version': 'compute 2.60', 'x-openstack-nova-api-version': '2.60' } : {}), ...(opts.headers ?? {}) };
      let body: BodyInit | undefined;
      if (opts.body !== undefined) {
        if (opts.raw === true) body = opts.body as BodyInit;
        else {
          body = JSON.stringify(opts.body);
          headers['content-type'] ??= 'application/json';
        }
      }
      const res = await fetch(url(service, path), { method: opts.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      if (res.status === 401) {
        if (headers['x-auth-token'] === currentToken.current || opts.token !== undefined) setExpired(true);
        throw new ApiError(401, 'Your session has expired. Please log in again.');
      }
      if (!res.ok) throw new ApiError(res.status, errorMessage(res.status, text));
      return text === '' ? undefined : (JSON.parse(text) as unknown);
    },
    [session, url],
  );

  const api = useMemo<SessionApi>(
    () => ({
      session,
      expired,
      isAdmin: session?.roles.includes('admin') === true,
      login: async (domain, username, password) => {
        const s = await passwordLogin(domain, username, password);
        if (session !== null && s.user.id !== session.user.id) queryClient.clear();
        save(s);
        setExpired(false);
        await queryClient.invalidateQueries();
      },
      switchProject: async (project) => {
        if (session === null) return;
        save(await scope(session.unscopedToken, project));
        queryClient.clear();
      },
      logout: () => {
        if (session !== null) void fetch('/api/identity/v3/auth/tokens', { method: 'DELETE', headers: { 'x-auth-token': session.token, 'x-subject-token': session.token } }).catch(() => undefined);
        save(null);
        setExpired(false);
        queryClient.clear();
      },
      call,
      url,
      flowToken: async (requestId) => {
        if (session === null) throw new ApiError(401, 'Not logged in');
        const res = await fetch('/api/identity/v3/auth/tokens?nocatalog', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', 'x-openstack-request-id': requestId },
          body: JSON.stringify({ auth: { identity: { methods: ['token'], token: { id: session.unscopedToken } }, scope: { project: { id: session.project.id } } } }),
        });
        if (res.status === 401 || res.status === 404) {
          setExpired(true);
          throw new ApiError(401, 'Your session has expired. Please log in again.');
        }
        if (!res.ok) throw new ApiError(res.status, errorMessage(res.status, await res.text()));
        return res.headers.get('x-subject-token') ?? session.token;
      },
    }),
    [session, expired, call, url, save, queryClient],
  );
  return <SessionContext.Provider value={api}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const s = useContext(SessionContext);
  if (s === null) throw new Error('useSession outside SessionProvider');
  return s;
}
