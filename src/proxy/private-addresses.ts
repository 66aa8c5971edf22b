import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Loopback, private, link-local, unique-local, CGNAT, benchmarking, IETF protocol, multicast, reserved
 * and unspecified addresses, and the IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64,
 * 6to4), whatever that address is.
 */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['192.0.0.0', 24],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 96],
  ['64:ff9b::', 96],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv6');

/** Whether an IP address is one the proxy must not reach in production (unless its provider lives there). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    return mapped ? PRIVATE.check(mapped[1], 'ipv4') : PRIVATE.check(address, 'ipv6');
  }
  return false;
}

export class PrivateAddressRefused extends Error {
  readonly code = 'EPRIVATEADDRESS';
  constructor(hostname: string) {
    super(`${hostname} resolves to a loopback, private or link-local address`);
  }
}

/**
 * dns.lookup for sockets the proxy opens in production: it fails when the name resolves to a private
 * address. Checked when the socket connects, so a name that resolves differently between a check and
 * the connection (DNS rebinding) cannot slip through. (An IP literal is never looked up: see
 * isPrivateAddress, checked before the call.)
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    if (addresses.some((a) => isPrivateAddress(a.address))) return callback(new PrivateAddressRefused(hostname), '', 0);
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    return callback(null, addresses[0].address, addresses[0].family);
  });
};
