import { Injectable } from '@nestjs/common';

/**
 * The one source of "now", and of waiting. Token expiry, code expiry, JWT
 * timestamps and polling intervals all go through it, so tests move time with
 * a fake clock instead of sleeping.
 */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
