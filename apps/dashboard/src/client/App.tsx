import { lazy, Suspense } from 'react';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { Center, Loader, Modal } from '@mantine/core';
import { useSession } from './api/session';
import { Layout } from './components/Layout';
import { LoginForm, LoginPage } from './pages/Login';
import { InstancesPage } from './pages/Instances';
import { InstanceDetailPage } from './pages/InstanceDetail';
import { AdminOnly } from './components/AdminOnly';

const OverviewPage = lazy(() => import('./pages/Overview'));
const ImagesPage = lazy(() => import('./pages/Images'));
const VolumesPage = lazy(() => import('./pages/Volumes'));
const NetworksPage = lazy(() => import('./pages/Networks'));
const SecurityGroupsPage = lazy(() => import('./pages/SecurityGroups'));
const FloatingIpsPage = lazy(() => import('./pages/FloatingIps'));
const KeyPairsPage = lazy(() => import('./pages/KeyPairs'));
const AdminPage = lazy(() => import('./pages/Admin'));

export function App() {
  const { session, expired } = useSession();
  if (session === null) return <LoginPage />;
  return (
    <BrowserRouter>
      <Modal opened={expired} onClose={() => undefined} withCloseButton={false} closeOnEscape={false} closeOnClickOutside={false} zIndex={1000} title="Session expired — log in again" centered>
        <LoginForm />
      </Modal>
      <Layout>
        <Suspense fallback={<Center p="xl"><Loader /></Center>}>
          <Routes>
            <Route path="/" element={<Navigate to="/overview" replace />} />
            <Route path="/login" element={<Navigate to="/overview" replace />} />
            <Route path="/overview" element={<OverviewPage />} />
            <Route path="/instances" element={<InstancesPage />} />
            <Route path="/instances/:id" element={<InstanceDetailPage />} />
            <Route path="/images" element={<ImagesPage />} />
            <Route path="/volumes" element={<VolumesPage />} />
            <Route path="/networks" element={<NetworksPage />} />
            <Route path="/security-groups" element={<SecurityGroupsPage />} />
            <Route path="/floating-ips" element={<FloatingIpsPage />} />
            <Route path="/key-pairs" element={<KeyPairsPage />} />
            <Route path="/admin/:tab" element={<AdminOnly><AdminPage /></AdminOnly>} />
            <Route path="/admin" element={<Navigate to="/admin/hypervisors" replace />} />
            <Route path="*" element={<Navigate to="/overview" replace />} />
          </Routes>
        </Suspense>
      </Layout>
    </BrowserRouter>
  );
}
