import { rm } from 'node:fs/promises';
import type { SharedTestServices } from './services';

export default async function globalTeardown(): Promise<void> {
  const services = (globalThis as { pacerTestServices?: SharedTestServices }).pacerTestServices;
  if (!services) return;
  await services.temporal.stop();
  await services.postgres.stop();
  await rm(services.root, { recursive: true, force: true });
}
