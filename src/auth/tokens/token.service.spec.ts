import * as kit from '../../../test/helpers/token-kit';

describe('TokenService issuing', () => {
  const world = kit.useTokenService();

  describe('access tokens', () => {
    it('signs an HS256 access token that verifies as access with userId and familyId', async () => {
      const signed = await world.service.signAccessToken({
        userId: 'user-1',
        familyId: 'family-1',
      });

      expect(signed).toEqual({
        accessToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
      });
      const header = JSON.parse(
        Buffer.from(signed.accessToken.split('.')[0], 'base64url').toString('utf8'),
      ) as Record<string, unknown>;
      expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
      expect(kit.decodePayload(signed.accessToken)).toEqual(kit.accessPayload());
      await expect(world.service.verifyAccessToken(signed.accessToken)).resolves.toEqual({
        userId: 'user-1',
        familyId: 'family-1',
      });
    });

    it('refuses an access token presented as a registration ticket', async () => {
      await expect(
        world.service.verifyRegistrationTicket(await world.accessToken()),
      ).rejects.toMatchObject(kit.TICKET_INVALID);
    });

    it('refuses an access token without the fam claim', async () => {
      const payload = kit.accessPayload();
      delete payload.fam;
      const token = kit.hs256(payload);

      await expect(world.service.verifyAccessToken(token)).rejects.toMatchObject(kit.UNAUTHORIZED);
    });

    it('refuses an access token whose sub is not a string', async () => {
      const token = kit.hs256(kit.accessPayload({ sub: 42 }));

      await expect(world.service.verifyAccessToken(token)).rejects.toMatchObject(kit.UNAUTHORIZED);
    });

    it('refuses a refresh-typed token as an access token', async () => {
      const token = kit.hs256(kit.accessPayload({ typ: 'refresh' }));

      await expect(world.service.verifyAccessToken(token)).rejects.toMatchObject(kit.UNAUTHORIZED);
    });
  });

  describe('registration tickets', () => {
    it('refuses a registration ticket presented as an access token', async () => {
      const { registrationTicket } = await world.service.issueRegistrationTicket(kit.PHONE);

      await expect(world.service.verifyAccessToken(registrationTicket)).rejects.toMatchObject(
        kit.UNAUTHORIZED,
      );
    });

    it('verifies a ticket with phone fields, jti, expiresAt and the WeChat account', async () => {
      const issued = await world.service.issueRegistrationTicket(kit.PHONE, {
        appId: 'wx-app-1',
        openid: 'o-openid-1',
        unionid: 'u-unionid-1',
      });
      expect(issued.registrationTicketExpiresIn).toBe(600);

      const verified = await world.service.verifyRegistrationTicket(issued.registrationTicket);

      expect(verified).toEqual({
        phoneNumber: '+8613800138000',
        purePhoneNumber: '13800138000',
        countryCode: '86',
        jti: expect.stringMatching(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        ),
        expiresAt: new Date(kit.START_MS + 600_000),
        account: { appId: 'wx-app-1', openid: 'o-openid-1', unionid: 'u-unionid-1' },
      });
    });

    it('round-trips an account with an openid and no unionid', async () => {
      const { registrationTicket } = await world.service.issueRegistrationTicket(kit.PHONE, {
        appId: 'wx-app-1',
        openid: 'o-openid-1',
      });

      const verified = await world.service.verifyRegistrationTicket(registrationTicket);

      expect(verified.account).toEqual({
        appId: 'wx-app-1',
        openid: 'o-openid-1',
        unionid: undefined,
      });
      expect(kit.decodePayload(registrationTicket)).not.toHaveProperty('uid');
    });

    it('returns no account when the ticket was issued without one', async () => {
      const { registrationTicket } = await world.service.issueRegistrationTicket(kit.PHONE);

      const verified = await world.service.verifyRegistrationTicket(registrationTicket);

      expect(verified.account).toBeUndefined();
      expect(kit.decodePayload(registrationTicket)).not.toHaveProperty('oid');
    });

    it('gives every ticket its own jti', async () => {
      const a = await world.service.verifyRegistrationTicket(
        (await world.service.issueRegistrationTicket(kit.PHONE)).registrationTicket,
      );
      const b = await world.service.verifyRegistrationTicket(
        (await world.service.issueRegistrationTicket(kit.PHONE)).registrationTicket,
      );

      expect(a.jti).not.toBe(b.jti);
    });

    it.each(['jti', 'cc', 'pure'])('refuses a register-typed token without %s', async (claim) => {
      const payload = kit.ticketPayload();
      delete payload[claim];
      const token = kit.hs256(payload);

      await expect(world.service.verifyRegistrationTicket(token)).rejects.toMatchObject(
        kit.TICKET_INVALID,
      );
    });
  });
});
