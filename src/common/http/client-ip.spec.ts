import { clientIpOf, maskIp, rateLimitSubjectOf } from './client-ip';

const request = (ip: string | undefined, peer = '10.9.8.7') =>
  ({ ip, socket: { remoteAddress: peer } }) as Parameters<typeof clientIpOf>[0];

describe('client IP', () => {
  it('takes req.ip, and IPv4-mapped IPv6 as the IPv4 address', () => {
    expect(clientIpOf(request('203.0.113.7'))).toBe('203.0.113.7');
    expect(clientIpOf(request('::ffff:203.0.113.7'))).toBe('203.0.113.7');
    expect(clientIpOf(request('::FFFF:cb00:7107'))).toBe('203.0.113.7');
    expect(clientIpOf(request('2001:DB8::1'))).toBe('2001:db8::1');
  });

  it("falls back to the socket's peer when req.ip is not an address", () => {
    expect(clientIpOf(request('not-an-ip'))).toBe('10.9.8.7');
    expect(clientIpOf(request(undefined, '::ffff:127.0.0.1'))).toBe('127.0.0.1');
    expect(clientIpOf(request('x'.repeat(5000), 'garbage'))).toBe('unknown');
  });

  it('counts IPv4 clients by address and IPv6 clients by their /64', () => {
    expect(rateLimitSubjectOf('203.0.113.7')).toBe('203.0.113.7');
    expect(rateLimitSubjectOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(rateLimitSubjectOf('2001:db8:1:2::1')).toBe(
      rateLimitSubjectOf('2001:0db8:0001:0002:ffff::9'),
    );
    expect(rateLimitSubjectOf('2001:db8:1:3::1')).not.toBe(rateLimitSubjectOf('2001:db8:1:2::1'));
    expect(rateLimitSubjectOf('2001:db8::5')).toBe('2001:db8::/64');
    expect(rateLimitSubjectOf('::1')).toBe('::/64');
    expect(rateLimitSubjectOf('fe80::1%eth0')).toBe('fe80::/64');
    expect(rateLimitSubjectOf('64:ff9b::198.51.100.7')).toBe('64:ff9b::/64');
  });

  it('masks IPv4 to its /24 and IPv6 to its /48 for the log', () => {
    expect(maskIp('203.0.113.7')).toBe('203.0.113.0/24');
    expect(maskIp('2001:db8:abcd:12:1::7')).toBe('2001:db8:abcd::/48');
    expect(maskIp('2001:db8::7')).toBe('2001:db8::/48');
    expect(maskIp('unknown')).toBe('unknown');
  });
});
