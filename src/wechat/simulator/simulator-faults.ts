import { WECHAT_ENDPOINTS, WechatEndpoint } from '../wechat-errcodes';
import { error, SimulatorAnswer } from './simulator-answers';

/** The most calls one fault may cover: a rehearsal, not a permanent outage. */
export const MAX_FAULT_COUNT = 100;

const ENDPOINT_BY_PATH = new Map(
  Object.entries(WECHAT_ENDPOINTS).map(([api, path]) => [path as string, api as WechatEndpoint]),
);

/**
 * Errcodes the simulator answers instead of the real thing, so a front-end
 * developer can rehearse WeChat's failures (40226, 45011, -1, …): the next
 * `count` calls of an endpoint get the errcode, whatever they asked.
 */
export class SimulatorFaults {
  private readonly pending = new Map<WechatEndpoint, { errcode: number; left: number }[]>();

  /** Queues `count` answers with `errcode` for `api`; returns how many calls of it will now fail. */
  add(api: WechatEndpoint, errcode: number, count: number): number {
    const queue = this.pending.get(api) ?? [];
    queue.push({ errcode, left: count });
    this.pending.set(api, queue);
    return queue.reduce((sum, fault) => sum + fault.left, 0);
  }

  /** The fault answer for a call to `path`, if one is pending (and spends it). */
  take(path: string): SimulatorAnswer | undefined {
    const api = ENDPOINT_BY_PATH.get(path);
    const queue = api && this.pending.get(api);
    if (!queue?.length) return undefined;
    const fault = queue[0];
    if (--fault.left === 0) queue.shift();
    return error(fault.errcode, `simulated fault ${fault.errcode}`);
  }
}
