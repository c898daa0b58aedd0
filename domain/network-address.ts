/**
 * SSRF rules for user-supplied mail hosts (SPEC §3 security): which IP addresses Pacer may connect
 * to. Pure (no node:net), so the parsing is done here: IPv4 dotted quads and IPv6 in any RFC 4291
 * text form (with `::` and an embedded IPv4 tail; a `%zone` suffix is refused).
 *
 * Refused: IPv4 0/8 (this network, unspecified), 10/8, 100.64/10 (CGNAT), 127/8 (loopback),
 * 169.254/16 (link-local, cloud metadata 169.254.169.254), 172.16/12, 192.0.0/24, 192.0.2/24,
 * 192.168/16, 198.18/15, 198.51.100/24, 203.0.113/24, 224/4 (multicast), 240/4 (reserved, broadcast).
 * IPv6 ::/128, ::1, fc00::/7 (ULA), fe80::/10 (link-local), fec0::/10 (site-local), ff00::/8
 * (multicast), 2001:db8::/32 (documentation), 100::/64 (discard), ::/96 (IPv4-compatible); and
 * ::ffff:0:0/96 (IPv4-mapped), 64:ff9b::/96 (NAT64) and 2002::/16 (6to4) when the IPv4 address they
 * carry is refused. Anything unparsable is refused.
 *
 * An allowlist (CIDRs) lets self-hosted deployments and tests reach private hosts.
 */

export type ParsedAddress = { version: 4; bytes: number[] } | { version: 6; bytes: number[] };

function parseIpv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = parts.map((part) => (/^(0|[1-9][0-9]{0,2})$/.test(part) ? Number(part) : NaN));
  return bytes.every((byte) => Number.isInteger(byte) && byte <= 255) ? bytes : null;
}

function parseIpv6(text: string): number[] | null {
  if (text.includes('%')) return null;
  let head = text;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4) return null;
    tail = v4;
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(halves[0] ?? '');
  const right = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (![...left, ...right].every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return null;
  const wanted = 8 - tail.length / 2;
  const missing = wanted - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const words = [...left, ...Array<string>(missing).fill('0'), ...right].map((group) => parseInt(group, 16));
  return [...words.flatMap((word) => [word >> 8, word & 0xff]), ...tail];
}

/** null when `text` is not an IP address literal. */
export function parseAddress(text: string): ParsedAddress | null {
  const v4 = parseIpv4(text);
  if (v4) return { version: 4, bytes: v4 };
  const unbracketed = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v6 = unbracketed.includes(':') ? parseIpv6(unbracketed) : null;
  return v6 ? { version: 6, bytes: v6 } : null;
}

function inPrefix(bytes: number[], prefix: number[], length: number): boolean {
  for (let bit = 0; bit < length; bit++) {
    const byte = Math.floor(bit / 8);
    const mask = 0x80 >> bit % 8;
    if (((bytes[byte] ?? 0) & mask) !== ((prefix[byte] ?? 0) & mask)) return false;
  }
  return true;
}

const REFUSED_V4: [number[], number][] = [
  [[0, 0, 0, 0], 8],
  [[10, 0, 0, 0], 8],
  [[100, 64, 0, 0], 10],
  [[127, 0, 0, 0], 8],
  [[169, 254, 0, 0], 16],
  [[172, 16, 0, 0], 12],
  [[192, 0, 0, 0], 24],
  [[192, 0, 2, 0], 24],
  [[192, 168, 0, 0], 16],
  [[198, 18, 0, 0], 15],
  [[198, 51, 100, 0], 24],
  [[203, 0, 113, 0], 24],
  [[224, 0, 0, 0], 4],
  [[240, 0, 0, 0], 4],
];

const hex = (words: number[]) => words.flatMap((word) => [word >> 8, word & 0xff]);
const REFUSED_V6: [number[], number][] = [
  [hex([0, 0, 0, 0, 0, 0, 0, 0]), 128],
  [hex([0, 0, 0, 0, 0, 0, 0, 1]), 128],
  [hex([0xfc00]), 7],
  [hex([0xfe80]), 10],
  [hex([0xfec0]), 10],
  [hex([0xff00]), 8],
  [hex([0x2001, 0x0db8]), 32],
  [hex([0x0100, 0, 0, 0]), 64],
  [hex([0, 0, 0, 0, 0, 0]), 96],
];
/** Prefixes that carry an IPv4 address, and where it sits. */
const EMBEDDING_V6: [number[], number, number][] = [
  [hex([0, 0, 0, 0, 0, 0xffff]), 96, 12],
  [hex([0x64, 0xff9b, 0, 0, 0, 0]), 96, 12],
  [hex([0x2002]), 16, 2],
];

/** True when Pacer may connect to this address without an allowlist entry. */
export function isPublicAddress(address: ParsedAddress): boolean {
  if (address.version === 4) return !REFUSED_V4.some(([prefix, length]) => inPrefix(address.bytes, prefix, length));
  for (const [prefix, length, offset] of EMBEDDING_V6) {
    if (inPrefix(address.bytes, prefix, length)) return isPublicAddress({ version: 4, bytes: address.bytes.slice(offset, offset + 4) });
  }
  return !REFUSED_V6.some(([prefix, length]) => inPrefix(address.bytes, prefix, length));
}

export interface Cidr {
  address: ParsedAddress;
  length: number;
}

/** `10.0.0.0/8`, `::1/128`, or a bare address (a single host). null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const [base = '', length, ...rest] = text.trim().split('/');
  if (rest.length > 0) return null;
  const address = parseAddress(base);
  if (!address) return null;
  const max = address.version === 4 ? 32 : 128;
  if (length === undefined) return { address, length: max };
  if (!/^[0-9]{1,3}$/.test(length) || Number(length) > max) return null;
  return { address, length: Number(length) };
}

export function cidrContains(cidr: Cidr, address: ParsedAddress): boolean {
  return cidr.address.version === address.version && inPrefix(address.bytes, cidr.address.bytes, cidr.length);
}

/** The rule the guard applies to every resolved address: public, or inside an allowlisted range. */
export function mayConnectTo(address: string, allowlist: readonly Cidr[]): boolean {
  const parsed = parseAddress(address);
  if (!parsed) return false;
  return isPublicAddress(parsed) || allowlist.some((cidr) => cidrContains(cidr, parsed));
}
