import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, IsUrl, Length, MaxLength } from 'class-validator';

export class RegisterDto {
  @ApiProperty({
    description:
      'From the 404 PHONE_NOT_REGISTERED answer of phone-login. Single-use, 10 minutes by default.',
  })
  @MaxLength(2048)
  @IsNotEmpty()
  @IsString()
  registrationTicket: string;

  @ApiPropertyOptional({ example: '小明', minLength: 1, maxLength: 32 })
  @Length(1, 32)
  @IsString()
  @IsOptional()
  nickname?: string;

  @ApiPropertyOptional({
    example: 'https://thirdwx.qlogo.cn/mmopen/avatar.png',
    description: 'https URL, at most 512 characters.',
    maxLength: 512,
  })
  @IsUrl({ protocols: ['https'], require_protocol: true })
  @MaxLength(512)
  @IsString()
  @IsOptional()
  avatarUrl?: string;
}
