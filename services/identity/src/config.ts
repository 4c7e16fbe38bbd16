/** The [identity] config group: keystone's port, token lifetime, hashing cost and the bootstrap admin. */
import { durationOpt, intOpt, portOpt, stringOpt } from '@strata/config';

/** Options of keystone. */
export const identitySchema = {
  identity: {
    port: portOpt(5000, 'Port of the Identity v3 API.'),
    token_expiration: durationOpt(3_600_000, 'Lifetime of a token.', 60_000, 7 * 86_400_000),
    password_hash_rounds: intOpt(10, 'bcrypt cost factor for passwords and application credential secrets.', 4, 14),
    max_active_keys: intOpt(3, 'Token signing keys kept after a rotation (staged + primary + secondaries).', 2, 100),
    admin_user: stringOpt('admin', 'Name of the admin user bootstrap creates.'),
    admin_project: stringOpt('admin', 'Name of the admin project bootstrap creates.'),
    admin_password: stringOpt('', 'Password of the admin user; empty means generate one on first bootstrap (it is written to <data-dir>/openrc).'),
  },
} as const;
