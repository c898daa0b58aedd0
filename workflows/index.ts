export { identityWorkflow } from './identity';
export { warmupWorkflow } from './warmup';
