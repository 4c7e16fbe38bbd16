/** An interactive VNC console in the page: nova's remote console URL, opened with noVNC (loaded on demand). */
import { useEffect, useRef, useState } from 'react';
import { Alert, Box, Button, Group, Text } from '@mantine/core';
import { useSession } from '../api/session';
import { describe } from '../api/errors';

/** The websocket URL of nova's novncproxy from the URL nova returns (…?token=… or …?path=%3Ftoken%3D…). */
export function websocketUrl(consoleUrl: string): string {
  const u = new URL(consoleUrl, window.location.href);
  let token = u.searchParams.get('token');
  const path = u.searchParams.get('path');
  if (token === null && path !== null) token = new URLSearchParams(path.replace(/^[^?]*\?/, '')).get('token');
  const scheme = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${u.host}/websockify?token=${encodeURIComponent(token ?? '')}`;
}

export function VncConsole({ serverId }: { serverId: string }) {
  const { call } = useSession();
  const screen = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<'idle' | 'connecting' | 'connected' | 'closed'>('idle');
  const [error, setError] = useState<string | null>(null);
  const rfbRef = useRef<{ disconnect(): void; sendCtrlAltDel(): void } | null>(null);

  useEffect(() => () => rfbRef.current?.disconnect(), []);

  const connect = async (): Promise<void> => {
    setError(null);
    setState('connecting');
    try {
      const res = await call('compute', `/servers/${serverId}/remote-consoles`, { method: 'POST', body: { remote_console: { protocol: 'vnc', type: 'novnc' } } });
      const url = (res.remote_console as { url: string }).url;
      const { default: RFB } = await import('@novnc/novnc');
      if (screen.current === null) return;
      const rfb = new RFB(screen.current, websocketUrl(url));
      rfb.scaleViewport = true;
      let connected = false;
      rfb.addEventListener('connect', () => {
        connected = true;
        setState('connected');
      });
      rfb.addEventListener('disconnect', () => {
        setState('closed');
        // Closed before the VNC handshake finished: the proxy or the guest's VNC server refused.
        if (!connected) setError("Console not available: the connection to the server's VNC console was closed.");
      });
      rfb.addEventListener('securityfailure', () => setError('Console not available: VNC authentication failed.'));
      rfbRef.current = rfb;
    } catch (err) {
      setState('idle');
      const status = (err as { status?: number }).status;
      setError(status === 404 || status === 400 || status === 501 ? `Console not available: ${describe(err)}` : describe(err));
    }
  };

  return (
    <Box>
      <Group mb="xs">
        <Button size="xs" onClick={() => void connect()} disabled={state === 'connecting' || state === 'connected'} data-testid="vnc-connect">Open console</Button>
        {state === 'connected' && <Button size="xs" variant="default" onClick={() => rfbRef.current?.sendCtrlAltDel()}>Send Ctrl-Alt-Del</Button>}
        <Text size="sm" c="dimmed" data-testid="vnc-state" data-state={state}>{state}</Text>
      </Group>
      {error !== null && <Alert color="yellow" data-testid="vnc-error">{error}</Alert>}
      <Box ref={screen} h={state === 'idle' || error !== null ? 0 : 480} bg="dark.8" style={{ overflow: 'hidden' }} />
    </Box>
  );
}
