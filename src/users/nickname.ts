import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsString, ValidateBy, ValidationArguments } from 'class-validator';

/** Nicknames are counted in Unicode code points, as MySQL counts the column's characters. */
export const NICKNAME_MAX_CHARACTERS = 32;

/**
 * Characters that move or hide text around a nickname wherever it is shown:
 * control characters (NUL, CR, LF, BEL…), line/paragraph separators, lone
 * surrogates (not storable as utf8mb4), and the bidi controls (embeddings,
 * overrides such as U+202E, isolates, LRM/RLM/ALM) that reorder the text
 * after them — "gnp.exe" tricks and spoofed names.
 */
const FORBIDDEN = /[\p{Cc}\p{Zl}\p{Zp}\p{Cs}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

/**
 * What renders as nothing: white space, format characters (zero-width space,
 * joiners, BOM, word joiner, soft hyphen, tags), combining marks and variation
 * selectors on their own, and the blank letters used as "invisible names"
 * (Hangul fillers, braille blank). A nickname made only of these is refused.
 */
const INVISIBLE = /[\p{White_Space}\p{Cf}\p{Mn}\p{Me}\u115F\u1160\u3164\uFFA0\u2800]/gu;

/** Why a (trimmed) nickname is refused, or undefined when it is acceptable. */
export function nicknameProblem(nickname: string): string | undefined {
  const length = [...nickname].length;
  if (length < 1 || length > NICKNAME_MAX_CHARACTERS) {
    return `nickname must be 1 to ${NICKNAME_MAX_CHARACTERS} characters after trimming`;
  }
  if (FORBIDDEN.test(nickname)) {
    return 'nickname must not contain control or bidirectional-formatting characters';
  }
  if (nickname.replace(INVISIBLE, '') === '') {
    return 'nickname must contain a visible character';
  }
  return undefined;
}

/** The nickname as it is stored: surrounding white space removed. */
export function normalizeNickname(value: unknown): unknown {
  return typeof value === 'string' ? value.trim() : value;
}

/**
 * The nickname rules of every route that takes one (registration, PATCH
 * /users/me): trimmed, then 1–32 code points, no control or bidi characters,
 * not invisible-only. A refusal is a 400 VALIDATION_FAILED.
 */
export function IsNickname(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }) => normalizeNickname(value)),
    IsString(),
    ValidateBy({
      name: 'isNickname',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && !nicknameProblem(value),
        defaultMessage: (args?: ValidationArguments) =>
          typeof args?.value === 'string'
            ? (nicknameProblem(args.value) ?? 'nickname is invalid')
            : 'nickname must be a string',
      },
    }),
  );
}
