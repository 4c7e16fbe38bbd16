/** Project overview: quota and usage per resource as donut charts (recharts). */
import { Alert, Card, Loader, SimpleGrid, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Cell, Pie, PieChart } from 'recharts';
import { useSession } from '../api/session';
import { describe } from '../api/errors';

interface Usage {
  label: string;
  used: number;
  limit: number;
  unit?: string;
}

function Donut({ u }: { u: Usage }) {
  const unlimited = u.limit < 0;
  const free = unlimited ? Math.max(1, u.used) : Math.max(0, u.limit - u.used);
  const over = !unlimited && u.used >= u.limit;
  return (
    <Card withBorder data-testid="quota-chart" data-label={u.label}>
      <Text fw={600} ta="center">{u.label}</Text>
      <PieChart width={140} height={140} style={{ margin: '0 auto' }}>
        <Pie data={[{ v: u.used }, { v: free }]} dataKey="v" innerRadius={42} outerRadius={62} startAngle={90} endAngle={-270} isAnimationActive={false}>
          <Cell fill={over ? '#e03131' : '#1c7ed6'} />
          <Cell fill="#e9ecef" />
        </Pie>
      </PieChart>
      <Text size="sm" ta="center">Used {u.used}{u.unit ?? ''} of {unlimited ? 'unlimited' : `${u.limit}${u.unit ?? ''}`}</Text>
    </Card>
  );
}

export default function OverviewPage() {
  const { session, call } = useSession();
  const pid = session?.project.id ?? '';
  const q = useQuery({
    queryKey: [pid, 'overview'],
    queryFn: async () => {
      const [limits, cinder, neutron] = await Promise.allSettled([
        call('compute', '/limits'),
        call('block-storage', `/os-quota-sets/${pid}?usage=true`),
        call('network', `/v2.0/quotas/${pid}/details`),
      ]);
      const out: Usage[] = [];
      if (limits.status === 'fulfilled') {
        const a = limits.value.limits.absolute as Record<string, number>;
        out.push({ label: 'Instances', used: a.totalInstancesUsed ?? 0, limit: a.maxTotalInstances ?? -1 });
        out.push({ label: 'vCPUs', used: a.totalCoresUsed ?? 0, limit: a.maxTotalCores ?? -1 });
        out.push({ label: 'RAM', used: Math.round((a.totalRAMUsed ?? 0) / 1024), limit: (a.maxTotalRAMSize ?? -1) < 0 ? -1 : Math.round((a.maxTotalRAMSize ?? 0) / 1024), unit: ' GB' });
      }
      if (cinder.status === 'fulfilled') {
        const qs = cinder.value.quota_set as Record<string, { limit: number; in_use: number }>;
        if (qs.volumes) out.push({ label: 'Volumes', used: qs.volumes.in_use, limit: qs.volumes.limit });
        if (qs.gigabytes) out.push({ label: 'Volume storage', used: qs.gigabytes.in_use, limit: qs.gigabytes.limit, unit: ' GB' });
      }
      if (neutron.status === 'fulfilled') {
        const qn = neutron.value.quota as Record<string, { limit: number; used: number }>;
        if (qn.floatingip) out.push({ label: 'Floating IPs', used: qn.floatingip.used, limit: qn.floatingip.limit });
        if (qn.security_group) out.push({ label: 'Security groups', used: qn.security_group.used, limit: qn.security_group.limit });
      }
      const failures = [limits, cinder, neutron].filter((r) => r.status === 'rejected').map((r) => describe((r as PromiseRejectedResult).reason));
      return { usage: out, failures };
    },
    refetchInterval: 10_000,
  });
  return (
    <>
      <Title order={2} mb="md">Overview — {session?.project.name}</Title>
      {q.isPending && <Loader />}
      {q.isError && <Alert color="red">{describe(q.error)}</Alert>}
      {q.data?.failures.map((f) => <Alert key={f} color="yellow" mb="sm">{f}</Alert>)}
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 4 }}>
        {q.data?.usage.map((u) => <Donut key={u.label} u={u} />)}
      </SimpleGrid>
    </>
  );
}
