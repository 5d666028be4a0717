import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import sharp from 'sharp';
import { AppError } from '../common/app-error';
import { Semaphore } from '../common/semaphore';

/** What a client may upload: formats decoded as such, whatever the file name says. */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif']);

/**
 * The signatures of the accepted formats. Checked before sharp sees the
 * bytes, so libvips' other loaders (SVG, TIFF, HEIF, PDF…) never parse
 * anything a client sent.
 */
function hasAcceptedSignature(input: Buffer): boolean {
  const ascii = (start: number, end: number) => input.toString('latin1', start, end);
  return (
    (input[0] === 0xff && input[1] === 0xd8 && input[2] === 0xff) ||
    ascii(0, 8) === '\x89PNG\r\n\x1a\n' ||
    ascii(0, 6) === 'GIF87a' ||
    ascii(0, 6) === 'GIF89a' ||
    (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP')
  );
}
/** Larger images are refused before decoding: a small file can declare a huge canvas (a "bomb"). */
export const AVATAR_MAX_INPUT_PIXELS = 40_000_000;
/** The stored avatar fits in this square; phones show avatars at 40–120 pt. */
export const AVATAR_MAX_SIDE = 640;
/**
 * Images decoded at once, each with one libvips thread, in libuv's pool (off
 * the main thread). One keeps a core free for the event loop on a small
 * machine, and every decoding thread grows malloc arenas of its own: with two
 * at once the bench's peak RSS was ~15 MB higher for the same throughput
 * (bench/RESULTS.md). Uploads beyond it wait their turn.
 */
const CONCURRENT_ENCODES = 1;

export interface EncodedAvatar {
  /** Content hash (of the owner and the encoded bytes) + extension. */
  name: string;
  contentType: 'image/jpeg' | 'image/png';
  bytes: Buffer;
  width: number;
  height: number;
}

/**
 * Decodes an uploaded image and encodes a new one: at most 640×640, EXIF
 * orientation applied, every metadata chunk (EXIF/GPS, XMP, text, ICC)
 * dropped, since sharp keeps none unless asked. Opaque images become JPEG,
 * images with transparency PNG. Anything sharp cannot decode as one of the
 * accepted formats is a 422 AVATAR_INVALID, never a 500.
 */
@Injectable()
export class AvatarImages {
  private readonly encoding = new Semaphore(CONCURRENT_ENCODES);

  constructor() {
    // libvips' operation cache would keep decoded images of past uploads.
    sharp.cache(false);
    // One libvips thread per image (see CONCURRENT_ENCODES).
    sharp.concurrency(1);
  }

  encode(ownerId: string, input: Buffer): Promise<EncodedAvatar> {
    return this.encoding.run(() => this.reencode(ownerId, input));
  }

  private async reencode(ownerId: string, input: Buffer): Promise<EncodedAvatar> {
    if (input.length === 0) throw invalid('The file is empty');
    if (!hasAcceptedSignature(input)) {
      throw invalid('Only JPEG, PNG, WebP and GIF images are accepted');
    }
    // GIF: the first frame only (pages: 1 is sharp's default).
    const options = { limitInputPixels: AVATAR_MAX_INPUT_PIXELS, failOn: 'error' as const };
    const metadata = await sharp(input, options)
      .metadata()
      .catch(() => {
        throw invalid('The file is not an image');
      });
    if (!ACCEPTED_FORMATS.has(metadata.format)) {
      throw invalid('Only JPEG, PNG, WebP and GIF images are accepted');
    }
    if (metadata.width * metadata.height > AVATAR_MAX_INPUT_PIXELS) {
      throw invalid(`The image has more than ${AVATAR_MAX_INPUT_PIXELS / 1e6} megapixels`);
    }
    const pipeline = sharp(input, options)
      .rotate()
      .resize(AVATAR_MAX_SIDE, AVATAR_MAX_SIDE, { fit: 'inside', withoutEnlargement: true });
    const transparent = metadata.hasAlpha === true;
    try {
      const { data, info } = await (
        transparent
          ? pipeline.png({ compressionLevel: 9 })
          : pipeline.jpeg({ quality: 85, mozjpeg: true })
      ).toBuffer({ resolveWithObject: true });
      const extension = transparent ? 'png' : 'jpg';
      return {
        name: `${createHash('sha256').update(ownerId).update('\0').update(data).digest('hex').slice(0, 40)}.${extension}`,
        contentType: transparent ? 'image/png' : 'image/jpeg',
        bytes: data,
        width: info.width,
        height: info.height,
      };
    } catch {
      throw invalid('The image could not be decoded (damaged or truncated)');
    }
  }
}

function invalid(message: string): AppError {
  return new AppError('AVATAR_INVALID', message);
}
