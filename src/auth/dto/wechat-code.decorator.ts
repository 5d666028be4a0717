import { applyDecorators } from '@nestjs/common';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** A WeChat one-time code: a non-empty string of at most 128 characters. */
export function IsWechatCode(): PropertyDecorator {
  // Checked in this order: a missing code is reported as "must be a string".
  return applyDecorators(IsString(), IsNotEmpty(), MaxLength(128));
}
