import { randomBytes } from 'node:crypto';
import type { SimulatorAnswer } from './wechat-simulator';

/** msg_sec_check needs an openid that visited the mini-program this recently. */
export const OPENID_RECENT_MS = 2 * 3_600_000;
/** WeChat's documented labels: 100 normal, 20006 illegal / crime. */
const LABEL_NORMAL = 100;
const LABEL_ILLEGAL = 20006;

/**
 * The simulator's msg_sec_check (version 2): `risky` for text containing one
 * of the configured words, `pass` otherwise; 61010 for an openid that has not
 * come through a login code of that mini-program in the last 2 hours, as at
 * WeChat, so the "check skipped" path can be rehearsed too.
 */
export class SimulatedContentCheck {
  /** `appId \n openid` → when a login code last brought it. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly clock: { now(): number },
    private readonly riskyWords: readonly string[],
  ) {}

  recordSeen(appId: string, openid: string): void {
    const key = `${appId}\n${openid}`;
    // Re-inserted so the map stays in last-seen order for forgetStale().
    this.seen.delete(key);
    this.seen.set(key, this.clock.now());
  }

  /** `appId`: the app of the (already checked) access token. */
  answer(appId: string, body: Record<string, unknown>): SimulatorAnswer {
    const { content, version, scene, openid } = body;
    if (version !== 2) return error(47001, 'data format error: version must be 2');
    if (typeof content !== 'string' || content === '' || typeof scene !== 'number') {
      return error(47001, 'data format error');
    }
    if (typeof openid !== 'string' || openid === '') return error(40003, 'invalid openid');
    const seenAt = this.seen.get(`${appId}\n${openid}`);
    if (seenAt === undefined || this.clock.now() - seenAt > OPENID_RECENT_MS) {
      return error(61010, 'user is not visited in 2 hours');
    }
    const word = this.riskyWords.find((risky) => content.includes(risky));
    const suggest = word ? 'risky' : 'pass';
    const label = word ? LABEL_ILLEGAL : LABEL_NORMAL;
    return {
      status: 200,
      body: {
        errcode: 0,
        errmsg: 'ok',
        result: { suggest, label },
        detail: [
          {
            strategy: 'keyword',
            errcode: 0,
            suggest,
            label,
            ...(word ? { keyword: word } : {}),
          },
        ],
        trace_id: randomBytes(12).toString('hex'),
      },
    };
  }

  /** Keeps memory bounded: an openid not seen for 2 hours answers 61010 whether kept or not. */
  forgetStale(): void {
    const cutoff = this.clock.now() - OPENID_RECENT_MS;
    for (const [key, seenAt] of this.seen) {
      if (seenAt >= cutoff) break;
      this.seen.delete(key);
    }
  }
}

function error(errcode: number, errmsg: string): SimulatorAnswer {
  return { status: 200, body: { errcode, errmsg } };
}
