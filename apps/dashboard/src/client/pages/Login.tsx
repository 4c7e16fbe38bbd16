import { useState } from 'react';
import { Alert, Button, Center, Paper, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useSession } from '../api/session';
import { describe } from '../api/errors';

/** Domain, user, password → keystone. Used as the page and, after a 401, over the current page. */
export function LoginForm() {
  const { login, session } = useSession();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useForm({
    initialValues: { domain: session?.user.domain ?? 'Default', username: session?.user.name ?? '', password: '' },
    validate: { domain: (v) => (v.trim() === '' ? 'Domain is required' : null), username: (v) => (v.trim() === '' ? 'User name is required' : null), password: (v) => (v === '' ? 'Password is required' : null) },
  });
  return (
    <form
      onSubmit={form.onSubmit(async (v) => {
        setBusy(true);
        setError(null);
        try {
          await login(v.domain.trim(), v.username.trim(), v.password);
        } catch (err) {
          setError(describe(err));
        } finally {
          setBusy(false);
        }
      })}
    >
      <Stack>
        {error !== null && <Alert color="red" data-testid="login-error">{error}</Alert>}
        <TextInput label="Domain" name="domain" {...form.getInputProps('domain')} />
        <TextInput label="User name" name="username" autoComplete="username" {...form.getInputProps('username')} />
        <PasswordInput label="Password" name="password" autoComplete="current-password" {...form.getInputProps('password')} />
        <Button type="submit" loading={busy} data-testid="login-submit">Log in</Button>
      </Stack>
    </form>
  );
}

export function LoginPage() {
  return (
    <Center h="100vh" bg="gray.1">
      <Paper w={380} p="xl" shadow="md" radius="md">
        <Title order={2} mb="md">Log in to Strata</Title>
        <LoginForm />
      </Paper>
    </Center>
  );
}
