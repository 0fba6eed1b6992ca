import { lookup as dnsLookup, LookupAddress, LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * SSRF guard. A webhook URL is chosen by an API client, and the dispatcher POSTs to it from
 * inside our network: without this check a subscriber could make us call the metadata service
 * (169.254.169.254), the database or an admin port on localhost.
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['64:ff9b::', 96], // NAT64 can reach any IPv4 address, private ones included
  ['2001:db8::', 32], // documentation
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** True for loopback, private, link-local and other addresses no public webhook lives on. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) reaches the IPv4 host: judge that one.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return blocked.check(mapped[1], 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return true; // not an IP address at all: refuse rather than guess
}

export type UrlProblem =
  | { code: 'WEBHOOK_URL_INVALID'; message: string }
  | { code: 'WEBHOOK_URL_UNRESOLVABLE'; message: string }
  | { code: 'WEBHOOK_URL_FORBIDDEN'; message: string };

export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses.map((a) => a.address)),
    ),
  );

/** The host as the resolver wants it: IPv6 literals lose their brackets. */
function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Syntax only: an absolute http(s) URL without credentials. */
export function checkUrlSyntax(raw: string): URL | UrlProblem {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { code: 'WEBHOOK_URL_INVALID', message: 'must be an absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { code: 'WEBHOOK_URL_INVALID', message: 'must use http or https' };
  }
  if (url.username || url.password) {
    return { code: 'WEBHOOK_URL_INVALID', message: 'must not carry credentials' };
  }
  return url;
}

/**
 * Resolves the URL's host and refuses it when any address is private (unless allowed). Checked
 * when a webhook is created; the dispatcher checks again on every connection (guardedLookup),
 * because DNS can change between the two (rebinding).
 */
export async function checkWebhookUrl(
  raw: string,
  allowPrivate: boolean,
  resolve: Resolver = systemResolver,
): Promise<UrlProblem | undefined> {
  const url = checkUrlSyntax(raw);
  if (!(url instanceof URL)) return url;
  let addresses: string[];
  try {
    addresses = await resolve(hostOf(url));
  } catch (err) {
    return { code: 'WEBHOOK_URL_UNRESOLVABLE', message: `host does not resolve: ${(err as Error).message}` };
  }
  if (addresses.length === 0) return { code: 'WEBHOOK_URL_UNRESOLVABLE', message: 'host has no address' };
  const denied = addresses.find(isPrivateAddress);
  if (denied !== undefined && !allowPrivate) {
    return { code: 'WEBHOOK_URL_FORBIDDEN', message: `host resolves to a private address (${denied})` };
  }
  return undefined;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses private addresses at connect time, so the socket
 * only ever opens to an address that passed the check (no gap between check and connect).
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const allowed = allowPrivate ? addresses : addresses.filter((a) => !isPrivateAddress(a.address));
      if (allowed.length === 0) {
        const refused: NodeJS.ErrnoException = new Error(`refusing to connect to ${hostname}: private address`);
        refused.code = 'WEBHOOK_URL_FORBIDDEN';
        return callback(refused, []);
      }
      if (options.all) return callback(null, allowed);
      return callback(null, allowed[0].address, allowed[0].family);
    });
  };
}
