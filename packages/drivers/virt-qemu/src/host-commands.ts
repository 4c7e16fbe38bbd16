/** Runs host programs (qemu-img, ip, xorriso ...) with argument arrays, never through a shell. */
import { execFile } from 'node:child_process';

/** Options of CommandRunner.run. */
export interface RunOptions {
  readonly signal?: AbortSignal;
  /** Kill the program (SIGKILL) after this long. @default 120000 */
  readonly timeoutMs?: number;
  readonly cwd?: string;
  /** Added to the environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Written to the program's standard input (closed after it); else stdin is empty. */
  readonly input?: string;
}

/** What a finished program printed. */
export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** A program that exited non-zero, was killed or could not start; carries what it said. */
export class CommandFailed extends Error {
  readonly command: string;
  readonly args: readonly string[];
  /** Exit code, or null when it was killed or did not start. */
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(command: string, args: readonly string[], exitCode: number | null, stderr: string, options: { cause?: unknown } = {}) {
    const said = stderr.trim().split('\n').slice(-5).join(' / ');
    super(`${command} ${args.slice(0, 3).join(' ')}${args.length > 3 ? ' ...' : ''} failed${exitCode === null ? '' : ` with exit code ${exitCode}`}${said ? `: ${said}` : ''}`, options);
    this.name = 'CommandFailed';
    this.command = command;
    this.args = args;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** Runs a program and resolves with its output once it exited 0; rejects with CommandFailed otherwise. */
export interface CommandRunner {
  run(command: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
}

/** The CommandRunner that really runs programs (execFile, no shell). */
export const execFileRunner: CommandRunner = {
  run(command, args, options = {}) {
    return new Promise((resolve, reject) => {
      const child = execFile(
        command,
        [...args],
        {
          shell: false,
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
          timeout: options.timeoutMs ?? 120_000,
          killSignal: 'SIGKILL',
          ...(options.signal !== undefined ? { signal: options.signal } : {}),
          ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
          env: { ...process.env, LC_ALL: 'C', ...(options.env ?? {}) },
        },
        (error, stdout, stderr) => {
          if (error === null) {
            resolve({ stdout, stderr });
            return;
          }
          if (error.name === 'AbortError') {
            reject(error);
            return;
          }
          const code = typeof error.code === 'number' ? error.code : null;
          reject(new CommandFailed(command, args, code, `${stderr}${code === null ? ` (${error.message})` : ''}`, { cause: error }));
        },
      );
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(options.input ?? '');
    });
  },
};
