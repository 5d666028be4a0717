import { generateKeyPairSync, sign as rsaSign } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { AppError } from '../../common/app-error';
import { TokenService } from './token.service';
import * as kit from '../../../test/helpers/token-kit';

describe('TokenService verification', () => {
  const world = kit.useTokenService();

  describe('signature and algorithm checks', () => {
    it('accepts a hand-built HS256 token with the right secret (control for the forgeries below)', async () => {
      const token = kit.hs256(kit.accessPayload());

      await expect(world.service.verifyAccessToken(token)).resolves.toEqual({
        userId: 'user-1',
        familyId: 'family-1',
      });
    });

    it('refuses alg none with an empty signature', async () => {
      const token = kit.forge({ alg: 'none', typ: 'JWT' }, kit.accessPayload(), () => '');
      expect(token.endsWith('.')).toBe(true);

      await expect(world.service.verifyAccessToken(token)).rejects.toMatchObject(kit.UNAUTHORIZED);
    });

    it('refuses alg none as a registration ticket too', async () => {
      const token = kit.forge({ alg: 'none', typ: 'JWT' }, kit.ticketPayload(), () => '');

      await expect(world.service.verifyRegistrationTicket(token)).rejects.toMatchObject(
        kit.TICKET_INVALID,
      );
    });

    it('refuses an RS256 token signed with an RSA key', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const token = kit.forge({ alg: 'RS256', typ: 'JWT' }, kit.accessPayload(), (input) =>
        rsaSign('sha256', Buffer.from(input), privateKey).toString('base64url'),
      );

      await expect(world.service.verifyAccessToken(token)).rejects.toMatchObject(kit.UNAUTHORIZED);
    });

    it('refuses an RS256 header carrying an HMAC-SHA256 signature made with the secret', async () => {
      const token = kit.forge(
        { alg: 'RS256', typ: 'JWT' },
        kit.accessPayload(),
        kit.hmac('sha256', kit.SECRET),
      );

      await expect(world.service.verifyAccessToken(token)).rejects.toMatchObject(kit.UNAUTHORIZED);
    });

    it('refuses HS512 even with the right secret', async () => {
      const token = kit.forge(
        { alg: 'HS512', typ: 'JWT' },
        kit.accessPayload(),
        kit.hmac('sha512', kit.SECRET),
      );

      await expect(world.service.verifyAccessToken(token)).rejects.toMatchObject(kit.UNAUTHORIZED);
    });

    it('refuses a token signed with another secret', async () => {
      const token = kit.forge(
        { alg: 'HS256', typ: 'JWT' },
        kit.accessPayload(),
        kit.hmac('sha256', `${kit.SECRET}-other`),
      );

      await expect(world.service.verifyAccessToken(token)).rejects.toMatchObject(kit.UNAUTHORIZED);
    });

    it('refuses a token another JwtService signed with another secret', async () => {
      const other = new TokenService(
        new JwtService({ secret: 'a-completely-different-hmac-key-0123456789' }),
        world.clock,
        kit.config,
      );
      const { accessToken } = await other.signAccessToken({
        userId: 'user-1',
        familyId: 'family-1',
      });

      await expect(world.service.verifyAccessToken(accessToken)).rejects.toMatchObject(
        kit.UNAUTHORIZED,
      );
    });

    it('refuses a tampered payload (sub changed, signature kept)', async () => {
      const [header, , signature] = (await world.accessToken()).split('.');
      const tampered = `${header}.${kit.b64url(JSON.stringify(kit.accessPayload({ sub: 'user-2' })))}.${signature}`;

      await expect(world.service.verifyAccessToken(tampered)).rejects.toMatchObject(
        kit.UNAUTHORIZED,
      );
    });

    it('refuses a token from another issuer', async () => {
      const token = kit.hs256(kit.accessPayload({ iss: 'someone-else' }));

      await expect(world.service.verifyAccessToken(token)).rejects.toMatchObject(kit.UNAUTHORIZED);
    });

    it('refuses a token with no issuer', async () => {
      const payload = kit.accessPayload();
      delete payload.iss;
      const token = kit.hs256(payload);

      await expect(world.service.verifyAccessToken(token)).rejects.toMatchObject(kit.UNAUTHORIZED);
    });

    it.each(['', 'not-a-jwt', 'a.b.c', 'Bearer x.y.z'])(
      'refuses the malformed token %p',
      async (token) => {
        await expect(world.service.verifyAccessToken(token)).rejects.toMatchObject(
          kit.UNAUTHORIZED,
        );
        await expect(world.service.verifyRegistrationTicket(token)).rejects.toMatchObject(
          kit.TICKET_INVALID,
        );
      },
    );

    it('rejects with an AppError instance, not a jsonwebtoken error', async () => {
      await expect(world.service.verifyAccessToken('not-a-jwt')).rejects.toBeInstanceOf(AppError);
    });
  });

  describe('expiry follows the injected clock', () => {
    it('keeps an access token valid at +899 s and refuses it at +901 s', async () => {
      const token = await world.accessToken();

      world.clock.advance(899 * 1000);
      await expect(world.service.verifyAccessToken(token)).resolves.toEqual({
        userId: 'user-1',
        familyId: 'family-1',
      });

      world.clock.advance(2 * 1000);
      await expect(world.service.verifyAccessToken(token)).rejects.toMatchObject(kit.UNAUTHORIZED);
    });

    it('refuses an access token at exactly +900 s (exp is exclusive)', async () => {
      const token = await world.accessToken();

      world.clock.advance(900 * 1000);
      await expect(world.service.verifyAccessToken(token)).rejects.toMatchObject(kit.UNAUTHORIZED);
    });

    it('keeps a ticket valid at +599 s and refuses it at +601 s', async () => {
      const { registrationTicket } = await world.service.issueRegistrationTicket(kit.PHONE);

      world.clock.advance(599 * 1000);
      await expect(
        world.service.verifyRegistrationTicket(registrationTicket),
      ).resolves.toMatchObject({
        phoneNumber: kit.PHONE.phoneNumber,
      });

      world.clock.advance(2 * 1000);
      await expect(
        world.service.verifyRegistrationTicket(registrationTicket),
      ).rejects.toMatchObject(kit.TICKET_INVALID);
    });

    it('takes iat and exp from the clock, not from the wall time', async () => {
      world.clock.set(kit.START_MS - 86_400_000);

      const payload = kit.decodePayload(await world.accessToken());

      expect(payload.iat).toBe(kit.START_SEC - 86_400);
      expect(payload.exp).toBe(kit.START_SEC - 86_400 + 900);
    });

    it('documents current behaviour: a token issued in the future still verifies (iat is not checked)', async () => {
      world.clock.advance(3600 * 1000);
      const token = await world.accessToken();
      world.clock.set(kit.START_MS);

      // No nbf is set and jsonwebtoken ignores iat without maxAge, so a token
      // whose iat is an hour ahead of the verifier's clock is accepted, and it
      // stays valid until its own exp (iat + 900 s), i.e. 4500 s from now.
      await expect(world.service.verifyAccessToken(token)).resolves.toEqual({
        userId: 'user-1',
        familyId: 'family-1',
      });
      world.clock.advance((3600 + 899) * 1000);
      await expect(world.service.verifyAccessToken(token)).resolves.toEqual({
        userId: 'user-1',
        familyId: 'family-1',
      });
      world.clock.advance(1 * 1000);
      await expect(world.service.verifyAccessToken(token)).rejects.toMatchObject(kit.UNAUTHORIZED);
    });
  });
});
