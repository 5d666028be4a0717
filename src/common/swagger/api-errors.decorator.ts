import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ERROR_CODES, ErrorCode } from '../error-codes';
import { ErrorBodyDto } from './error-body.dto';

/**
 * Documents the error answers of a route from the one list of error codes:
 * one response per HTTP status, naming every `code` it can carry.
 */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ApiExtraModels(ErrorBodyDto),
    ...[...byStatus].map(([status, group]) =>
      ApiResponse({
        status,
        description: group
          .map((code) => `\`${code}\`: ${ERROR_CODES[code].description}`)
          .join('\n\n'),
        schema: {
          allOf: [
            { $ref: getSchemaPath(ErrorBodyDto) },
            {
              properties: {
                statusCode: { type: 'number', enum: [status] },
                code: { type: 'string', enum: group },
              },
            },
          ],
        },
      }),
    ),
  );
}
