/**
 * Provides the two Temporal binaries this project runs against, cached outside the repo:
 *   - the Temporal CLI, whose `server start-dev` is the dev server with the Web UI;
 *   - the Java time-skipping test server.
 *
 * The Temporal SDK downloads both from temporal.download by itself, but that fails on machines that can only reach
 * package registries. So each binary is looked for, in order: an explicit env path, PATH, our cache, the SDK's
 * download URL, and finally a build from a package registry (Go module proxy / Maven Central) into the cache.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';

const execFileAsync = promisify(execFile);

export const TEMPORAL_CLI_VERSION = '1.5.1';
export const TEST_SERVER_VERSION = '1.38.0';

/** Only decides whether temporal.download is reachable at all; on registry-only machines it fails in well under 1 s. */
const DOWNLOAD_LOOKUP_TIMEOUT_MS = 15_000;
/** Once the host answered, the archive itself (~70 MB for the CLI) may legitimately take longer. */
const ARCHIVE_DOWNLOAD_TIMEOUT_MS = 5 * 60_000;
const DEV_SERVER_READY_TIMEOUT_MS = 60_000;
/** A cold JVM on a busy 2-core machine is slow to start serving. */
const TEST_SERVER_READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;
/** Retried when the installed Go refuses the module (too old, or GOTOOLCHAIN=local blocks switching). */
const FALLBACK_GO_TOOLCHAIN = 'go1.25.0';
const TEST_SERVER_POM = path.join(__dirname, 'temporal-test-server', 'pom.xml');

export interface ResolveOptions {
  /** Environment to read paths and the cache location from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Try the SDK's download URL (default true). */
  allowDownload?: boolean;
  /** Build from a package registry as the last resort (default true). */
  allowBuild?: boolean;
}

/** How to find, download and build one binary. */
interface BinarySpec {
  /** Used in messages, e.g. "Temporal CLI v1.5.1". */
  title: string;
  envVar: string;
  /** Name looked up on PATH, also the file name in the cache. */
  commandName: string;
  cacheDirName: string;
  /** Artifact and version as understood by https://temporal.download (the SDK's own download service). */
  download: { artifact: string; version: string; format?: string };
  /** Shown in the error message so a reader knows what the build step runs. */
  buildDescription: string;
  /** Builds the binary and installs it at `cachedExecutable`. */
  build(cachedExecutable: string, env: NodeJS.ProcessEnv): Promise<void>;
}

const TEMPORAL_CLI: BinarySpec = {
  title: `Temporal CLI v${TEMPORAL_CLI_VERSION}`,
  envVar: 'TEMPORAL_CLI_PATH',
  commandName: 'temporal',
  cacheDirName: `temporal-cli-v${TEMPORAL_CLI_VERSION}`,
  download: { artifact: 'cli', version: `v${TEMPORAL_CLI_VERSION}`, format: 'tar.gz' },
  buildDescription: `go install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`,
  build: buildTemporalCli,
};

const TEST_SERVER: BinarySpec = {
  title: `Temporal test server ${TEST_SERVER_VERSION}`,
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  commandName: 'temporal-test-server',
  cacheDirName: `temporal-test-server-${TEST_SERVER_VERSION}`,
  download: { artifact: 'temporal-test-server', version: `v${TEST_SERVER_VERSION}` },
  buildDescription: `mvn dependency:build-classpath -f ${TEST_SERVER_POM}`,
  build: buildTestServer,
};

/** Absolute path of a Temporal CLI executable, provisioning it into the cache if needed. */
export async function resolveTemporalCli(options: ResolveOptions = {}): Promise<string> {
  const cli = await resolveBinary(TEMPORAL_CLI, options);
  // Versions other than the pinned one (from env/PATH) are accepted on purpose; the debug line shows what is used.
  debug(`Temporal CLI ${cli}: ${await versionOf(cli)}`);
  return cli;
}

/** Absolute path of an executable that runs the time-skipping test server as `<exe> <port>`. */
export async function resolveTestServer(options: ResolveOptions = {}): Promise<string> {
  const testServer = await resolveBinary(TEST_SERVER, options);
  debug(`Temporal test server ${testServer}`);
  return testServer;
}

/** `${XDG_CACHE_HOME:-~/.cache}/pacer`, or $PACER_CACHE_DIR when set. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PACER_CACHE_DIR) return path.resolve(env.PACER_CACHE_DIR);
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'pacer');
}

/** One place a binary may come from; `provide` returns the executable's path or throws why it can't. */
interface Source {
  place: string;
  provide(): Promise<string>;
}

async function resolveBinary(spec: BinarySpec, options: ResolveOptions): Promise<string> {
  const env = options.env ?? process.env;
  const cachedExecutable = path.join(cacheRoot(env), spec.cacheDirName, spec.commandName);
  const downloadUrl = downloadInfoUrl(spec.download);
  const sources: Source[] = [
    { place: `$${spec.envVar}`, provide: () => fromEnvVar(env, spec.envVar) },
    { place: `PATH (${spec.commandName})`, provide: () => findOnPath(spec.commandName, env) },
    { place: `cache ${cachedExecutable}`, provide: () => requireExecutable(cachedExecutable) },
    {
      place: `download ${downloadUrl}`,
      provide: async () => {
        if (options.allowDownload === false) throw new Error('skipped (allowDownload is false)');
        await downloadExecutable(spec.title, downloadUrl, cachedExecutable);
        return cachedExecutable;
      },
    },
    {
      place: `build (${spec.buildDescription})`,
      provide: async () => {
        if (options.allowBuild === false) throw new Error('skipped (allowBuild is false)');
        await fs.mkdir(path.dirname(cachedExecutable), { recursive: true });
        await spec.build(cachedExecutable, env);
        return requireExecutable(cachedExecutable);
      },
    },
  ];

  const failures: string[] = [];
  for (const source of sources) {
    try {
      return await source.provide();
    } catch (error) {
      failures.push(`  ${failures.length + 1}. ${source.place}: ${reasonOf(error)}`);
    }
  }
  throw new Error(
    [
      `Could not provide the ${spec.title}. Tried, in order:`,
      ...failures,
      `Set $${spec.envVar} to an existing executable to skip all of this.`,
    ].join('\n'),
  );
}

async function fromEnvVar(env: NodeJS.ProcessEnv, name: string): Promise<string> {
  const value = env[name];
  if (!value) throw new Error('not set');
  try {
    return await requireExecutable(path.resolve(value));
  } catch (error) {
    throw new Error(`${value}: ${reasonOf(error)}`);
  }
}

async function findOnPath(command: string, env: NodeJS.ProcessEnv): Promise<string> {
  const directories = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  if (directories.length === 0) throw new Error('PATH is empty');
  for (const directory of directories) {
    const candidate = path.resolve(directory, command);
    if (await requireExecutable(candidate).then(() => true, () => false)) return candidate;
  }
  throw new Error(`not found in ${directories.join(path.delimiter)}`);
}

async function requireExecutable(file: string): Promise<string> {
  const stats = await fs.stat(file).catch(() => undefined);
  if (!stats) throw new Error('no such file');
  if (!stats.isFile()) throw new Error('not a regular file');
  await fs.access(file, fsConstants.X_OK).catch(() => {
    throw new Error('not executable');
  });
  return file;
}

/**
 * The SDK asks this URL which archive to fetch (JSON `{ archiveUrl, fileToExtract }`); see
 * node_modules/@temporalio/core-bridge/sdk-core/crates/sdk-core/src/ephemeral_server/mod.rs, `get_or_download`.
 * We ask for a fixed version (the SDK's `Fixed` variant) so the cache directory's version is what it holds.
 */
function downloadInfoUrl(download: BinarySpec['download']): string {
  const query = new URLSearchParams({
    arch: process.arch === 'arm64' ? 'arm64' : 'amd64',
    platform: downloadPlatform(),
    ...(download.format ? { format: download.format } : {}),
  });
  return `https://temporal.download/${download.artifact}/${download.version}?${query.toString()}`;
}

/** Platform names as temporal.download spells them. */
function downloadPlatform(): string {
  if (process.platform === 'win32') return 'windows';
  if (process.platform === 'darwin') return 'darwin';
  return 'linux';
}

interface DownloadInfo {
  archiveUrl: string;
  fileToExtract: string;
}

async function downloadExecutable(title: string, infoUrl: string, destination: string): Promise<void> {
  const info = await fetchDownloadInfo(infoUrl);
  if (!info.archiveUrl.endsWith('.tar.gz')) throw new Error(`unsupported archive format: ${info.archiveUrl}`);

  progress(`downloading ${title} from ${info.archiveUrl}...`);
  await fs.mkdir(path.dirname(destination), { recursive: true });
  // Staged next to the destination so the final rename is atomic and a half-written file is never "cached".
  const staging = await fs.mkdtemp(path.join(path.dirname(destination), '.download-'));
  try {
    const archive = path.join(staging, 'archive.tar.gz');
    await downloadFile(info.archiveUrl, archive);
    await execFileAsync('tar', ['-xzf', archive, '-C', staging, info.fileToExtract]);
    await installExecutable(path.join(staging, info.fileToExtract), destination);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

async function fetchDownloadInfo(url: string): Promise<DownloadInfo> {
  const response = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_LOOKUP_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const info = (await response.json()) as Partial<DownloadInfo>;
  if (typeof info.archiveUrl !== 'string' || typeof info.fileToExtract !== 'string') {
    throw new Error('response has no archiveUrl/fileToExtract');
  }
  return { archiveUrl: info.archiveUrl, fileToExtract: info.fileToExtract };
}

async function downloadFile(url: string, file: string): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(ARCHIVE_DOWNLOAD_TIMEOUT_MS) });
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} from ${url}`);
  await pipeline(Readable.fromWeb(response.body), createWriteStream(file));
}

async function buildTemporalCli(cachedExecutable: string, env: NodeJS.ProcessEnv): Promise<void> {
  const go = await findOnPath('go', env).catch(() => {
    throw new Error('go is not on PATH');
  });
  progress(`building Temporal CLI v${TEMPORAL_CLI_VERSION} from the Go module proxy (takes a few minutes, once)...`);
  const args = ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`];
  // A private GOBIN keeps a partially written binary out of the cache until it is complete.
  const gobin = await fs.mkdtemp(path.join(path.dirname(cachedExecutable), '.build-'));
  try {
    try {
      await runTool(go, args, { ...env, GOBIN: gobin }, { echoOutput: true });
    } catch (firstError) {
      progress(`go install failed; retrying with GOTOOLCHAIN=${FALLBACK_GO_TOOLCHAIN}...`);
      const retryEnv = { ...env, GOBIN: gobin, GOTOOLCHAIN: FALLBACK_GO_TOOLCHAIN };
      await runTool(go, args, retryEnv, { echoOutput: true }).catch((retryError) => {
        throw new Error(
          `go install failed: ${reasonOf(firstError)}; with GOTOOLCHAIN=${FALLBACK_GO_TOOLCHAIN}: ${reasonOf(retryError)}`,
        );
      });
    }
    await installExecutable(path.join(gobin, 'temporal'), cachedExecutable);
  } finally {
    await fs.rm(gobin, { recursive: true, force: true });
  }
}

/** Resolves the server's jars from Maven Central and writes a launcher script running it on the local JVM. */
async function buildTestServer(cachedExecutable: string, env: NodeJS.ProcessEnv): Promise<void> {
  await findOnPath('java', env).catch(() => {
    throw new Error('java is not on PATH (the Maven-built test server needs a JDK 17+ to run)');
  });
  const mvn = await findOnPath('mvn', env).catch(() => {
    throw new Error('mvn is not on PATH');
  });
  progress(`fetching Temporal test server ${TEST_SERVER_VERSION} from Maven Central (once)...`);
  const classpathFile = path.join(path.dirname(cachedExecutable), 'classpath.txt');
  await runTool(
    mvn,
    ['-q', '-B', '-f', TEST_SERVER_POM, 'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`],
    env,
  );
  const classpath = (await fs.readFile(classpathFile, 'utf8')).trim();
  if (!classpath) throw new Error(`mvn wrote an empty classpath to ${classpathFile}`);
  await writeExecutable(cachedExecutable, testServerLauncher(classpath));
}

/** `exec` makes the JVM replace the shell, so killing the spawned process kills the server. */
function testServerLauncher(classpath: string): string {
  return [
    '#!/bin/sh',
    '# Generated by scripts/temporal-binaries.ts; delete this directory to regenerate.',
    `exec java -cp ${shellQuote(classpath)} io.temporal.testserver.TestServer "$@"`,
    '',
  ].join('\n');
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

async function writeExecutable(destination: string, content: string): Promise<void> {
  const staged = `${destination}.tmp-${process.pid}`;
  await fs.writeFile(staged, content);
  await installExecutable(staged, destination);
}

async function installExecutable(staged: string, destination: string): Promise<void> {
  await fs.chmod(staged, 0o755);
  await fs.rename(staged, destination);
}

/** Runs a build tool; on failure the error carries the tail of its output. */
function runTool(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  { echoOutput = false }: { echoOutput?: boolean } = {},
): Promise<void> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collectOutput(child, echoOutput ? (line) => process.stderr.write(`  ${line}\n`) : undefined);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(command)} exited with ${code ?? signal}${output.tail()}`));
    });
  });
}

async function versionOf(executable: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(executable, ['--version'], { timeout: 10_000 });
    return stdout.trim();
  } catch (error) {
    return `--version failed: ${reasonOf(error)}`;
  }
}

export interface DevServerOptions {
  port: number;
  uiPort: number;
  /** SQLite file to persist state in; in-memory when omitted. */
  dbFile?: string;
  /** Registered in addition to "default". */
  namespace?: string;
  /** Runs without the Web UI (uiPort is then unused and uiUrl empty). */
  headless?: boolean;
  /** Receives each line the server writes to stdout/stderr. */
  log?: (line: string) => void;
}

export interface RunningServer {
  /** host:port of the gRPC frontend. */
  address: string;
  process: ChildProcess;
  /** Terminates the server and waits until it has exited. */
  stop(): Promise<void>;
}

export interface RunningDevServer extends RunningServer {
  /** Web UI address; empty when headless. */
  uiUrl: string;
}

/** Transfer-queue reads a second for the dev server's single history shard (Temporal's default: 20). */
const DEV_SERVER_TRANSFER_POLLS_PER_SECOND = 200;

/** Starts `temporal server start-dev` and resolves once it answers a Temporal client. */
export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const cli = await resolveTemporalCli();
  const address = `127.0.0.1:${options.port}`;
  const server = await startServerProcess(cli, devServerArgs(options), address, DEV_SERVER_READY_TIMEOUT_MS, options.log);
  return { ...server, uiUrl: options.headless ? '' : `http://127.0.0.1:${options.uiPort}` };
}

function devServerArgs(options: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--namespace', 'default'];
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  args.push(...(options.headless ? ['--headless'] : ['--ui-port', String(options.uiPort)]));
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  args.push('--log-level', 'warn');
  // The dev server keeps every workflow in one history shard, and Temporal lets a shard read its
  // transfer queue (what hands a new workflow task to the workers) 20 times a second: every task
  // waited up to 50 ms for its turn, so a signal took ~45 ms to reach its workflow here against
  // ~18 ms with the limit raised. A cluster spreads workflows over hundreds of shards and rarely
  // meets the limit; this gives the one-shard dev server the same latency (docs/temporal-binaries.md).
  args.push('--dynamic-config-value', `history.transferProcessorMaxPollRPS=${DEV_SERVER_TRANSFER_POLLS_PER_SECOND}`);
  return args;
}

/** Starts the time-skipping test server (on a free port unless given) and resolves once it answers a client. */
export async function startTestServer(options: { port?: number } = {}): Promise<RunningServer> {
  const testServer = await resolveTestServer();
  const port = options.port ?? (await freePort());
  return startServerProcess(testServer, [String(port)], `127.0.0.1:${port}`, TEST_SERVER_READY_TIMEOUT_MS);
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startServerProcess(
  executable: string,
  args: string[],
  address: string,
  readyTimeoutMs: number,
  log?: (line: string) => void,
): Promise<RunningServer> {
  const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collectOutput(child, log);
  const ended = describeEnd(child);
  // Best effort against orphans when the caller exits without stop(); 'exit' handlers must be synchronous.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    await terminate(child);
  };

  try {
    await waitUntilServing(address, ended, readyTimeoutMs);
  } catch (error) {
    await stop();
    throw new Error(`${path.basename(executable)} did not start serving on ${address}: ${reasonOf(error)}${output.tail()}`);
  }
  return { address, process: child, stop };
}

/** Resolves with why the process ended (exit code, signal, or spawn failure). */
function describeEnd(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    child.once('error', (error) => resolve(`could not be spawned: ${error.message}`));
    child.once('exit', (code, signal) => resolve(`exited with ${code ?? signal}`));
  });
}

async function waitUntilServing(address: string, ended: Promise<string>, timeoutMs: number): Promise<void> {
  let endReason: string | undefined;
  void ended.then((reason) => (endReason = reason));
  const deadline = Date.now() + timeoutMs;
  let lastFailure = 'no attempt finished';
  while (Date.now() < deadline) {
    if (endReason) throw new Error(`the process ${endReason}`);
    try {
      await answersTemporalClient(address);
      return;
    } catch (error) {
      lastFailure = reasonOf(error);
    }
    await sleep(500);
  }
  throw new Error(`no answer within ${timeoutMs / 1000} s (last attempt: ${lastFailure})`);
}

async function answersTemporalClient(address: string): Promise<void> {
  // lazy() + ensureConnected() is what Connection.connect() does, but keeps the handle so a failed attempt is closed.
  const connection = Connection.lazy({ address, connectTimeout: 2_000 });
  try {
    await connection.ensureConnected();
    await connection.workflowService.getSystemInfo({});
  } finally {
    await connection.close();
  }
}

/** SIGTERM, then SIGKILL if the process is still running after the grace period. */
async function terminate(child: ChildProcess): Promise<void> {
  if (hasEnded(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const escalation = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(escalation);
}

function hasEnded(child: ChildProcess): boolean {
  return child.pid === undefined || child.exitCode !== null || child.signalCode !== null;
}

/** Forwards each output line to `onLine` and remembers the last ones for error messages. */
function collectOutput(child: ChildProcess, onLine?: (line: string) => void): { tail(): string } {
  const recentLines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    readline.createInterface({ input: stream }).on('line', (line) => {
      onLine?.(line);
      recentLines.push(line);
      if (recentLines.length > 30) recentLines.shift();
    });
  }
  return { tail: () => (recentLines.length ? `\n  output:\n    ${recentLines.join('\n    ')}` : '') };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An error's message plus its cause (fetch only says "fetch failed" and puts the reason in `cause`). */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}

function progress(message: string): void {
  process.stderr.write(`[temporal-binaries] ${message}\n`);
}

function debug(message: string): void {
  process.stderr.write(`[temporal-binaries] debug: ${message}\n`);
}
