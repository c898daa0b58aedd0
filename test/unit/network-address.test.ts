import net from 'node:net';
import fc from 'fast-check';
import { cidrContains, isPublicAddress, mayConnectTo, parseAddress, parseCidr } from '../../domain/network-address';
import { parseAllowlist } from '../../lib/config';

const refused = [
  '0.0.0.0',
  '127.0.0.1',
  '127.255.255.254',
  '10.1.2.3',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.1.1',
  '169.254.169.254', // cloud metadata
  '169.254.0.1',
  '100.64.0.1', // CGNAT
  '100.127.255.255',
  '224.0.0.1', // multicast
  '239.255.255.250',
  '255.255.255.255',
  '240.0.0.1',
  '192.0.2.10',
  '198.18.0.1',
  '::',
  '::1',
  '[::1]',
  'fc00::1',
  'fd00:ec2::254', // AWS metadata over IPv6 (ULA)
  'fe80::1',
  'ff02::1',
  '::ffff:127.0.0.1', // IPv4-mapped loopback
  '::ffff:7f00:1',
  '::ffff:169.254.169.254',
  '64:ff9b::10.0.0.1', // NAT64 of a private address
  '2002:c0a8:0101::1', // 6to4 of 192.168.1.1
  '::127.0.0.1', // IPv4-compatible
  '2001:db8::1',
  'fe80::1%eth0', // zone ids are refused
  'not-an-ip',
  '1.2.3',
  '01.2.3.4',
];
const allowed = ['8.8.8.8', '142.250.27.108', '172.32.0.1', '100.128.0.1', '2a00:1450:4007:80c::200e', '::ffff:8.8.8.8', '2606:4700::1111', '64:ff9b::808:808'];

describe('mayConnectTo without an allowlist', () => {
  it.each(refused)('refuses %s', (address) => expect(mayConnectTo(address, [])).toBe(false));
  it.each(allowed)('allows %s', (address) => expect(mayConnectTo(address, [])).toBe(true));
});

describe('allowlist', () => {
  const list = parseAllowlist('127.0.0.0/8, 10.20.0.0/16, fd00::/8');
  it('lets listed private ranges through, and only them', () => {
    expect(mayConnectTo('127.0.0.1', list)).toBe(true);
    expect(mayConnectTo('10.20.3.4', list)).toBe(true);
    expect(mayConnectTo('10.21.3.4', list)).toBe(false);
    expect(mayConnectTo('fd12::1', list)).toBe(true);
    expect(mayConnectTo('169.254.169.254', list)).toBe(false);
  });
  it('refuses malformed entries at start-up', () => {
    expect(() => parseAllowlist('10.0.0.0/33')).toThrow(/EMAIL_PRIVATE_HOSTS_ALLOWED/);
    expect(() => parseAllowlist('localhost')).toThrow(/not an IP address or CIDR/);
  });
});

describe('parseAddress agrees with node:net', () => {
  it('IPv4 (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), (address) => {
        const parsed = parseAddress(address);
        return parsed !== null && parsed.version === 4 && parsed.bytes.join('.') === address;
      }),
    );
  });
  it('IPv6 (property): same 16 bytes as a canonical re-encoding', () => {
    fc.assert(
      fc.property(fc.ipV6(), (address) => {
        const parsed = parseAddress(address);
        if (!parsed || parsed.version !== 6 || !net.isIPv6(address)) return false;
        const socket = new net.SocketAddress({ address, family: 'ipv6' });
        return socket.address === canonicalV6(parsed.bytes);
      }),
    );
  });
  it('strings node:net rejects are not addresses (property)', () => {
    fc.assert(fc.property(fc.string(), (text) => net.isIP(text) !== 0 || text.includes('[') || parseAddress(text) === null));
  });
});

/** Node's own canonical text of 16 bytes. */
function canonicalV6(bytes: number[]): string {
  const words = [];
  for (let index = 0; index < 16; index += 2) words.push((((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0)).toString(16));
  return new net.SocketAddress({ address: words.join(':'), family: 'ipv6' }).address;
}

describe('ranges (properties)', () => {
  it('every 10/8, 127/8, 169.254/16 and 192.168/16 address is refused, every IPv4-mapped form matches its IPv4 verdict', () => {
    fc.assert(
      fc.property(fc.constantFrom(10, 127), fc.nat(255), fc.nat(255), fc.nat(255), (a, b, c, d) => !mayConnectTo(`${a}.${b}.${c}.${d}`, [])),
    );
    fc.assert(fc.property(fc.nat(255), fc.nat(255), (c, d) => !mayConnectTo(`169.254.${c}.${d}`, []) && !mayConnectTo(`192.168.${c}.${d}`, [])));
    fc.assert(fc.property(fc.ipV4(), (address) => mayConnectTo(address, []) === mayConnectTo(`::ffff:${address}`, [])));
  });
  it('a CIDR contains its own base address', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (address, length) => {
        const cidr = parseCidr(`${address}/${length}`);
        return cidr !== null && cidrContains(cidr, parseAddress(address)!);
      }),
    );
  });
  it('isPublicAddress never throws on random bytes', () => {
    fc.assert(fc.property(fc.array(fc.nat(255), { minLength: 16, maxLength: 16 }), (bytes) => typeof isPublicAddress({ version: 6, bytes }) === 'boolean'));
  });
});
