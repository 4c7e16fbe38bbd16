/**
 * Decides between KVM and TCG by booting a tiny guest under KVM: /dev/kvm can be there and still
 * fail real guests (nested or paravirtualized KVM that cannot emulate some instructions), so
 * only a guest that runs through real, protected and long mode with interrupts counts.
 */
import { spawn } from 'node:child_process';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The accelerator a guest runs with. */
export type Accel = 'kvm' | 'tcg';

/** What the probe found. */
export interface AccelProbeResult {
  readonly accel: Accel;
  /** Why KVM is not used (absent when it is). */
  readonly reason?: string;
}

/** Options of probeAccel. */
export interface AccelProbeOptions {
  /** @default 'qemu-system-x86_64' */
  readonly qemuBinary?: string;
  /** How long the probe guest gets. @default 5000 */
  readonly timeoutMs?: number;
  /** @default '/dev/kvm' */
  readonly kvmDevice?: string;
  /** Run the probe guest with this accelerator (tests check the guest itself under TCG). @default 'kvm' */
  readonly accel?: Accel;
}

/** The probe guest's success line on the debug port. */
export const PROBE_OK = 'STRATA-KVM-OK';

/*
 * The probe guest, a boot sector assembled with GNU as (`as --64 probe.S && objcopy -O binary
 * -j .text`), stored without its zero padding; the source:
 *
 * # KVM probe guest: a boot sector that enters 32-bit protected mode and 64-bit long mode,
 *    takes an interrupt (int/iret) in each, and writes STRATA-KVM-OK to the debug port 0x402.
 *         .code16
 *         .org 0
 * start:
 *         cli
 *         xorw %ax, %ax
 *         movw %ax, %ds
 *         movw %ax, %es
 *         movw %ax, %ss
 *         movw $0x7c00, %sp
 *         inb $0x92, %al
 *         orb $2, %al
 *         outb %al, $0x92
 *         lgdtl gdt_desc - start + 0x7c00
 *         movl %cr0, %eax
 *         orl $1, %eax
 *         movl %eax, %cr0
 *         ljmpl $0x08, $(pm32 - start + 0x7c00)
 *         .code32
 * pm32:
 *         movw $0x10, %ax
 *         movw %ax, %ds
 *         movw %ax, %es
 *         movw %ax, %ss
 *         movl $0x7c00, %esp
 *         # IDT32 at 0x5000, vector 0x30 -> h32
 *         movl $0x5000, %edi
 *         xorl %eax, %eax
 *         movl $0x800, %ecx
 *         rep stosl
 *         movl $(h32 - start + 0x7c00), %eax
 *         movw %ax, 0x5000 + 0x30*8
 *         movw $0x08, 0x5000 + 0x30*8 + 2
 *         movw $0x8e00, 0x5000 + 0x30*8 + 4
 *         shrl $16, %eax
 *         movw %ax, 0x5000 + 0x30*8 + 6
 *         lidt idt32_desc - start + 0x7c00
 *         int $0x30
 *         # identity-map the first 2 MiB: PML4 0x1000, PDPT 0x2000, PD 0x3000
 *         movl $0x1000, %edi
 *         xorl %eax, %eax
 *         movl $0xc00, %ecx
 *         rep stosl
 *         movl $0x2003, 0x1000
 *         movl $0x3003, 0x2000
 *         movl $0x83, 0x3000
 *         movl %cr4, %eax
 *         orl $0x20, %eax
 *         movl %eax, %cr4
 *         movl $0x1000, %eax
 *         movl %eax, %cr3
 *         movl $0xc0000080, %ecx
 *         rdmsr
 *         orl $0x100, %eax
 *         wrmsr
 *         movl %cr0, %eax
 *         orl $0x80000000, %eax
 *         movl %eax, %cr0
 *         ljmpl $0x18, $(lm64 - start + 0x7c00)
 *         .code64
 * lm64:
 *         # IDT64 at 0x6000 (16-byte gates), vector 0x30 -> h64
 *         movl $0x6000, %edi
 *         xorl %eax, %eax
 *         movl $0x400, %ecx
 *         rep stosl
 *         movl $(h64 - start + 0x7c00), %eax
 *         movw %ax, 0x6000 + 0x30*16
 *         movw $0x18, 0x6000 + 0x30*16 + 2
 *         movw $0x8e00, 0x6000 + 0x30*16 + 4
 *         shrl $16, %eax
 *         movw %ax, 0x6000 + 0x30*16 + 6
 *         lidt idt64_desc - start + 0x7c00
 *         movl $0x7c00, %esp
 *         int $0x30
 *         movl $(msg - start + 0x7c00), %esi
 *         movw $0x402, %dx
 * 1:      lodsb
 *         testb %al, %al
 *         jz 2f
 *         outb %al, %dx
 *         jmp 1b
 * 2:      hlt
 *         jmp 2b
 * h32:    iretl
 * h64:    iretq
 *         .p2align 3
 * gdt:    .quad 0
 *         .quad 0x00cf9a000000ffff
 *         .quad 0x00cf92000000ffff
 *         .quad 0x00af9a000000ffff
 * gdt_desc:
 *         .word 4*8-1
 *         .long gdt - start + 0x7c00
 * idt32_desc:
 *         .word 0x30*8+7
 *         .long 0x5000
 * idt64_desc:
 *         .word 0x30*16+15
 *         .quad 0x6000
 * msg:    .asciz "STRATA-KVM-OK\n"
 *         .org 510
 *         .byte 0x55, 0xaa
 */
const PROBE_CODE =
  '+jHAjtiOwI7QvAB85JIMAuaSZg8BFlh9DyDAZoPIAQ8iwGbqKnwAAAgAZrgQAI7YjsCO0LwAfAAAvwBQAAAxwLkACAAA86u4MH0A' +
  'AGajgFEAAGbHBYJRAAAIAGbHBYRRAAAAjsHoEGajhlEAAA8BHV59AADNML8AEAAAMcC5AAwAAPOrxwUAEAAAAyAAAMcFACAAAAMw' +
  'AADHBQAwAACDAAAADyDgg8ggDyLguAAQAAAPIti5gAAAwA8yDQABAAAPMA8gwA0AAACADyLA6tN8AAAYAL8AYAAAMcC5AAQAAPOr' +
  'uDF9AABmiQQlAGMAAGbHBCUCYwAAGABmxwQlBGMAAACOwegQZokEJQZjAAAPARwlZH0AALwAfAAAzTC+bn0AAGa6AgSshMB0A+7r' +
  '+PTr/c9Izw8fRAAAAAAAAAAAAAD//wAAAJrPAP//AAAAks8A//8AAACarwAfADh9AACHAQBQAAAPAwBgAAAAAAAAU1RSQVRBLUtW' +
  'TS1PSwo=';

/** The probe guest as a 512-byte bootable disk. */
export function probeBootSector(): Buffer {
  const sector = Buffer.alloc(512);
  Buffer.from(PROBE_CODE, 'base64').copy(sector);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** Boot the probe guest and resolve true when it printed PROBE_OK in time. */
async function runProbe(qemu: string, accel: Accel, timeoutMs: number): Promise<{ ok: boolean; said: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-kvm-probe-'));
  try {
    const disk = join(dir, 'probe.img');
    await writeFile(disk, probeBootSector());
    const args = ['-accel', accel, '-machine', 'pc', '-m', '16', '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot'];
    args.push('-drive', `file=${disk},format=raw,if=ide`, '-chardev', 'stdio,id=dbg,signal=off', '-device', 'isa-debugcon,iobase=0x402,chardev=dbg');
    return await new Promise((resolve) => {
      const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      let settled = false;
      const finish = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve({ ok, said: err.trim().split('\n').slice(0, 2).join(' / ') });
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes(PROBE_OK)) finish(true);
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        err += d;
        if (err.includes('KVM internal error')) finish(false);
      });
      child.on('error', (e) => {
        err += e.message;
        finish(false);
      });
      child.on('exit', () => finish(out.includes(PROBE_OK)));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * KVM when /dev/kvm can be opened and the probe guest runs under it within the timeout, else
 * TCG with the reason. Never throws.
 */
export async function probeAccel(options: AccelProbeOptions = {}): Promise<AccelProbeResult> {
  const accel = options.accel ?? 'kvm';
  const device = options.kvmDevice ?? '/dev/kvm';
  if (accel === 'kvm') {
    try {
      await access(device, constants.R_OK | constants.W_OK);
    } catch {
      return { accel: 'tcg', reason: `${device} is missing or not accessible` };
    }
  }
  const { ok, said } = await runProbe(options.qemuBinary ?? 'qemu-system-x86_64', accel, options.timeoutMs ?? 5000);
  if (ok) return { accel };
  return { accel: 'tcg', reason: `a probe guest did not run under ${accel}${said ? ` (${said})` : ' in time'}` };
}
