import { generateKeyringEntry, parseKeyring } from '../../lib/secrets';

/** A fresh encryption key per test process: secrets written by one run are never readable by another. */
export const testKeyring = parseKeyring(generateKeyringEntry('test'));
