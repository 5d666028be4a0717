import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

class ForApp {
  @ApiPropertyOptional({ description: 'A simulated mini-program; the primary one when omitted.' })
  @Length(1, 64)
  @IsString()
  @IsOptional()
  appId?: string;
}

export class MintPhoneCodeDto extends ForApp {
  @ApiProperty({
    example: '13800138000',
    description: 'National number, or E.164 (`+8613800138000`).',
  })
  @IsString()
  @Matches(/^\+?[\d\s-]{4,24}$/, {
    message: 'phoneNumber must be digits, optionally with a leading +',
  })
  phoneNumber: string;

  @ApiPropertyOptional({ example: '86', default: '86' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,4}$/, { message: 'countryCode must be 1-4 digits' })
  countryCode?: string;
}

export class MintLoginCodeDto extends ForApp {
  @ApiPropertyOptional({ description: 'Random when omitted.', example: 'o_sim_alice' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  openid?: string;

  @ApiPropertyOptional({ example: 'u_sim_alice' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  unionid?: string;
}

export class MintedCodeDto {
  @ApiProperty({ description: 'Single-use, valid for 5 minutes.' })
  code: string;
}
