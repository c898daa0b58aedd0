import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/temporal';

/**
 * Histories recorded from each shipped version of the identity workflow
 * (test/support/record-identity-histories.ts). Every later version must replay them: a change that
 * alters command order without patched() fails here instead of in production.
 */
const FIXTURES = path.resolve(__dirname, '../fixtures/histories');
const recorded = readdirSync(FIXTURES).filter((file) => file.startsWith('identity-'));

test('there are recorded identity histories to replay', () => {
  expect(recorded.length).toBeGreaterThanOrEqual(2);
});

test.each(recorded)('%s replays with the current workflow code', async (file) => {
  const history: unknown = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8'));
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `replay-${file}`);
});
