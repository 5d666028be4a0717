/**
 * The test kit's round-robin proxy (test/helpers/round-robin-proxy.ts) in a
 * process of its own, so the scale-out bench can measure its CPU apart:
 *
 *   node -r ts-node/register/transpile-only bench/scale/proxy.ts --backends 4001,4002
 *
 * Prints `LISTENING <port>` once it accepts connections.
 */
import { RoundRobinProxy } from '../../test/helpers/round-robin-proxy';
import { argValue } from '../support';

async function main(): Promise<void> {
  const backends = (argValue('--backends') ?? '').split(',').filter(Boolean).map(Number);
  if (backends.length === 0) throw new Error('--backends <port>[,<port>…] is required');
  const proxy = new RoundRobinProxy(backends);
  await proxy.start();
  process.stdout.write(`LISTENING ${proxy.port}\n`);
  const stop = () => void proxy.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`proxy: ${String(error)}\n`);
  process.exit(1);
});
