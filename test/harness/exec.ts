import { execFile } from 'node:child_process';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run a program without a shell and collect what it printed. Never rejects for a non-zero exit:
 * the harness decides what a failure means and puts the program's own words into its error.
 */
export function run(cmd: string, args: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 << 20, env: opts.env ?? process.env }, (err, stdout, stderr) => {
      let code = 0;
      if (err) {
        const c = (err as { code?: unknown }).code;
        // a spawn failure (ENOENT) or a kill by timeout has no numeric exit code
        code = typeof c === 'number' ? c : 127;
        if (typeof c !== 'number') stderr = `${stderr}${stderr ? '\n' : ''}${err.message}`;
      }
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like run(), but a non-zero exit is an error that quotes the command and its output. */
export async function runOk(cmd: string, args: readonly string[], what: string, opts: { timeoutMs?: number } = {}): Promise<ExecResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${cmd} ${args.join(' ')}\n${outputOf(r)}`);
  return r;
}

export function outputOf(r: ExecResult): string {
  const parts = [r.stdout.trim() && `stdout:\n${r.stdout.trim()}`, r.stderr.trim() && `stderr:\n${r.stderr.trim()}`].filter(Boolean);
  return parts.length > 0 ? parts.join('\n') : '(no output)';
}
