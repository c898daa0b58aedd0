/**
 * A real IMAP server (Dovecot) for tests, obtained without installing anything by hand.
 *
 * Resolution, in order:
 *   1. `dovecot` on PATH or /usr/sbin/dovecot (an installed Dovecot, e.g. `apt-get install dovecot-imapd`);
 *   2. the cache, `~/.cache/pacer/dovecot-<version>/root` (PACER_CACHE_DIR moves it);
 *   3. `apt-get download dovecot-core dovecot-imapd` (no root needed) and `dpkg-deb -x` into the cache.
 *
 * An extracted Dovecot has /usr/lib/dovecot (its libraries, services and module directory) compiled in.
 * Rather than patching paths, the cached tree is laid over /usr with an overlay mount inside a private
 * mount namespace (`unshare -m`), which exists only for the Dovecot process tree: nothing on the machine
 * changes, and the mount disappears with the process. That needs root (CI runs as root); without root,
 * install dovecot-imapd once instead.
 *
 * Each server gets its own folder: a generated config (passwd-file users, maildir, 127.0.0.1 on a free
 * port, no failed-login delay), its mail, its log. Without `tls` it speaks plain text only; with a
 * certificate it offers STARTTLS on its port and implicit TLS on a second one (`tlsPort`). Dovecot's auth penalty still applies: after a
 * failed login from 127.0.0.1, the next login waits 2 s or more. Tests that try a wrong password do it last.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot, freePort } from './temporal-binaries';

const execFileAsync = promisify(execFile);

/** Debian bookworm's Dovecot (the candidate of `apt-cache policy dovecot-imapd`). */
export const DOVECOT_VERSION = '2.3.19.1';
const PACKAGES = ['dovecot-core', 'dovecot-imapd'];
const READY_TIMEOUT_MS = 20_000;

export type DovecotInstallation =
  | { kind: 'installed'; executable: string }
  /** `root` holds usr/sbin/dovecot, usr/lib/dovecot…, to be laid over /usr. */
  | { kind: 'extracted'; root: string };

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function onPath(command: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Finds or fetches Dovecot (see the module comment); the error names every place tried. */
export async function resolveDovecot(env: NodeJS.ProcessEnv = process.env): Promise<DovecotInstallation> {
  const installed = (await onPath('dovecot', env)) ?? ((await isExecutable('/usr/sbin/dovecot')) ? '/usr/sbin/dovecot' : undefined);
  if (installed) return { kind: 'installed', executable: installed };
  const cacheDir = path.join(cacheRoot(env), `dovecot-${DOVECOT_VERSION}`);
  const root = path.join(cacheDir, 'root');
  if (await isExecutable(path.join(root, 'usr', 'sbin', 'dovecot'))) return { kind: 'extracted', root };
  try {
    await fs.mkdir(cacheDir, { recursive: true });
    const staging = await fs.mkdtemp(path.join(cacheDir, 'download-'));
    await execFileAsync('apt-get', ['download', ...PACKAGES], { cwd: staging, timeout: 5 * 60_000 });
    const debs = (await fs.readdir(staging)).filter((file) => file.endsWith('.deb'));
    if (debs.length !== PACKAGES.length) throw new Error(`apt-get download left ${debs.join(', ') || 'no package'} in ${staging}`);
    const extracted = path.join(staging, 'root');
    for (const deb of debs) await execFileAsync('dpkg-deb', ['-x', path.join(staging, deb), extracted]);
    // Atomic for concurrent test workers: the first rename wins, later ones find the cache filled.
    await fs.rename(extracted, root).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
    await fs.rm(staging, { recursive: true, force: true });
    return { kind: 'extracted', root };
  } catch (error) {
    throw new Error(
      [
        'Dovecot (a real IMAP server for the tests) is unavailable. Tried:',
        '  - `dovecot` on PATH and /usr/sbin/dovecot: not found',
        `  - the cache ${root}: empty`,
        `  - apt-get download ${PACKAGES.join(' ')} + dpkg-deb -x: ${error instanceof Error ? error.message : String(error)}`,
        'Install it with `apt-get install dovecot-imapd`, or run where apt-get can reach a Debian mirror.',
      ].join('\n'),
    );
  }
}

export interface DovecotServer {
  host: string;
  /** IMAP; offers STARTTLS when started with `tls`. */
  port: number;
  /** Implicit TLS (IMAPS), when started with `tls`. */
  tlsPort?: number;
  /** The folder holding the config, the mail and dovecot.log. */
  dir: string;
  stop(): Promise<void>;
}

function waitForGreeting(address: string, port: number, deadline: number, logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(port, address);
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        received += chunk;
        if (/^\* OK .*ready/m.test(received)) {
          socket.destroy();
          resolve();
        }
      });
      socket.on('error', () => {
        socket.destroy();
        if (Date.now() > deadline) {
          void fs.readFile(logFile, 'utf8').then(
            (log) => reject(new Error(`Dovecot did not answer on ${address}:${port}; its log:\n${log}`)),
            () => reject(new Error(`Dovecot did not answer on ${address}:${port}`)),
          );
          return;
        }
        setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

export interface DovecotOptions {
  /** address → password; each gets a maildir (kept when `dir` is given). */
  users: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  /** A folder kept across runs (npm start's mailbox); a fresh temporary folder, removed at stop, when unset. */
  dir?: string;
  /** A free port on 127.0.0.1 when unset. */
  port?: number;
  tls?: { cert: string; key: string };
  /** A loopback address of its own (127.x.y.z) and fixed ports, e.g. the well-known 143/993 (needs root). */
  listen?: { address: string; port: number; tlsPort?: number };
}

/** Starts Dovecot (IMAP only) with the given users. Resolves once it greets clients. */
export async function startDovecot(options: DovecotOptions): Promise<DovecotServer> {
  const installation = await resolveDovecot(options.env);
  const isRoot = process.getuid?.() === 0;
  if (installation.kind === 'extracted' && !isRoot) {
    throw new Error('An extracted Dovecot needs root (for a private overlay mount of /usr); install dovecot-imapd instead');
  }
  const dir = options.dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'pacer-dovecot-')));
  await fs.mkdir(dir, { recursive: true });
  await fs.chmod(dir, 0o755); // the unprivileged mail user must reach the maildirs
  const address = options.listen?.address ?? '127.0.0.1';
  const port = options.listen?.port ?? options.port ?? (await freePort());
  const tlsPort = options.tls ? (options.listen?.tlsPort ?? (await freePort())) : undefined;
  if (options.tls) {
    await fs.writeFile(path.join(dir, 'cert.pem'), options.tls.cert, { mode: 0o644 });
    await fs.writeFile(path.join(dir, 'key.pem'), options.tls.key, { mode: 0o600 });
  }
  const ssl = options.tls ? `ssl = yes\nssl_cert = <${dir}/cert.pem\nssl_key = <${dir}/key.pem` : 'ssl = no';
  // Root: services drop to `nobody` (login processes refuse root). Otherwise everything runs as us.
  const user = isRoot ? 'nobody' : os.userInfo().username;
  const group = isRoot ? ((await execFileAsync('id', ['-gn', 'nobody'])).stdout.trim() || 'nogroup') : (await execFileAsync('id', ['-gn'])).stdout.trim();
  const mailDir = path.join(dir, 'mail');
  await fs.mkdir(mailDir, { recursive: true });
  if (isRoot) await execFileAsync('chown', [`${user}:${group}`, mailDir]);
  const passwd = Object.entries(options.users).map(([address, password]) => `${address}:{PLAIN}${password}::::::`);
  await fs.writeFile(path.join(dir, 'passwd'), `${passwd.join('\n')}\n`, { mode: 0o644 });
  const logFile = path.join(dir, 'dovecot.log');
  const config = path.join(dir, 'dovecot.conf');
  await fs.writeFile(
    config,
    `protocols = imap
listen = ${address}
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = pacer-${address}-${port}
log_path = ${logFile}
${ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = ${user}
default_internal_group = ${group}
default_login_user = ${user}
first_valid_uid = 0
mail_location = maildir:${mailDir}/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${user} gid=${group} home=${mailDir}/%u
}
service imap-login {
  inet_listener imap {
    address = ${address}
    port = ${port}
  }
  inet_listener imaps {
${tlsPort === undefined ? '    port = 0' : `    address = ${address}\n    port = ${tlsPort}\n    ssl = yes`}
  }
}
`,
  );
  const [command, args] =
    installation.kind === 'installed'
      ? [installation.executable, ['-c', config, '-F']]
      : [
          'unshare',
          ['-m', 'sh', '-c', `mount -t overlay overlay -o "lowerdir=${installation.root}/usr:/usr" /usr && exec /usr/sbin/dovecot -c "${config}" -F`],
        ];
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await Promise.race([
      waitForGreeting(address, port, Date.now() + READY_TIMEOUT_MS, logFile),
      exited.then(() => Promise.reject(new Error(`Dovecot exited at start: ${stderr}`))),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    host: address,
    port,
    ...(tlsPort === undefined ? {} : { tlsPort }),
    dir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
        clearTimeout(timer);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      if (options.dir === undefined) await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
