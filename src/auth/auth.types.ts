import type { UserDto } from '../users/user.dto';
import type { AccessToken } from './tokens/token.service';

/** What the login flows answer and take (AuthService). */
export interface SessionPair extends AccessToken {
  refreshToken: string;
}

export interface LoginResult extends SessionPair {
  user: UserDto;
  /** Whether the WeChat account of the loginCode was bound; present whenever one was sent. */
  wechatAccountBound?: boolean;
}

export interface Registration {
  registrationTicket: string;
  nickname?: string;
  avatarUrl?: string;
  /** An uploaded image (multipart registration), re-encoded and stored as the avatar. */
  avatarImage?: Buffer;
  loginCode?: string;
}
