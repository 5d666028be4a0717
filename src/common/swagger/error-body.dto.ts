import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CODES } from '../error-codes';

/** The shape of every error answer (README, "API"). */
export class ErrorBodyDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request', description: 'The HTTP reason phrase.' })
  error: string;

  @ApiProperty({
    enum: Object.keys(ERROR_CODES),
    description: 'Stable and machine-readable: switch on this, never on `message`.',
  })
  code: string;

  @ApiProperty({ example: 'code must be a non-empty string' })
  message: string;

  @ApiProperty({
    example: 'c0a8012e-5b7f-4a53-9f0a-3c7a2f9b1e11',
    description: 'Also in the X-Request-Id header; quote it when reporting a problem.',
  })
  requestId: string;
}

/** `data` of an error on the compatibility route /getPhoneNumber. */
export class LegacyErrorDataDto {
  @ApiProperty({ example: 401, description: 'The HTTP status, repeated.' })
  code: number;

  @ApiProperty({
    example: 'The WeChat code is invalid, expired or already used; ask the user to tap again',
  })
  msg: string;

  @ApiProperty({
    enum: Object.keys(ERROR_CODES),
    description: "The main route's `code`: switch on this, never on `msg`.",
  })
  errorCode: string;

  @ApiProperty({ example: 'c0a8012e-5b7f-4a53-9f0a-3c7a2f9b1e11' })
  requestId: string;

  @ApiPropertyOptional({ type: [String], description: 'VALIDATION_FAILED: each problem.' })
  errors?: string[];

  @ApiPropertyOptional({ example: '+8613800138000', description: 'PHONE_NOT_REGISTERED only.' })
  phoneNumber?: string;

  @ApiPropertyOptional({ example: '13800138000', description: 'PHONE_NOT_REGISTERED only.' })
  purePhoneNumber?: string;

  @ApiPropertyOptional({ example: '86', description: 'PHONE_NOT_REGISTERED only.' })
  countryCode?: string;

  @ApiPropertyOptional({
    description: 'PHONE_NOT_REGISTERED only: for POST /auth/wechat/register.',
  })
  registrationTicket?: string;

  @ApiPropertyOptional({ example: 600, description: 'PHONE_NOT_REGISTERED only, seconds.' })
  registrationTicketExpiresIn?: number;
}
