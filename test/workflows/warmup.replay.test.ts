import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/temporal';

/**
 * Histories of the warm-up workflow as it first shipped: one that ran its 14 days, one stopped on
 * day 3 (recorded through the real API on the time-skipping server). Every later version must replay
 * them; a change of command order needs patched().
 */
const FIXTURES = path.resolve(__dirname, '../fixtures/histories');
const recorded = readdirSync(FIXTURES).filter((file) => file.startsWith('warmup-'));

test('there are recorded warm-up histories to replay', () => {
  expect(recorded.sort()).toEqual(['warmup-v1-completed.json', 'warmup-v1-stopped.json']);
});

test.each(recorded)('%s replays with the current workflow code', async (file) => {
  const history: unknown = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8'));
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `replay-${file}`);
});
