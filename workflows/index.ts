export { identityWorkflow } from './identity';
export { warmupWorkflow } from './warmup';
export { webhookDeliveryWorkflow, webhookOutboxRelayWorkflow } from './webhook-delivery';
