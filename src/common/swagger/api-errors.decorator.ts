import { STATUS_CODES } from 'node:http';
import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ERROR_CODES, ErrorCode } from '../error-codes';
import { ErrorBodyDto, LegacyErrorDataDto } from './error-body.dto';

const EXAMPLE_REQUEST_ID = 'c0a8012e-5b7f-4a53-9f0a-3c7a2f9b1e11';

/** One documented response per HTTP status, naming every `code` it can carry. */
function responsesByStatus(
  codes: ErrorCode[],
  response: (status: number, group: ErrorCode[]) => { schema: SchemaObject; example: object },
): MethodDecorator[] {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return [...byStatus].map(([status, group]) => {
    const { schema, example } = response(status, group);
    return ApiResponse({
      status,
      description: group
        .map((code) => `\`${code}\`: ${ERROR_CODES[code].description}`)
        .join('\n\n'),
      content: { 'application/json': { schema, example } },
    });
  });
}

/** Documents a route's error answers from the one list of error codes (README, "API"). */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ErrorBodyDto),
    ...responsesByStatus(codes, (status, group) => ({
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
      example: {
        statusCode: status,
        error: STATUS_CODES[status],
        code: group[0],
        message: ERROR_CODES[group[0]].description,
        requestId: EXAMPLE_REQUEST_ID,
      },
    })),
  );
}

/**
 * The same for the compatibility route /getPhoneNumber, whose errors are
 * `{ data: { code, msg, errorCode, requestId, ... } }` with the same HTTP status.
 */
export function ApiLegacyErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(LegacyErrorDataDto),
    ...responsesByStatus(codes, (status, group) => ({
      schema: {
        type: 'object',
        required: ['data'],
        properties: {
          data: {
            allOf: [
              { $ref: getSchemaPath(LegacyErrorDataDto) },
              {
                properties: {
                  code: { type: 'number', enum: [status] },
                  errorCode: { type: 'string', enum: group },
                },
              },
            ],
          },
        },
      },
      example: {
        data: {
          code: status,
          msg: ERROR_CODES[group[0]].description,
          errorCode: group[0],
          requestId: EXAMPLE_REQUEST_ID,
        },
      },
    })),
  );
}
