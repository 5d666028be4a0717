import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/public.decorator';
import { AppError } from '../common/app-error';
import { ApiErrors } from '../common/swagger/api-errors.decorator';
import { AvatarStore } from './avatar-store';

/** A stored avatar's name: the only thing worth a database lookup. */
const AVATAR_NAME = /^[a-f0-9]{40}\.(?:jpg|png)$/;

@ApiTags('avatars')
@Public()
@Controller('avatars')
export class AvatarsController {
  constructor(private readonly store: AvatarStore) {}

  @Get(':name')
  @ApiOperation({
    summary: 'An uploaded avatar (the path of a user’s avatarUrl)',
    description:
      'Public, like any profile picture. The name changes whenever the image does, so the answer may be cached forever ' +
      '(`Cache-Control: public, max-age=31536000, immutable`); `If-None-Match` with the ETag → 304. ' +
      'A replaced or deleted avatar → 404.',
  })
  @ApiParam({ name: 'name', example: '3f0c6e2a9b7d41c5a8e0f1d2c3b4a5968778695a.jpg' })
  @ApiProduces('image/jpeg', 'image/png')
  @ApiOkResponse({ description: 'The image', schema: { type: 'string', format: 'binary' } })
  @ApiResponse({
    status: 304,
    description: 'Not modified: the ETag sent in If-None-Match is current.',
  })
  @ApiErrors('NOT_FOUND', 'TOO_MANY_REQUESTS', 'DATABASE_UNAVAILABLE', 'INTERNAL_ERROR')
  async serve(
    @Param('name') name: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const avatar = AVATAR_NAME.test(name) ? await this.store.get(name) : null;
    if (!avatar) throw new AppError('NOT_FOUND', 'No such avatar');
    const etag = `"${name.slice(0, name.indexOf('.'))}"`;
    // Overrides the app-wide no-store: this content is public and never changes under its name.
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('ETag', etag);
    // Shown by pages of other origins too (an admin page, a web client).
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    const ifNoneMatch = req.header('if-none-match');
    if (ifNoneMatch !== undefined && matches(ifNoneMatch, etag)) {
      res.status(304).end();
      return;
    }
    res
      .status(200)
      .type(avatar.contentType)
      .setHeader('Content-Length', String(avatar.bytes.length));
    res.end(avatar.bytes);
  }
}

/** RFC 9110 If-None-Match: `*`, or a list of (possibly weak) entity tags. */
function matches(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}
