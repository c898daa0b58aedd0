import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import {
  freePort,
  resolveTemporalCli,
  resolveTestServer,
  startDevServer,
  startTestServer,
  type ResolveOptions,
} from '../../scripts/temporal-binaries';
import { connectTimeSkippingEnv } from '../support/temporal';
import { ensureSearchAttributes, PACER_SEARCH_ATTRIBUTES } from '../../lib/search-attributes';

const DAY_MS = 24 * 60 * 60 * 1000;
const SERVER_TEST_TIMEOUT_MS = 120_000;

async function rejectionMessage(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the promise to reject');
}

describe('resolver error message', () => {
  let emptyCacheDir: string;
  let offlineOptions: ResolveOptions;

  beforeEach(async () => {
    emptyCacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pacer-cache-'));
    offlineOptions = {
      env: {
        PATH: '',
        PACER_CACHE_DIR: emptyCacheDir,
        TEMPORAL_CLI_PATH: path.join(emptyCacheDir, 'missing-temporal'),
        TEMPORAL_TEST_SERVER_PATH: path.join(emptyCacheDir, 'missing-test-server'),
      },
      allowDownload: false,
      allowBuild: false,
    };
  });

  afterEach(() => fs.rm(emptyCacheDir, { recursive: true, force: true }));

  it('names every place tried for the Temporal CLI and why it failed', async () => {
    const message = await rejectionMessage(resolveTemporalCli(offlineOptions));

    expect(message).toContain('Could not provide the Temporal CLI v1.5.1');
    expect(message).toContain(`$TEMPORAL_CLI_PATH: ${path.join(emptyCacheDir, 'missing-temporal')}: no such file`);
    expect(message).toContain('PATH (temporal): PATH is empty');
    expect(message).toContain(`cache ${path.join(emptyCacheDir, 'temporal-cli-v1.5.1', 'temporal')}: no such file`);
    expect(message).toMatch(/download https:\/\/temporal\.download\/cli\/v1\.5\.1\?\S+: skipped \(allowDownload is false\)/);
    expect(message).toContain('build (go install github.com/temporalio/cli/cmd/temporal@v1.5.1): skipped (allowBuild is false)');
  });

  it('names every place tried for the test server and why it failed', async () => {
    const message = await rejectionMessage(resolveTestServer(offlineOptions));

    expect(message).toContain('Could not provide the Temporal test server 1.38.0');
    expect(message).toContain('$TEMPORAL_TEST_SERVER_PATH: ');
    expect(message).toContain('PATH (temporal-test-server): PATH is empty');
    expect(message).toContain(`cache ${path.join(emptyCacheDir, 'temporal-test-server-1.38.0', 'temporal-test-server')}`);
    expect(message).toMatch(/download https:\/\/temporal\.download\/temporal-test-server\/v1\.38\.0\?\S+: skipped/);
    expect(message).toMatch(/build \(mvn dependency:build-classpath -f \S+pom\.xml\): skipped/);
  });

  it('says java is missing when the test server would have to be built without it', async () => {
    const message = await rejectionMessage(resolveTestServer({ ...offlineOptions, allowBuild: true }));

    expect(message).toContain('java is not on PATH');
  });
});

describe('time-skipping test server', () => {
  it(
    'skips a day of server time without waiting for it, and stops cleanly',
    async () => {
      const server = await startTestServer();
      try {
        const env = await connectTimeSkippingEnv(server.address);
        try {
          expect(env.supportsTimeSkipping).toBe(true);
          const serverTimeBefore = await env.currentTimeMs();

          await env.sleep('1d');

          expect((await env.currentTimeMs()) - serverTimeBefore).toBeGreaterThanOrEqual(DAY_MS);
        } finally {
          await env.teardown();
        }
      } finally {
        await server.stop();
      }
      expect(server.process.exitCode ?? server.process.signalCode).not.toBeNull();
    },
    SERVER_TEST_TIMEOUT_MS,
  );
});

describe('dev server', () => {
  it(
    'serves gRPC and the Web UI with the requested namespace, registers search attributes, then exits on stop()',
    async () => {
      const server = await startDevServer({
        port: await freePort(),
        uiPort: await freePort(),
        namespace: 'pacer-test',
      });
      try {
        const connection = await Connection.connect({ address: server.address });
        try {
          const systemInfo = await connection.workflowService.getSystemInfo({});
          expect(systemInfo.serverVersion).toBeTruthy();

          await connection.workflowService.describeNamespace({ namespace: 'pacer-test' });
          await ensureSearchAttributes(connection, 'default');
          await ensureSearchAttributes(connection, 'default'); // idempotent
          const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
          for (const name of Object.keys(PACER_SEARCH_ATTRIBUTES)) expect(customAttributes).toHaveProperty(name);
        } finally {
          await connection.close();
        }
        expect((await fetch(server.uiUrl)).ok).toBe(true);
      } finally {
        await server.stop();
      }
      expect(server.process.exitCode ?? server.process.signalCode).not.toBeNull();
    },
    SERVER_TEST_TIMEOUT_MS,
  );
});
