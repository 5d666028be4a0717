import request from 'supertest';
import { REFRESH_REUSE_GRACE_MS } from '../src/auth/tokens/refresh-token.service';
import { useAppWithFakeWechat } from './helpers/suite';

interface PairBody {
  accessToken: string;
  refreshToken: string;
}

/**
 * Refreshes racing each other on one family, the way a real client and a
 * thief do. On MariaDB these races make InnoDB pick deadlock victims; the
 * client must still never see a 5xx, and a reuse must always end the family.
 * The same suite runs on SQLite (which serialises writers) and on MariaDB
 * (E2E_MYSQL_URL).
 */
describe('refresh under concurrency (e2e)', () => {
  const s = useAppWithFakeWechat();
  let phoneSeq = 0;
  const nextPhone = () => `1360000${String(++phoneSeq).padStart(4, '0')}`;

  const refresh = (refreshToken: string) =>
    request(s.t.url).post('/auth/refresh').send({ refreshToken });

  /** A refusal must carry the contract's error body, never a bare status. */
  function expectContractRefusal(res: request.Response): void {
    expect(res.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      code: expect.stringMatching(/^REFRESH_TOKEN_(INVALID|REUSED|EXPIRED)$/) as unknown,
      message: expect.any(String) as unknown,
      requestId: expect.any(String) as unknown,
    });
  }

  it('answers 20 parallel refreshes of one token with the same successor, round after round', async () => {
    const rounds = 32;
    const statuses = new Map<number, number>();
    let phone = nextPhone();
    let current = (await s.flow.registerNewUser(phone)).refreshToken;
    for (let round = 0; round < rounds; round++) {
      const results = await Promise.all(Array.from({ length: 20 }, () => refresh(current)));
      for (const res of results) statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const ok = results.filter((r) => r.status === 200);
      const successors = new Set(ok.map((r) => (r.body as PairBody).refreshToken));
      expect(successors.size).toBeLessThanOrEqual(1);
      if (ok.length > 0) {
        current = [...successors][0];
      } else {
        phone = nextPhone();
        current = (await s.flow.registerNewUser(phone)).refreshToken;
      }
    }
    // Every racer of a round is inside the grace window: none is refused, none fails.
    expect(Object.fromEntries(statuses)).toEqual({ 200: rounds * 20 });
  });

  it('always detects a spent token presented at the same moment as the current one', async () => {
    const trials = 16;
    const problems: string[] = [];
    for (let trial = 0; trial < trials; trial++) {
      const login = await s.flow.registerNewUser(nextPhone());
      const stolen = login.refreshToken;
      const current = ((await refresh(stolen).expect(200)).body as PairBody).refreshToken;
      s.t.clock.advance(REFRESH_REUSE_GRACE_MS + 1000);

      const [replay, rotation] = await Promise.all([refresh(stolen), refresh(current)]);

      if (
        replay.status !== 401 ||
        (replay.body as { code?: string }).code !== 'REFRESH_TOKEN_REUSED'
      ) {
        problems.push(`trial ${trial}: the spent token got ${replay.status}`);
      }
      if (rotation.status !== 200 && rotation.status !== 401) {
        problems.push(`trial ${trial}: the current token got ${rotation.status}`);
      }
      if (rotation.status === 401) expectContractRefusal(rotation);
      // Whoever won the race, the family is dead: the current token and any
      // successor it bought are refused.
      const after = [current];
      if (rotation.status === 200) after.push((rotation.body as PairBody).refreshToken);
      for (const token of after) {
        const res = await refresh(token);
        if (res.status !== 401)
          problems.push(`trial ${trial}: the family is alive (${res.status})`);
      }
    }
    expect(problems).toEqual([]);
  });
});
