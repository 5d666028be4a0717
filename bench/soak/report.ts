/** The soak's samples, its verdicts, and the files it writes (CSV, JSON, PNG). */
import { writeFileSync } from 'node:fs';
import { KINDS, Kind } from './load';
import { writeChart } from './plot';

export interface Sample {
  /** Seconds since the load started, at the end of the window. */
  t: number;
  windowS: number;
  rssMb: number;
  /** The app's CPU use over the window, % of one core. */
  appCpuPct: number;
  /** CPU used by processes outside this benchmark (other jobs, MariaDB), % of all cores. */
  foreignCpuPct: number;
  loadAvg1: number;
  /** /proc/pressure/cpu "some avg10": % of time runnable tasks waited for a CPU. */
  cpuPressurePct: number;
  sent: number;
  answered: number;
  ok: number;
  non2xx: number;
  errors: number;
  starved: number;
  /** Answers per second over the window. */
  rate: number;
  p50: number;
  p99: number;
  max: number;
  p99ByKind: Record<Kind, number>;
  countByKind: Record<Kind, number>;
  /** WeChat calls during the window. */
  tokenFetches: number;
  phoneCalls: number;
  /** jscode2session (and any msg_sec_check). */
  otherCalls: number;
  phoneErrors: number;
}

export interface SoakSettings {
  minutes: number;
  rate: number;
  mix: Record<Kind, number>;
  users: number;
  latencyMs: number;
  tokenTtlSec: number;
  /** How long before expiry the app's scheduled job renews (REFRESH_AHEAD_MS) and how often it looks. */
  refreshAheadS: number;
  refreshTickS: number;
  database: string;
  nodeFlags: string;
  revision: string;
}

export interface Verdict {
  pass: boolean;
  label: string;
  detail: string;
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** Least-squares slope of y over x. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
}

/** The tail the RSS verdict looks at: the last 10 minutes, or the last half of a shorter run. */
export function tailSeconds(totalS: number): number {
  return Math.min(600, totalS / 2);
}

/**
 * The verdicts: RSS flat over the tail (growth ≤ 10 MB, by the least-squares
 * line, which a GC sawtooth does not fool), p99 steady (the last third's median
 * window p99 within 25 % + 5 ms of the first third's, after the first minute),
 * no error, the arrival rate held, and the token fetched only on its schedule.
 */
export function verdicts(
  samples: Sample[],
  settings: SoakSettings,
  tokenFetchTimes: number[],
  phoneLoginsSent: number,
): Verdict[] {
  const full = samples.filter((s) => s.windowS >= 5);
  const totalS = settings.minutes * 60;
  const tailS = tailSeconds(totalS);
  const tail = full.filter((s) => s.t > totalS - tailS);
  const growth = slope(tail.map((s) => ({ x: s.t, y: s.rssMb }))) * tailS;
  const tailRss = tail.map((s) => s.rssMb);
  const out: Verdict[] = [
    {
      pass: growth <= 10,
      label: `RSS flat over the last ${round(tailS / 60)} min (growth ≤ 10 MB)`,
      detail:
        `trend ${growth >= 0 ? '+' : ''}${round(growth)} MB over ${round(tailS / 60)} min; ` +
        `range ${round(Math.min(...tailRss))}–${round(Math.max(...tailRss))} MB; ` +
        `whole run ${round(Math.min(...full.map((s) => s.rssMb)))}–${round(Math.max(...full.map((s) => s.rssMb)))} MB`,
    },
  ];

  const settled = full.filter((s) => s.t > Math.min(60, totalS / 4));
  const third = Math.max(1, Math.floor(settled.length / 3));
  const early = median(settled.slice(0, third).map((s) => s.p99));
  const late = median(settled.slice(-third).map((s) => s.p99));
  const all = median(settled.map((s) => s.p99));
  const spikes = settled.filter((s) => s.p99 > 2 * all);
  out.push({
    pass: late <= early * 1.25 + 5,
    label: 'p99 steady (median window p99 of the last third ≤ first third × 1.25 + 5 ms)',
    detail:
      `first third ${round(early)} ms, last third ${round(late)} ms, all windows: median ${round(all)} ms, ` +
      `max ${round(Math.max(...settled.map((s) => s.p99)))} ms; ` +
      `${spikes.length} window(s) over 2× the median${spikes.length ? ` (at ${spikes.map((s) => `${round(s.t / 60)} min`).join(', ')})` : ''}`,
  });

  const failed = samples.reduce((n, s) => n + s.non2xx + s.errors + s.starved, 0);
  const answered = samples.reduce((n, s) => n + s.answered, 0);
  const sent = samples.reduce((n, s) => n + s.sent, 0);
  out.push({
    pass: failed === 0,
    label: '0 errors',
    detail: `${failed} of ${sent} requests failed (non-2xx ${samples.reduce((n, s) => n + s.non2xx, 0)}, no answer ${samples.reduce((n, s) => n + s.errors, 0)}, nothing to send ${samples.reduce((n, s) => n + s.starved, 0)}); ${answered} answered`,
  });

  const rates = full.slice(0, -1).map((s) => s.rate);
  out.push({
    pass: Math.min(...rates) >= settings.rate * 0.95,
    label: `rate held (every window ≥ 95 % of ${settings.rate}/s)`,
    detail: `answers/s per window: min ${round(Math.min(...rates))}, median ${round(median(rates))}, max ${round(Math.max(...rates))}`,
  });

  // Renewal is due `refreshAheadS` before expiry and the job looks every
  // `refreshTickS`: consecutive fetches are TTL − ahead … + one tick apart.
  const due = settings.tokenTtlSec - settings.refreshAheadS;
  const gaps = tokenFetchTimes.slice(1).map((t, i) => t - tokenFetchTimes[i]);
  const inSoak = tokenFetchTimes.filter((t) => t >= 0 && t <= totalS).length;
  const lastBefore = [...tokenFetchTimes].reverse().find((t) => t < 0) ?? tokenFetchTimes[0] ?? 0;
  const expectedLow = Math.floor((totalS - lastBefore) / (due + settings.refreshTickS));
  const expectedHigh = Math.floor((totalS - lastBefore) / due);
  const gapsOk = gaps.every((g) => g >= due - 2 && g <= due + settings.refreshTickS + 2);
  out.push({
    pass: gapsOk && inSoak >= expectedLow && inSoak <= expectedHigh && tokenFetchTimes.length > 0,
    label: `token fetches on schedule (expires_in ${settings.tokenTtlSec} s: one every ${due}–${due + settings.refreshTickS} s)`,
    detail:
      `${inSoak} during the load (schedule: ${expectedLow === expectedHigh ? expectedLow : `${expectedLow}–${expectedHigh}`}), ${tokenFetchTimes.length} in all; ` +
      `at ${tokenFetchTimes.map((t) => `${round(t, 0)}`).join(', ')} s; gaps ${gaps.map((g) => round(g, 0)).join(', ')} s`,
  });

  const phoneCalls = samples.reduce((n, s) => n + s.phoneCalls, 0);
  const phoneErrors = samples.reduce((n, s) => n + s.phoneErrors, 0);
  out.push({
    pass: phoneCalls === phoneLoginsSent && phoneErrors === 0,
    label: 'one WeChat phone call per phone login, none refused (no stale token ever used)',
    detail: `${phoneCalls} phone calls for ${phoneLoginsSent} phone logins sent; ${phoneErrors} answered with an errcode`,
  });
  return out;
}

export function csv(samples: Sample[]): string {
  const header = [
    't_s',
    'window_s',
    'rss_mb',
    'app_cpu_pct',
    'foreign_cpu_pct',
    'loadavg1',
    'cpu_pressure_pct',
    'sent',
    'answered',
    'ok',
    'non2xx',
    'errors',
    'starved',
    'rate_per_s',
    'p50_ms',
    'p99_ms',
    'max_ms',
    ...KINDS.flatMap((k) => [`${k}_n`, `${k}_p99_ms`]),
    'token_fetches',
    'phone_calls',
    'other_wechat_calls',
    'phone_errors',
  ];
  const rows = samples.map((s) =>
    [
      round(s.t),
      round(s.windowS, 2),
      round(s.rssMb),
      round(s.appCpuPct),
      round(s.foreignCpuPct),
      s.loadAvg1,
      s.cpuPressurePct,
      s.sent,
      s.answered,
      s.ok,
      s.non2xx,
      s.errors,
      s.starved,
      round(s.rate),
      round(s.p50),
      round(s.p99),
      round(s.max),
      ...KINDS.flatMap((k) => [s.countByKind[k], round(s.p99ByKind[k])]),
      s.tokenFetches,
      s.phoneCalls,
      s.otherCalls,
      s.phoneErrors,
    ].join(','),
  );
  return [header.join(','), ...rows].join('\n') + '\n';
}

export function chart(
  file: string,
  samples: Sample[],
  settings: SoakSettings,
  tokenFetchTimes: number[],
): void {
  const minutes = (t: number) => t / 60;
  const totalS = settings.minutes * 60;
  const tailS = tailSeconds(totalS);
  const full = samples.filter((s) => s.windowS >= 5);
  const fetches = tokenFetchTimes.filter((t) => t >= 0);
  writeChart(
    file,
    [
      {
        title: `App RSS - ${settings.rate}/s mixed load, MariaDB`,
        yLabel: 'MB',
        series: [
          {
            label: 'RSS MB',
            color: [20, 90, 200],
            points: full.map((s) => ({ x: minutes(s.t), y: s.rssMb })),
          },
        ],
        shade: { from: minutes(totalS - tailS), to: minutes(totalS), label: 'verdict window' },
        marks: [{ y: 150, label: '150 MB budget', color: [120, 120, 120] }],
        vlines: fetches.map((t) => ({ x: minutes(t), label: 'TOKEN' })),
      },
      {
        title: 'Latency per 10 s window (from due time)',
        yLabel: 'MS',
        series: [
          {
            label: 'P50',
            color: [40, 160, 70],
            points: full.map((s) => ({ x: minutes(s.t), y: s.p50 })),
          },
          {
            label: 'P99',
            color: [210, 60, 40],
            points: full.map((s) => ({ x: minutes(s.t), y: s.p99 })),
          },
        ],
        vlines: fetches.map((t) => ({ x: minutes(t), label: 'TOKEN' })),
      },
      {
        title: 'Rate and CPU',
        yLabel: '',
        series: [
          {
            label: 'ANSWERS/S',
            color: [90, 90, 90],
            points: full.map((s) => ({ x: minutes(s.t), y: s.rate })),
          },
          {
            label: 'APP CPU % (1 CORE)',
            color: [160, 60, 180],
            points: full.map((s) => ({ x: minutes(s.t), y: s.appCpuPct })),
          },
          {
            label: 'OTHER CPU % (2 CORES)',
            color: [230, 150, 30],
            points: full.map((s) => ({ x: minutes(s.t), y: s.foreignCpuPct })),
          },
        ],
        vlines: fetches.map((t) => ({ x: minutes(t), label: 'TOKEN' })),
      },
    ],
    settings.minutes,
    'minutes',
  );
}

export function write(
  prefix: string,
  samples: Sample[],
  settings: SoakSettings,
  tokenFetchTimes: number[],
  results: Verdict[],
): string[] {
  writeFileSync(`${prefix}-samples.csv`, csv(samples));
  writeFileSync(
    `${prefix}-samples.json`,
    JSON.stringify({ settings, tokenFetchTimes, verdicts: results, samples }, null, 1) + '\n',
  );
  chart(`${prefix}.png`, samples, settings, tokenFetchTimes);
  return [`${prefix}.png`, `${prefix}-samples.csv`, `${prefix}-samples.json`];
}
