/** `13800138000` → `138****8000`, `+8613800138000` → `+86138****8000`: enough to correlate, not to identify. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/^\+/, '');
  const prefix = phone.startsWith('+') ? '+' : '';
  if (digits.length <= 7) return prefix + '*'.repeat(digits.length);
  return `${prefix}${digits.slice(0, digits.length - 8)}${'*'.repeat(4)}${digits.slice(-4)}`;
}

/**
 * An openid or unionid in a log line: `oAbc1234567890xyz` → `oAbc****yz`. Enough to
 * tell two accounts apart while reading one incident, not to look one up.
 */
export function maskIdentifier(id: string): string {
  if (id.length <= 8) return `${id.slice(0, 2)}****`;
  return `${id.slice(0, 4)}****${id.slice(-2)}`;
}
