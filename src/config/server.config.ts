import { isIP } from 'node:net';
import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';
import { providedByAppModule } from './config-token';

export interface ServerConfig {
  /** The address to listen on. */
  host: string;
  /** Whether the built-in WeChat simulator is on (it logs anyone in as any phone). */
  simulator: boolean;
  /** The whole request (headers and body) must arrive within this; else 408 and the socket closes. */
  requestTimeoutMs: number;
  /** The headers must arrive within this (slow-header attacks). */
  headersTimeoutMs: number;
  /**
   * An idle keep-alive connection is closed after this. Longer than the 60 s
   * idle timeout of common load balancers (AWS ALB, nginx upstream keepalive),
   * so the balancer never reuses a connection the app is closing (a 502).
   */
  keepAliveTimeoutMs: number;
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

/** Loopback addresses: only this machine can reach a server listening there. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * `HOST` defaults to every interface, except while the simulator is on: then
 * to loopback, because anyone who reaches the simulator can log in as any
 * phone number. An explicit HOST wins (main.ts warns when that exposes it).
 */
export function readServerConfig(env: EnvReader, simulator: boolean): ServerConfig {
  const host = env.string('HOST', simulator ? '127.0.0.1' : '0.0.0.0');
  if (isIP(host) === 0 && !HOSTNAME.test(host)) {
    env.fail('HOST', 'must be an IP address or a host name (0.0.0.0, 127.0.0.1, ::)');
  }
  const requestTimeoutMs = env.durationSeconds('HTTP_REQUEST_TIMEOUT', '15s') * 1000;
  return {
    host,
    simulator,
    requestTimeoutMs,
    headersTimeoutMs: Math.min(10_000, requestTimeoutMs),
    keepAliveTimeoutMs: 65_000,
  };
}

export const serverConfig = registerAs('server', providedByAppModule<ServerConfig>('server'));
