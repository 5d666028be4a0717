import { ApiProperty } from '@nestjs/swagger';
import { User } from './user.entity';

/** What a client sees of a user. */
export class UserDto {
  @ApiProperty({ example: '1f0c7c52-8d0e-4a4b-b6f1-2b0c1a6e9d3f' })
  id: string;

  @ApiProperty({ example: '+8613800138000', description: 'E.164.' })
  phoneNumber: string;

  @ApiProperty({ example: '13800138000' })
  purePhoneNumber: string;

  @ApiProperty({ example: '86' })
  countryCode: string;

  @ApiProperty({ type: String, nullable: true, example: '小明' })
  nickname: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'https://thirdwx.qlogo.cn/avatar.png' })
  avatarUrl: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastLoginAt: string | null;

  static from(user: User): UserDto {
    return {
      id: user.id,
      phoneNumber: user.phoneNumber,
      purePhoneNumber: user.purePhoneNumber,
      countryCode: user.countryCode,
      nickname: user.nickname,
      avatarUrl: user.avatarUrl,
      createdAt: user.createdAt.toISOString(),
      lastLoginAt: user.lastLoginAt ? user.lastLoginAt.toISOString() : null,
    };
  }
}
