import type { ReactNode } from 'react';
import { Alert } from '@mantine/core';
import { useSession } from '../api/session';

/** Admin pages render only for a token with the admin role (the APIs enforce it too). */
export function AdminOnly({ children }: { children: ReactNode }) {
  const { isAdmin } = useSession();
  if (!isAdmin) return <Alert color="red" title="Not authorized" data-testid="admin-forbidden">The admin pages need the admin role.</Alert>;
  return <>{children}</>;
}
