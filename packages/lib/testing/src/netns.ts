/**
 * Network namespaces for end-to-end tests run as root: stand-in VMs and an "external" side wired to
 * the host by a veth pair. Host commands run with argument arrays.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ip = (...args: string[]): Promise<unknown> => run('ip', args);

/** A namespace joined to the host by a veth pair. */
export interface VethNamespace {
  readonly ns: string;
  /** The end left on the host (up, no address). */
  readonly hostEnd: string;
  /** Deletes the namespace and the veth pair; what is already gone is no error. */
  remove(): Promise<void>;
}

/**
 * Creates namespace `ns` with a veth pair: `hostEnd` stays on the host and is brought up; `peerEnd`
 * is in the namespace, up, with `address` (CIDR). On a failure, what was made is removed again.
 */
export async function addVethNamespace(o: { ns: string; hostEnd: string; peerEnd: string; address: string }): Promise<VethNamespace> {
  const made: VethNamespace = {
    ns: o.ns,
    hostEnd: o.hostEnd,
    remove: async () => {
      await deleteNamespaces(o.ns);
      await ip('link', 'delete', o.hostEnd).catch(() => undefined);
    },
  };
  await ip('netns', 'add', o.ns);
  try {
    await ip('link', 'add', o.hostEnd, 'type', 'veth', 'peer', 'name', o.peerEnd, 'netns', o.ns);
    await ip('link', 'set', 'dev', o.hostEnd, 'up');
    await ip('-n', o.ns, 'link', 'set', 'lo', 'up');
    await ip('-n', o.ns, 'addr', 'add', o.address, 'dev', o.peerEnd);
    await ip('-n', o.ns, 'link', 'set', 'dev', o.peerEnd, 'up');
  } catch (err) {
    await made.remove();
    throw err;
  }
  return made;
}

/** Creates namespace `ns` and moves the host's interface `dev` into it, renamed `name`; it and lo are brought up. */
export async function moveIntoNewNamespace(dev: string, ns: string, name = 'eth0'): Promise<void> {
  await ip('netns', 'add', ns);
  await ip('link', 'set', 'dev', dev, 'netns', ns);
  await ip('-n', ns, 'link', 'set', 'lo', 'up');
  await ip('-n', ns, 'link', 'set', 'dev', dev, 'name', name, 'up');
}

/** Deletes the namespaces; one that does not exist is no error. */
export async function deleteNamespaces(...names: string[]): Promise<void> {
  await Promise.all(names.map((ns) => ip('netns', 'delete', ns).catch(() => undefined)));
}

/** True when one ping from namespace `ns` to `target` is answered within `waitS` seconds. */
export function pingsFrom(ns: string, target: string, waitS = 1): Promise<boolean> {
  return run('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', String(waitS), target]).then(
    () => true,
    () => false,
  );
}
