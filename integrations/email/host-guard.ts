/**
 * SSRF guard for user-supplied IMAP/SMTP hosts (SPEC §3 security). The host is resolved once, every
 * address it resolves to is checked (domain/network-address), and the caller connects to the checked
 * address (TLS still verifies the host name). A name that resolves to several addresses is refused
 * when any of them is refused, so DNS answering differently on the next lookup cannot slip an
 * internal address in.
 *
 * Every refusal raises the same HostNotAllowedError, after the same lookup, whatever the reason.
 * A name that does not resolve is not a refusal: it is reported as "cannot connect" (wrong host).
 */
import { lookup } from 'node:dns/promises';
import { mayConnectTo, parseAddress, type Cidr } from '../../domain/network-address';
import { HostNotAllowedError } from '../../lib/errors';

export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/** A host that cannot be resolved; callers classify it as cannot-connect. */
export class HostLookupError extends Error {
  override readonly name = 'HostLookupError';
  readonly code: string;
  constructor(host: string, code: string) {
    super(`${host} could not be resolved (${code})`);
    this.code = code;
  }
}

export interface CheckedHost {
  /** What the user typed, for TLS server name checks and messages. */
  host: string;
  /** The checked address to connect to. */
  address: string;
}

export async function checkMailHost(host: string, allowlist: readonly Cidr[], resolve: Resolver = systemResolver): Promise<CheckedHost> {
  const literal = parseAddress(host);
  let addresses: string[];
  if (literal) {
    addresses = [host.startsWith('[') ? host.slice(1, -1) : host];
  } else {
    try {
      addresses = await resolve(host);
    } catch (error) {
      throw new HostLookupError(host, (error as NodeJS.ErrnoException).code ?? 'ENOTFOUND');
    }
  }
  if (addresses.length === 0 || !addresses.every((address) => mayConnectTo(address, allowlist))) throw new HostNotAllowedError(host);
  return { host, address: addresses[0]! };
}
