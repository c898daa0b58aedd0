/**
 * A Pacer process started the way a deployment starts it (`node --import tsx <entry>`, the command
 * docker-compose.yml runs) with only the environment it is given; its last output lines are kept so
 * a failure can show them. Used by the production check and the bench.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

export interface NodeService {
  name: string;
  process: ChildProcess;
  /** The last 40 lines it printed (stdout and stderr). */
  output: string[];
  /** Its exit code, or the signal that ended it. */
  exited: Promise<number | string>;
}

export function startNodeService(name: string, cwd: string, entry: string, env: NodeJS.ProcessEnv): NodeService {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      if (output.length > 40) output.shift();
    });
  }
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { name, process: child, output, exited };
}

/** SIGTERM, as a process manager stops it; SIGKILL and 'timeout' when it has not exited after `timeoutMs`. */
export async function stopNodeService(service: NodeService, timeoutMs: number): Promise<number | string> {
  service.process.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([service.exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)))]);
  clearTimeout(timer);
  if (code === 'timeout') service.process.kill('SIGKILL');
  return code;
}
