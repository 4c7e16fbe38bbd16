import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { hasOpenstackCli, servicesRequired, startStrataProcess, type StrataProcess } from '@strata/testing';

const run = promisify(execFile);
const skip = hasOpenstackCli() ? undefined : servicesRequired() ? undefined : 'the openstack CLI is not installed';

describe('the real openstack CLI against `strata up`', { skip }, () => {
  let strata: StrataProcess;
  const osc = async (env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> => (await run('openstack', args, { env, timeout: 60_000 })).stdout;

  before(async () => {
    if (!hasOpenstackCli()) throw new Error('STRATA_REQUIRE_SERVICES=1 but the openstack CLI is not installed');
    strata = await startStrataProcess();
  });
  after(async () => {
    const code = await strata?.stop();
    assert.equal(code, 0, 'strata up stops cleanly on SIGTERM');
  });

  test('admin: token issue, catalog list, project/user create, role add; the new user logs in; token revoke', async () => {
    const env = strata.adminEnv;
    const token = (await osc(env, 'token', 'issue', '-f', 'value', '-c', 'id')).trim();
    assert.ok(token.length > 20);
    assert.match(await osc(env, 'catalog', 'list', '-f', 'value', '-c', 'Type'), /identity/);
    await osc(env, 'project', 'create', 'cli-proj', '--domain', 'default', '--description', 'made by the CLI test');
    await osc(env, 'user', 'create', 'cli-user', '--domain', 'default', '--password', 'cli-Pw-1', '--project', 'cli-proj');
    await osc(env, 'role', 'add', '--project', 'cli-proj', '--user', 'cli-user', 'member');
    const assignments = await osc(env, 'role', 'assignment', 'list', '--project', 'cli-proj', '--user', 'cli-user', '--names', '-f', 'value', '-c', 'Role');
    assert.match(assignments, /member/);

    const userEnv = { ...env, OS_USERNAME: 'cli-user', OS_PASSWORD: 'cli-Pw-1', OS_PROJECT_NAME: 'cli-proj' };
    const userToken = (await osc(userEnv, 'token', 'issue', '-f', 'json'));
    const parsed = JSON.parse(userToken) as { id: string; project_id: string; user_id: string };
    const projectId = (await osc(env, 'project', 'show', 'cli-proj', '-f', 'value', '-c', 'id')).trim();
    assert.equal(parsed.project_id, projectId);

    await osc(env, 'token', 'revoke', parsed.id);
    const validate = await fetch(`${env.OS_AUTH_URL}/auth/tokens`, { headers: { 'x-auth-token': token, 'x-subject-token': parsed.id } });
    assert.equal(validate.status, 404, 'a revoked token no longer validates');

    await assert.rejects(osc({ ...userEnv, OS_PASSWORD: 'wrong' }, 'token', 'issue'), /401|authenticat/i);
  });
});
