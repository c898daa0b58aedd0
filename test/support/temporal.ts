import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';

/**
 * TestWorkflowEnvironment.createFromExistingServer() always turns time skipping off, and
 * createTimeSkipping() gives a JVM test server only ~5 s to answer, so we start the server
 * ourselves (scripts/temporal-binaries) and use the factory both of them wrap.
 */
type TimeSkippingFactory = {
  create(options: {
    server: { type: 'existing' };
    address: string;
    supportsTimeSkipping: true;
  }): Promise<TestWorkflowEnvironment>;
};

export function connectTimeSkippingEnv(address: string): Promise<TestWorkflowEnvironment> {
  const factory = TestWorkflowEnvironment as unknown as TimeSkippingFactory;
  return factory.create({ server: { type: 'existing' }, address, supportsTimeSkipping: true });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per test file (webpack takes seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietBundlerLogger });
  return bundle;
}

const ignore = () => undefined;
const quietBundlerLogger = { trace: ignore, debug: ignore, info: ignore, warn: ignore, error: console.error, log: ignore };
