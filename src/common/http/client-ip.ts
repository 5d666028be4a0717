import { isIPv4, isIPv6 } from 'node:net';
import type { Request } from 'express';

/**
 * The client's address as the rate limiter and the request log see it:
 * Express's `req.ip` (X-Forwarded-For only as far as TRUST_PROXY allows),
 * IPv4-mapped IPv6 (`::ffff:203.0.113.7`) as plain IPv4, and the socket's
 * peer when `req.ip` is not an address at all (a forged header on a
 * misconfigured deployment must not become a key of arbitrary length).
 */
export function clientIpOf(req: Pick<Request, 'ip' | 'socket'>): string {
  return normalizeIp(req.ip) ?? normalizeIp(req.socket?.remoteAddress) ?? 'unknown';
}

/**
 * Who a rate-limit counter belongs to: an IPv4 address, or an IPv6 /64 (one
 * subscriber line or host usually holds a whole /64, so counting single IPv6
 * addresses would hand every client 2^64 fresh counters).
 */
export function rateLimitSubjectOf(ip: string): string {
  const hextets = ipv6Hextets(ip);
  return hextets ? `${ipv6Prefix(hextets, 4)}/64` : ip;
}

/** For logs: IPv4 to its /24, IPv6 to its /48: enough to spot a flood, not to name a subscriber. */
export function maskIp(ip: string): string {
  if (isIPv4(ip)) return `${ip.split('.').slice(0, 3).join('.')}.0/24`;
  const hextets = ipv6Hextets(ip);
  return hextets ? `${ipv6Prefix(hextets, 3)}/48` : 'unknown';
}

function normalizeIp(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const ip = raw.trim();
  if (isIPv4(ip)) return ip;
  const hextets = ipv6Hextets(ip);
  if (!hextets) return undefined;
  const mapped = hextets.slice(0, 5).every((h) => h === 0) && hextets[5] === 0xffff;
  if (mapped) {
    return [hextets[6] >> 8, hextets[6] & 0xff, hextets[7] >> 8, hextets[7] & 0xff].join('.');
  }
  return ip.toLowerCase();
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped), or undefined when it is not one. */
function ipv6Hextets(raw: string): number[] | undefined {
  const ip = raw.split('%')[0];
  if (!isIPv6(ip)) return undefined;
  let text = ip;
  // A dotted IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is the last two groups.
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number);
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const zeros = rest === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16));
}

function ipv6Prefix(hextets: number[], groups: number): string {
  const prefix = hextets.slice(0, groups);
  while (prefix.length > 0 && prefix[prefix.length - 1] === 0) prefix.pop();
  return `${prefix.map((h) => h.toString(16)).join(':')}::`;
}
