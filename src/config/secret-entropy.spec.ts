import { randomBytes } from 'node:crypto';
import { estimateEntropyBits } from './secret-entropy';

describe('estimateEntropyBits', () => {
  it.each([
    ['openssl rand -base64 48', () => randomBytes(48).toString('base64')],
    ['openssl rand -hex 32', () => randomBytes(32).toString('hex')],
    ['openssl rand -base64 32', () => randomBytes(32).toString('base64')],
  ])('gives at least 128 bits to every one of 2000 outputs of `%s`', (_shape, generate) => {
    const weakest = Math.min(
      ...Array.from({ length: 2000 }, () => estimateEntropyBits(generate())),
    );

    expect(weakest).toBeGreaterThanOrEqual(128);
  });

  it.each([
    ['digits repeated', '0123456789'.repeat(4)],
    ['the alphabet repeated', 'abcdefghij'.repeat(4)],
    ['keyboard rows', 'qwertyuiopasdfghjklzxcvbnmqwertyuiop'],
    ['keyboard columns', '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/'],
    ['a number pad walk with its reverse', '789456123321654987789456123321654987'],
    ['one character', 'a'.repeat(64)],
    ['a lowercase phrase with a year', 'correcthorsebatterystaple2024isgreat'],
    ['a CamelCase phrase with a year', 'MyCompanyJwtSigningKeyForProduction2025!'],
    ['a longer CamelCase phrase with a year', 'ThisIsOurVeryLongProductionSigningPhrase2024'],
    ['a short pattern doubled', 'Summer2024!Summer2024!Summer2024!'],
  ])('gives less than 128 bits to %s', (_what, secret) => {
    expect(estimateEntropyBits(secret)).toBeLessThan(128);
  });

  it('counts random characters by the alphabet they come from', () => {
    // 40 random-looking characters of 95 possible: about 6.6 bits each.
    expect(estimateEntropyBits('q8Rv2LmT9#K4pZ7wNcB1sJ6hYdF3gA0eUo5iMk!x')).toBeGreaterThan(200);
  });
});
