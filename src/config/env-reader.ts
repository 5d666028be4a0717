/**
 * Reads raw environment variables into typed values and collects every
 * problem instead of stopping at the first, so boot can report them all at once
 * (README, "Configuration"). An empty string counts as unset.
 */
export type RawEnv = Record<string, string | undefined>;

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const DURATION_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

export class EnvReader {
  readonly errors: string[] = [];

  constructor(private readonly env: RawEnv) {}

  /** The value, or undefined when unset or empty. */
  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value) || parsed < min || parsed > max) {
      this.fail(name, `must be an integer between ${min} and ${max}`);
      return fallback;
    }
    return parsed;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    this.fail(name, 'must be true or false');
    return fallback;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.fail(name, `must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return value as T;
  }

  /** A duration such as `15m`, `30d`, `5000ms`, returned in seconds. */
  durationSeconds(name: string, fallback: string): number {
    const value = this.raw(name) ?? fallback;
    const match = DURATION.exec(value);
    if (!match || Number(match[1]) === 0) {
      this.fail(name, 'must be a duration like 30s, 15m, 2h or 30d');
      return parseDurationMs(fallback) / 1000;
    }
    return Math.max(1, Math.floor(parseDurationMs(value) / 1000));
  }

  url(name: string, fallback: string, protocols: readonly string[]): string {
    const value = this.raw(name) ?? fallback;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        this.fail(name, `must use ${protocols.join(' or ')}`);
      }
    } catch {
      this.fail(name, 'must be a valid URL');
    }
    return value.replace(/\/+$/, '');
  }

  list(name: string): string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  fail(name: string, problem: string): void {
    this.errors.push(`${name} ${problem}`);
  }
}

export function parseDurationMs(value: string): number {
  const match = DURATION.exec(value);
  if (!match) throw new Error(`not a duration: ${value}`);
  return Number(match[1]) * DURATION_MS[match[2]];
}
