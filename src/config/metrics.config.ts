import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';
import { providedByAppModule } from './config-token';

export interface MetricsConfig {
  /** Off: no GET /metrics (404) and nothing counted (bench/metrics-overhead.ts compares both). */
  enabled: boolean;
}

export function readMetricsConfig(env: EnvReader): MetricsConfig {
  return { enabled: env.bool('METRICS_ENABLED', true) };
}

export const metricsConfig = registerAs('metrics', providedByAppModule<MetricsConfig>('metrics'));
