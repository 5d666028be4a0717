import { ApiProperty } from '@nestjs/swagger';
import { ERROR_CODES } from '../error-codes';

/** The shape of every error answer (CONTRACT §2). */
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
