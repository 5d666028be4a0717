import { Injectable } from '@nestjs/common';

/**
 * The one source of "now". Token expiry, code expiry and JWT timestamps all
 * read it, so tests can move time with a fake clock instead of sleeping.
 */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }
}
