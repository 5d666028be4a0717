import type { NextFunction, Request, Response } from 'express';
import { errorCodeOf } from '../common/http/response-error-code';
import { AppMetrics } from './app-metrics';

/** The login routes by template, and the kind each one counts as in wxlogin_logins_total. */
const LOGIN_KINDS: Readonly<Record<string, string>> = {
  '/auth/wechat/phone-login': 'phone',
  '/auth/wechat/session': 'silent',
  '/auth/wechat/register': 'register',
  '/getPhoneNumber': 'legacy',
  '/auth/refresh': 'refresh',
};

/** The label of every request no route matched (404s, probes of random paths): one series, not one per path. */
export const UNMATCHED_ROUTE = 'unmatched';

type Observe = (seconds: number) => void;

/**
 * The HTTP platform's one hook for metrics (Express): when a response
 * finishes, its duration goes to the histogram of its route template (never
 * the raw path, so a scan of random URLs adds no series), and a login route's
 * outcome to wxlogin_logins_total. The labelled histogram child is looked up
 * once per (method, route, status) and kept, so a request costs a Map lookup,
 * a clock read and an observe.
 */
export function httpMetricsMiddleware(metrics: AppMetrics) {
  const observers = new Map<string, Observe>();
  const observerFor = (method: string, route: string, status: number): Observe => {
    const key = `${method} ${route} ${status}`;
    let observe = observers.get(key);
    if (!observe) {
      const child = metrics.httpDuration.labels(method, route, String(status));
      observe = (seconds) => child.observe(seconds);
      observers.set(key, observe);
    }
    return observe;
  };

  return (req: Request, res: Response, next: NextFunction): void => {
    const startedAt = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      const template = (req.route as { path?: unknown } | undefined)?.path;
      // Nest answers unknown paths from a catch-all route (`/{*path}` on Express 5).
      const route =
        typeof template === 'string' && !template.startsWith('/{*')
          ? req.baseUrl + template
          : UNMATCHED_ROUTE;
      observerFor(req.method, route, res.statusCode)(seconds);
      const code = errorCodeOf(res);
      if (code !== undefined) metrics.errorResponses.inc({ code });
      const kind = LOGIN_KINDS[route];
      if (kind !== undefined) metrics.logins.inc({ kind, code: code ?? 'OK' });
    });
    next();
  };
}
