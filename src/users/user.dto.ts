import { ApiProperty } from '@nestjs/swagger';
import type { AvatarLinks } from '../avatars/avatar-links';
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

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'https://api.example.com/avatars/3f0c6e2a9b7d41c5a8e0f1d2c3b4a5968778695a.jpg',
    description:
      'An avatar uploaded here (`/avatars/…`, absolute when the server has PUBLIC_BASE_URL), or a WeChat avatar URL.',
  })
  avatarUrl: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastLoginAt: string | null;

  /** `links` makes an uploaded avatar's path the URL clients load it from. */
  static from(user: User, links: AvatarLinks): UserDto {
    return {
      id: user.id,
      phoneNumber: user.phoneNumber,
      purePhoneNumber: user.purePhoneNumber,
      countryCode: user.countryCode,
      nickname: user.nickname,
      avatarUrl: links.publicUrl(user.avatarUrl),
      createdAt: user.createdAt.toISOString(),
      lastLoginAt: user.lastLoginAt ? user.lastLoginAt.toISOString() : null,
    };
  }
}
