export { identityWorkflow } from './identity';
