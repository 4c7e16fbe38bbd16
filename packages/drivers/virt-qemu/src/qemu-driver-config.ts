/** QemuDriver's options, and their compiled, frozen form with every default applied. */
import { isIP } from 'node:net';
import { silentLogger, type Logger } from '@strata/log';
import { assertSafePath } from '@strata/virt';
import { execFileRunner, type CommandRunner } from './host-commands.js';

/** Options of QemuDriver.create. */
export interface QemuDriverConfig {
  /**
   * Directory that holds one state directory per guest (`<instancesPath>/<uuid>/`: disks,
   * config drive, QMP socket, pid file, console log). Created when missing. Must be short
   * enough for unix socket paths (at most 57 characters).
   */
  readonly instancesPath: string;
  /** @default 'qemu-system-x86_64' */
  readonly qemuBinary?: string;
  /** @default 'qemu-img' */
  readonly qemuImgBinary?: string;
  /** @default 'ip' */
  readonly ipBinary?: string;
  /** ISO 9660 builder for config drives, `xorriso` or `genisoimage`. @default whichever is installed, xorriso first */
  readonly isoBuilder?: string;
  /**
   * Accelerator. `auto`: KVM where a probe guest runs under it, else TCG (said once in the log).
   * Possible values: auto, kvm, tcg. @default 'auto'
   */
  readonly accel?: 'auto' | 'kvm' | 'tcg';
  /** Machine type when the image has no `hw_machine_type`. Possible values: pc, q35 or a versioned pc-*. @default 'pc' */
  readonly machineType?: string;
  /** CPU model. @default 'host' under KVM, 'qemu64' under TCG */
  readonly cpuModel?: string;
  /** How long a guest gets to power off after the ACPI button (nova's shutdown_timeout). @default 60000 */
  readonly shutdownTimeoutMs?: number;
  /** How long a soft reboot waits for the guest before a hard reboot. @default 120000 */
  readonly rebootTimeoutMs?: number;
  /** How long detach waits for the guest to release a device. @default 20000 */
  readonly deviceDetachTimeoutMs?: number;
  /** Address VNC servers listen on. Possible values: an IP address of this host. @default '127.0.0.1' */
  readonly vncListen?: string;
  /** VNC display numbers to use (port 5900 + display). @default { first: 0, last: 99 } */
  readonly vncDisplays?: { readonly first: number; readonly last: number };
  /**
   * With user-mode networking (ports without a tap), isolate the guest from the host and the
   * outside (QEMU's `restrict=on`): DHCP still works, nothing leaves. @default false
   */
  readonly userNetworkRestrict?: boolean;
  /** @default 5000 */
  readonly kvmProbeTimeoutMs?: number;
  /** @default a silent logger */
  readonly logger?: Logger;
  /** Runs host programs; tests pass their own. @default execFileRunner */
  readonly runner?: CommandRunner;
}

/** QemuDriverConfig with every default applied, frozen. */
export interface CompiledQemuDriverConfig {
  readonly instancesPath: string;
  readonly qemuBinary: string;
  readonly qemuImgBinary: string;
  readonly ipBinary: string;
  readonly isoBuilder: string | undefined;
  readonly accel: 'auto' | 'kvm' | 'tcg';
  readonly machineType: string;
  readonly cpuModel: string | undefined;
  readonly shutdownTimeoutMs: number;
  readonly rebootTimeoutMs: number;
  readonly deviceDetachTimeoutMs: number;
  readonly vncListen: string;
  readonly vncDisplays: { readonly first: number; readonly last: number };
  readonly userNetworkRestrict: boolean;
  readonly kvmProbeTimeoutMs: number;
  readonly logger: Logger;
  readonly runner: CommandRunner;
}

/** Machine types the driver accepts (config and `hw_machine_type`). */
export const MACHINE_TYPE_RE = /^(pc|q35|pc-i440fx-[0-9.]+|pc-q35-[0-9.]+)$/;
/** CPU models: QEMU's names (`host`, `max`, `qemu64`, `Skylake-Client-v4`, ...). */
export const CPU_MODEL_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BINARY_RE = /^[A-Za-z0-9/._-]{1,255}$/;

function ms(value: number | undefined, def: number, name: string): number {
  const v = value ?? def;
  if (!Number.isInteger(v) || v < 0) throw new Error(`QemuDriver config ${name} must be a non-negative integer (ms), not ${String(value)}`);
  return v;
}

function binary(value: string | undefined, def: string, name: string): string {
  const v = value ?? def;
  if (!BINARY_RE.test(v)) throw new Error(`QemuDriver config ${name} is not a program name or path: ${v}`);
  return v;
}

/** Apply defaults and check every option; throws on a bad value. */
export function compileQemuDriverConfig(config: QemuDriverConfig): CompiledQemuDriverConfig {
  assertSafePath(config.instancesPath, 'instancesPath');
  // NOTE: sun_path holds 107 bytes and a NUL; `<instancesPath>/<uuid>/migrate.sock` adds 50.
  if (Buffer.byteLength(config.instancesPath) > 57) throw new Error(`QemuDriver config instancesPath is longer than 57 bytes, too long for its unix sockets: ${config.instancesPath}`);
  if (config.instancesPath.includes(',')) throw new Error('QemuDriver config instancesPath must not contain a comma');
  const accel = config.accel ?? 'auto';
  if (!['auto', 'kvm', 'tcg'].includes(accel)) throw new Error(`QemuDriver config accel must be auto, kvm or tcg, not ${accel}`);
  const machineType = config.machineType ?? 'pc';
  if (!MACHINE_TYPE_RE.test(machineType)) throw new Error(`QemuDriver config machineType is not supported: ${machineType}`);
  if (config.cpuModel !== undefined && !CPU_MODEL_RE.test(config.cpuModel)) throw new Error(`QemuDriver config cpuModel is not a CPU model name: ${config.cpuModel}`);
  const vncListen = config.vncListen ?? '127.0.0.1';
  if (isIP(vncListen) === 0) throw new Error(`QemuDriver config vncListen must be an IP address, not ${vncListen}`);
  const vncDisplays = config.vncDisplays ?? { first: 0, last: 99 };
  if (!Number.isInteger(vncDisplays.first) || !Number.isInteger(vncDisplays.last) || vncDisplays.first < 0 || vncDisplays.last < vncDisplays.first || vncDisplays.last > 59635) {
    throw new Error('QemuDriver config vncDisplays must be { first, last } with 0 <= first <= last');
  }
  return Object.freeze({
    instancesPath: config.instancesPath,
    qemuBinary: binary(config.qemuBinary, 'qemu-system-x86_64', 'qemuBinary'),
    qemuImgBinary: binary(config.qemuImgBinary, 'qemu-img', 'qemuImgBinary'),
    ipBinary: binary(config.ipBinary, 'ip', 'ipBinary'),
    isoBuilder: config.isoBuilder === undefined ? undefined : binary(config.isoBuilder, 'xorriso', 'isoBuilder'),
    accel,
    machineType,
    cpuModel: config.cpuModel,
    shutdownTimeoutMs: ms(config.shutdownTimeoutMs, 60_000, 'shutdownTimeoutMs'),
    rebootTimeoutMs: ms(config.rebootTimeoutMs, 120_000, 'rebootTimeoutMs'),
    deviceDetachTimeoutMs: ms(config.deviceDetachTimeoutMs, 20_000, 'deviceDetachTimeoutMs'),
    vncListen,
    vncDisplays: Object.freeze({ ...vncDisplays }),
    userNetworkRestrict: config.userNetworkRestrict ?? false,
    kvmProbeTimeoutMs: ms(config.kvmProbeTimeoutMs, 5000, 'kvmProbeTimeoutMs'),
    logger: config.logger ?? silentLogger(),
    runner: config.runner ?? execFileRunner,
  });
}
