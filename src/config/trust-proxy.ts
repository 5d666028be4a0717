import { isIP } from 'node:net';
import { EnvReader } from './env-reader';

/**
 * Express's `trust proxy` setting, limited to the two safe forms: a hop count
 * (the client IP is the entry that many hops from the right of
 * X-Forwarded-For) or a list of trusted proxy addresses. Never `true`
 * ("trust every hop"), which takes the leftmost entry: the one the client wrote.
 */
export type TrustProxy = false | number | string[];

/** Names Express (proxy-addr) understands as address ranges. */
const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal'];
const MAX_HOPS = 10;

function isAddressOrCidr(entry: string): boolean {
  if (NAMED_RANGES.includes(entry)) return true;
  const [address, prefix, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (version === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY: off (default, also `false`/`0`), a hop count (`1` = one load
 * balancer; `true` means `1`), or a comma-separated list of trusted proxy
 * addresses/CIDRs and the names loopback, linklocal, uniquelocal.
 */
export function readTrustProxy(env: EnvReader): TrustProxy {
  const value = env.raw('TRUST_PROXY');
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  if (['true', 'yes', 'on'].includes(lower)) return 1;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops <= MAX_HOPS) return hops;
  } else {
    const entries = env.list('TRUST_PROXY').map((entry) => entry.toLowerCase());
    const bad = entries.filter((entry) => !isAddressOrCidr(entry));
    if (bad.length === 0) return entries;
    env.fail('TRUST_PROXY', `has entries that are not an address or CIDR: ${bad.join(', ')}`);
    return false;
  }
  env.fail(
    'TRUST_PROXY',
    `must be off, a hop count (1-${MAX_HOPS}) or a list of proxy addresses/CIDRs`,
  );
  return false;
}
