import { useAppWithFakeWechat } from './helpers/suite';

/**
 * The fake WeChat's injected faults reach the request they were armed for: a
 * fault keyed to a code is never taken by another login, and no fault is taken
 * by a call that reached the fake before it was armed (a late call left over
 * from an earlier test, still waiting out the fake's latency).
 */
describe('fake WeChat faults are taken by the request they were armed for (e2e)', () => {
  const s = useAppWithFakeWechat();
  afterEach(() => {
    s.wechat.latencyMs = 0;
    s.wechat.clearFaults();
  });

  const PHONE_PATH = '/wxa/business/getuserphonenumber';
  const malformed = { body: 'not json at all' };

  /** Polls (no fixed sleep) until the fake has received `count` phone calls. */
  async function phoneCallsReach(count: number): Promise<void> {
    const deadline = Date.now() + 5000;
    while (s.wechat.phoneCalls.length < count) {
      if (Date.now() > deadline) throw new Error(`the fake never saw ${count} phone calls`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it('failFor(code): another code logs in normally, the keyed code gets the fault', async () => {
    const keyed = s.wechat.phoneCode('13500000001');
    const other = s.wechat.phoneCode('13500000002');
    s.wechat.failFor(keyed, malformed);

    await s.flow.phoneLogin(other).expect(404);
    const res = await s.flow.phoneLogin(keyed).expect(502);
    expect(res.body).toMatchObject({ code: 'WECHAT_BAD_RESPONSE' });
  });

  it('failFor(code): a call already waiting at the fake does not take it', async () => {
    s.wechat.latencyMs = 300;
    const code = s.wechat.phoneCode('13500000003');
    const before = s.wechat.phoneCalls.length;
    const early = s.flow.phoneLogin(code).then((res) => res);
    await phoneCallsReach(before + 1);
    // The same code: only the arming moment tells the two calls apart.
    s.wechat.failFor(code, malformed);

    expect((await early).status).toBe(404);
  });

  it('failNext(path): a late call that reached the fake before it was armed does not take it', async () => {
    s.wechat.latencyMs = 300;
    const before = s.wechat.phoneCalls.length;
    const late = s.flow.phoneLogin(s.wechat.phoneCode('13500000004')).then((res) => res);
    await phoneCallsReach(before + 1);
    s.wechat.failNext(PHONE_PATH, malformed);
    s.wechat.latencyMs = 0;

    expect((await late).status).toBe(404);
    await s.flow.phoneLogin(s.wechat.phoneCode('13500000005')).expect(502);
  });
});
