/** Runs host commands (ip, nft, dnsmasq, sysctl) with argument arrays — never a shell — and turns failures into clear errors. */
import { execFile, spawnSync } from 'node:child_process';
import type { Logger } from '@strata/log';

/** A failed host command. */
export class HostCommandError extends Error {
  constructor(
    readonly command: readonly string[],
    readonly code: number | string | null,
    readonly stderr: string,
  ) {
    super(`${command.join(' ')} failed (${String(code)}): ${stderr.trim().split('\n').slice(0, 3).join(' | ')}`);
    this.name = 'HostCommandError';
  }
}

/** Options of one command. */
export interface RunOptions {
  /** Text written to the command's stdin (nft -f -). */
  readonly input?: string;
  /** Resolve instead of throwing when the command fails (deleting what may already be gone). */
  readonly allowFail?: boolean;
  readonly timeoutMs?: number;
}

/** The result of one command. */
export interface RunResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs commands; one instance per backend so tests can swap it. */
export class HostCommands {
  readonly #log: Logger;
  constructor(logger: Logger) {
    this.#log = logger;
  }

  /** Run `file args…` and return its output; throws HostCommandError unless allowFail. */
  run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const child = execFile(file, [...args], { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        this.#log.debug({ cmd: file, args: args.slice(0, 6).join(' '), ms: Math.round(performance.now() - started), ok: err === null }, 'host command');
        if (err === null) return resolve({ ok: true, stdout, stderr });
        const code = (err as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
        if (opts.allowFail === true) {
          this.#log.debug({ cmd: [file, ...args].join(' '), code, stderr: stderr.trim() }, 'host command failed (allowed)');
          return resolve({ ok: false, stdout, stderr });
        }
        reject(new HostCommandError([file, ...args], code, stderr || err.message));
      });
      if (opts.input !== undefined) child.stdin?.end(opts.input);
    });
  }

  /** `ip args…` */
  ip(args: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return this.run('ip', args, opts);
  }

  /**
   * Several `ip` commands in one process (`ip -batch -`): each is an argument array, joined with
   * spaces — so every argument must be a checked name or number, never free text with spaces.
   */
  ipBatch(commands: ReadonlyArray<readonly string[]>, opts?: RunOptions): Promise<RunResult> {
    for (const c of commands) for (const a of c) if (!/^[A-Za-z0-9_.:/@-]+$/.test(a)) throw new Error(`unsafe argument ${JSON.stringify(a)} for ip -batch`);
    return this.run('ip', ['-batch', '-'], { ...opts, input: commands.map((c) => c.join(' ')).join('\n') + '\n' });
  }

  /** `ip netns exec <ns> file args…` */
  inNetns(ns: string, file: string, args: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return this.run('ip', ['netns', 'exec', ns, file, ...args], opts);
  }

  /** Apply an nft script through stdin (`nft -f -`), atomically. */
  nft(script: string, ns?: string): Promise<RunResult> {
    return ns === undefined ? this.run('nft', ['-f', '-'], { input: script }) : this.inNetns(ns, 'nft', ['-f', '-'], { input: script });
  }
}

/**
 * Deletes the conntrack entries of one address (`conntrack -D`, from Debian's conntrack package);
 * resolves false when the tool is not installed. No matching entry is not an error.
 */
export async function deleteConntrack(cmd: HostCommands, flush: { readonly origSrc: string } | { readonly origDst: string }): Promise<boolean> {
  const [flag, ip] = 'origSrc' in flush ? ['--orig-src', flush.origSrc] : ['--orig-dst', flush.origDst];
  if (!/^[0-9a-f:.]+$/i.test(ip)) throw new Error(`invalid address ${JSON.stringify(ip)} for conntrack`);
  const r = await cmd.run('conntrack', ['-D', '-f', ip.includes(':') ? 'ipv6' : 'ipv4', flag, ip], { allowFail: true });
  return r.ok || !/ENOENT|not found/i.test(r.stderr);
}

/** The first of `tools` not found on PATH, or undefined when all are there. */
export function missingTool(tools: readonly string[]): string | undefined {
  for (const t of tools) {
    const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', t], { stdio: 'ignore' });
    if (r.status !== 0) return t;
  }
  return undefined;
}
