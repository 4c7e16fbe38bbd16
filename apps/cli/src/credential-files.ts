/** Writes <data-dir>/openrc and <data-dir>/clouds.yaml for the admin, so `source data/openrc && openstack ...` works. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** What the files contain. */
export interface AdminCredentials {
  readonly authUrl: string;
  readonly username: string;
  readonly password: string;
  readonly projectName: string;
  readonly region: string;
}

function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/** Write both files with mode 0600; returns their paths. */
export function writeCredentialFiles(dataDir: string, c: AdminCredentials): { openrc: string; cloudsYaml: string } {
  const openrc = join(dataDir, 'openrc');
  const lines = [
    '# Strata admin credentials: source this file, then run openstack commands.',
    `export OS_AUTH_URL=${shellQuote(c.authUrl)}`,
    'export OS_IDENTITY_API_VERSION=3',
    `export OS_USERNAME=${shellQuote(c.username)}`,
    `export OS_PASSWORD=${shellQuote(c.password)}`,
    `export OS_PROJECT_NAME=${shellQuote(c.projectName)}`,
    'export OS_USER_DOMAIN_NAME=Default',
    'export OS_PROJECT_DOMAIN_NAME=Default',
    `export OS_REGION_NAME=${shellQuote(c.region)}`,
    'export OS_INTERFACE=public',
    '',
  ];
  writeFileSync(openrc, lines.join('\n'), { mode: 0o600 });
  const cloudsYaml = join(dataDir, 'clouds.yaml');
  const doc = {
    clouds: {
      strata: {
        auth: { auth_url: c.authUrl, username: c.username, password: c.password, project_name: c.projectName, user_domain_name: 'Default', project_domain_name: 'Default' },
        region_name: c.region,
        interface: 'public',
        identity_api_version: 3,
      },
    },
  };
  writeFileSync(cloudsYaml, stringify(doc), { mode: 0o600 });
  return { openrc, cloudsYaml };
}

/** The value of `export <name>='…'` in <data-dir>/openrc (as an earlier start wrote it), if any. */
export function readOpenrcValue(dataDir: string, name: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, 'openrc'), 'utf8');
  } catch {
    return undefined;
  }
  const m = new RegExp(`^export ${name}='((?:[^']|'\\\\'')*)'$`, 'm').exec(text);
  return m?.[1]?.replace(/'\\''/g, "'");
}

/** The OS_PASSWORD an earlier start wrote to <data-dir>/openrc, if any. */
export function readOpenrcPassword(dataDir: string): string | undefined {
  return readOpenrcValue(dataDir, 'OS_PASSWORD');
}
