import sharp from 'sharp';
import { AppError } from '../common/app-error';
import { AvatarImages } from './avatar-image';

const images = new AvatarImages();

function solid(width: number, height: number, channels: 3 | 4 = 3) {
  return sharp({
    create: { width, height, channels, background: { r: 200, g: 40, b: 90, alpha: 0.5 } },
  });
}

async function refusal(input: Buffer): Promise<AppError> {
  const error = await images.encode('user-1', input).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe('AVATAR_INVALID');
  return error as AppError;
}

describe('AvatarImages.encode', () => {
  it('applies the EXIF orientation before dropping it (a portrait photo stays upright)', async () => {
    // 200×100 pixels stored sideways, with "rotate 90° to show" (orientation 6).
    const sideways = await solid(200, 100).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const avatar = await images.encode('user-1', sideways);
    expect([avatar.width, avatar.height]).toEqual([100, 200]);
    expect((await sharp(avatar.bytes).metadata()).orientation).toBeUndefined();
  });

  it('drops ICC profiles, XMP and text chunks along with EXIF', async () => {
    const tagged = await solid(80, 80)
      .png()
      .withIccProfile('p3')
      .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-xmp</x:xmpmeta>')
      .toBuffer();
    expect((await sharp(tagged).metadata()).icc).toBeDefined();
    const avatar = await images.encode('user-1', tagged);
    const metadata = await sharp(avatar.bytes).metadata();
    expect([metadata.icc, metadata.xmp, metadata.exif]).toEqual([undefined, undefined, undefined]);
    expect(avatar.bytes.includes('secret-xmp')).toBe(false);
  });

  it('shrinks to fit 640×640, never enlarges, and keeps transparency as PNG', async () => {
    const big = await images.encode('user-1', await solid(1600, 900).png().toBuffer());
    expect([big.width, big.height, big.contentType]).toEqual([640, 360, 'image/jpeg']);
    const small = await images.encode('user-1', await solid(64, 48, 4).webp().toBuffer());
    expect([small.width, small.height, small.contentType]).toEqual([64, 48, 'image/png']);
    expect(small.name).toMatch(/^[a-f0-9]{40}\.png$/);
  });

  it('names an image by its owner and its bytes', async () => {
    const input = await solid(50, 50).png().toBuffer();
    const [a, b, c] = await Promise.all([
      images.encode('user-1', input),
      images.encode('user-1', input),
      images.encode('user-2', input),
    ]);
    expect(a.name).toBe(b.name);
    expect(c.name).not.toBe(a.name);
  });

  it('refuses formats outside JPEG, PNG, WebP and GIF before decoding them', async () => {
    await refusal(await solid(10, 10).tiff().toBuffer());
    await refusal(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'));
    await refusal(Buffer.from('BM' + 'x'.repeat(60)));
  });
});
