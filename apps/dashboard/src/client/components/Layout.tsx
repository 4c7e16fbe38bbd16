import type { ReactNode } from 'react';
import { NavLink as RouterLink, useLocation } from 'react-router';
import { AppShell, Group, Menu, NavLink, Select, Text, Title, Button, ScrollArea } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { listProjects, useSession } from '../api/session';

const PROJECT_LINKS: Array<[string, string]> = [
  ['/overview', 'Overview'],
  ['/instances', 'Instances'],
  ['/images', 'Images'],
  ['/volumes', 'Volumes'],
  ['/networks', 'Networks'],
  ['/security-groups', 'Security groups'],
  ['/floating-ips', 'Floating IPs'],
  ['/key-pairs', 'Key pairs'],
];
const ADMIN_LINKS: Array<[string, string]> = [
  ['/admin/hypervisors', 'Hypervisors'],
  ['/admin/services', 'Services'],
  ['/admin/instances', 'All instances'],
  ['/admin/identity', 'Projects and users'],
];

export function Layout({ children }: { children: ReactNode }) {
  const { session, isAdmin, switchProject, logout } = useSession();
  const location = useLocation();
  const projects = useQuery({ queryKey: ['projects', session?.user.id], queryFn: () => listProjects(session!.unscopedToken), enabled: session !== null, staleTime: 60_000 });
  const link = ([to, label]: [string, string]) => <NavLink key={to} component={RouterLink} to={to} label={label} active={location.pathname === to || location.pathname.startsWith(`${to}/`)} />;
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm' }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Title order={3}>Strata</Title>
          <Group>
            <Select
              aria-label="Project"
              data-testid="project-switch"
              w={220}
              value={session?.project.id ?? null}
              data={(projects.data ?? (session !== null ? [session.project] : [])).map((p) => ({ value: p.id, label: p.name }))}
              allowDeselect={false}
              onChange={(id) => {
                const p = projects.data?.find((x) => x.id === id);
                if (p !== undefined) void switchProject(p);
              }}
            />
            <Menu>
              <Menu.Target>
                <Button variant="subtle" data-testid="user-menu">{session?.user.name}</Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>{session?.user.domain} / {session?.roles.join(', ')}</Menu.Label>
                <Menu.Item onClick={logout} data-testid="logout">Log out</Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        <ScrollArea>
          <Text size="xs" c="dimmed" fw={700} px="sm" py={4}>PROJECT</Text>
          {PROJECT_LINKS.map(link)}
          {isAdmin && (
            <div data-testid="admin-nav">
              <Text size="xs" c="dimmed" fw={700} px="sm" py={4} mt="md">ADMIN</Text>
              {ADMIN_LINKS.map(link)}
            </div>
          )}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main>{children}</AppShell.Main>
    </AppShell>
  );
}
