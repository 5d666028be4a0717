import type { WechatApp } from './wechat-app';

/** Who wrote a nickname: the mini-program, and the user's openid there when one is known. */
export interface NicknameAuthor {
  app: WechatApp;
  openid?: string;
  /** Names the request in log lines, e.g. `user 3f2a…` or `registration of 138****8000`. */
  label: string;
}

/**
 * What the auth and users modules need from content security: refuse a
 * nickname WeChat calls risky (422 NICKNAME_REJECTED), accept anything else.
 * An abstract class so it serves as the injection token too.
 */
export abstract class NicknameScreen {
  abstract screenNickname(nickname: string, author: NicknameAuthor): Promise<void>;
}
