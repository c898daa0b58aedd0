/** The configured LinkedIn gateway, wired to Pacer's records: one way for the API and the worker to build it. */
import { selectLinkedinGateway, type LinkedinGateway } from '../integrations/linkedin';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Database } from './client';
import { prismaLinkedinAccountDirectory } from './linkedin-directory';
import { prismaLinkedinSimulatorStore } from './linkedin-simulator-store';

/** The gateway LINKEDIN_GATEWAY names, reading Pacer's account records (and, for the simulator, its shared state) from `db`. */
export function linkedinGatewayFor(config: Config, db: Database, logger: Logger): LinkedinGateway {
  return selectLinkedinGateway(
    { environment: config.environment, ...config.linkedinGateway },
    { logger, accounts: prismaLinkedinAccountDirectory(db), simulatorStore: prismaLinkedinSimulatorStore(db) },
  );
}
