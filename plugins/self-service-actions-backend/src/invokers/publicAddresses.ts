import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/**
 * Addresses an owner-managed webhook may not reach (unless `managedActions.allowPrivateNetworks`):
 * "this network", private (RFC 1918, RFC 4193), shared (CGNAT), loopback, link-local (cloud
 * metadata services live there), benchmarking, multicast and reserved ranges, and the IPv6
 * forms that carry an IPv4 address (IPv4-compatible, NAT64, 6to4: refused whole, as the address
 * inside could be any of the above). Node's BlockList also matches IPv4-mapped IPv6 addresses
 * (`::ffff:10.0.0.1`) against the IPv4 ranges.
 */
const NON_PUBLIC = new net.BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::', 96], // IPv4-compatible (deprecated) addresses
  ['64:ff9b::', 96], // NAT64: an IPv4 address behind a translator
  ['2002::', 16], // 6to4: an IPv4 address inside
  ['fc00::', 7],
  ['fec0::', 10], // site-local (deprecated)
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** Whether an IP address is outside the public internet. */
export function isNonPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  return NON_PUBLIC.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** The error a refused connection fails with (its code is what a run's detail shows). */
export function nonPublicAddressError(host: string, address: string): NodeJS.ErrnoException {
  return Object.assign(
    new Error(
      `${host} is ${host === address ? '' : `resolved to ${address}, `}not a public address (selfServiceActions.managedActions.allowPrivateNetworks is off)`,
    ),
    { code: 'ENONPUBLICADDRESS' },
  );
}

/**
 * A `lookup` for sockets that resolves as Node does and refuses the connection when any address
 * the name resolves to is not public. The socket connects to the address checked here, so a
 * name that resolves differently a moment later (DNS rebinding) gains nothing.
 */
const publicLookup: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) {
      callback(error, '', 0);
      return;
    }
    const refused = addresses.find(entry => isNonPublicAddress(entry.address));
    if (refused) {
      callback(nonPublicAddressError(hostname, refused.address), '', 0);
      return;
    }
    if ((options as dns.LookupOptions).all) {
      (callback as unknown as (e: null, all: dns.LookupAddress[]) => void)(null, addresses);
      return;
    }
    callback(null, addresses[0].address, addresses[0].family);
  });
};

/**
 * Agents for requests that must reach public addresses only: their own pools, so that no
 * socket an app-config action opened to an internal host is ever reused for them.
 */
export const publicOnlyAgents = {
  'http:': new http.Agent({ keepAlive: true, lookup: publicLookup }),
  'https:': new https.Agent({ keepAlive: true, lookup: publicLookup }),
};

/** The refusal for a URL whose host is itself a non-public IP address (no lookup happens). */
export function refuseLiteralNonPublic(url: URL): NodeJS.ErrnoException | undefined {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isNonPublicAddress(host) ? nonPublicAddressError(host, host) : undefined;
}
