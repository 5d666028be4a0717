/** `13800138000` → `138****8000`, `+8613800138000` → `+86138****8000`: enough to correlate, not to identify. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/^\+/, '');
  const prefix = phone.startsWith('+') ? '+' : '';
  if (digits.length <= 7) return prefix + '*'.repeat(digits.length);
  return `${prefix}${digits.slice(0, digits.length - 8)}${'*'.repeat(4)}${digits.slice(-4)}`;
}
