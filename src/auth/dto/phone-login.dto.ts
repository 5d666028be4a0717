import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class PhoneLoginDto {
  @ApiProperty({
    description:
      'The code from `<button open-type="getPhoneNumber">` (or getRealtimePhoneNumber). Not the wx.login code. Single-use, 5 minutes.',
    example: 'e31968a7f94cc5ee25fafc2aef2773f0bb8c3937b22520eb8ee345274d00c144',
    maxLength: 128,
  })
  // Checked bottom-up: a missing code is reported as "must be a string".
  @MaxLength(128)
  @IsNotEmpty()
  @IsString()
  code: string;
}
