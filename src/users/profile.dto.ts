import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUrl, Length, MaxLength } from 'class-validator';

/** What a user may say about themself: at registration and in PATCH /users/me. */
export class ProfileDto {
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
