/** Creates, wires and removes tap devices with `ip` (argument arrays; names validated by the caller). */
import { readFile } from 'node:fs/promises';
import { assertBridgeName, assertTapName } from '@strata/virt';
import type { CommandRunner } from './host-commands.js';

/** The `ip` calls for taps. */
export class TapDevices {
  readonly #runner: CommandRunner;
  readonly #ip: string;
  readonly #procNetDev: string;

  /**
   * `procNetDev` lists the devices of this process's network namespace (unlike /sys/class/net,
   * which shows the namespace sysfs was mounted in).
   */
  constructor(runner: CommandRunner, ip: string, procNetDev = '/proc/self/net/dev') {
    this.#runner = runner;
    this.#ip = ip;
    this.#procNetDev = procNetDev;
  }

  /** True when a network device of this name exists in this network namespace. */
  async exists(name: string): Promise<boolean> {
    assertTapName(name);
    const text = await readFile(this.#procNetDev, 'utf8').catch(() => '');
    return text.split('\n').some((line) => line.trim().startsWith(`${name}:`));
  }

  /**
   * Make sure `name` exists (creating it only when it does not; resolves true when it did so),
   * then set its MTU, enslave it to `bridge` and bring it up.
   */
  async ensure(name: string, options: { readonly bridge: string | null; readonly mtu: number | null }, signal?: AbortSignal): Promise<boolean> {
    assertTapName(name);
    if (options.bridge !== null) assertBridgeName(options.bridge);
    if (options.mtu !== null && (!Number.isInteger(options.mtu) || options.mtu < 68 || options.mtu > 65535)) throw new RangeError(`bad MTU ${options.mtu}`);
    let created = false;
    if (!(await this.exists(name))) {
      await this.#runner.run(this.#ip, ['tuntap', 'add', 'dev', name, 'mode', 'tap'], { signal });
      created = true;
    }
    try {
      if (options.mtu !== null) await this.#runner.run(this.#ip, ['link', 'set', 'dev', name, 'mtu', String(options.mtu)], { signal });
      if (options.bridge !== null) await this.#runner.run(this.#ip, ['link', 'set', 'dev', name, 'master', options.bridge], { signal });
      await this.#runner.run(this.#ip, ['link', 'set', 'dev', name, 'up'], { signal });
    } catch (err) {
      if (created) await this.remove(name);
      throw err;
    }
    return created;
  }

  /** Remove the tap; resolves also when it is gone already. */
  async remove(name: string): Promise<void> {
    assertTapName(name);
    if (!(await this.exists(name))) return;
    await this.#runner.run(this.#ip, ['link', 'delete', 'dev', name]);
  }
}
