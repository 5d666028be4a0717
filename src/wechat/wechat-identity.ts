/** A WeChat user as wx.login reveals them in one mini-program. */
export interface WechatIdentity {
  /** Per mini-program. */
  openid: string;
  /** Per Open Platform account; only when the mini-program is bound to one. */
  unionid?: string;
}

/** A WeChat identity and the mini-program it was seen in (the openid means nothing without it). */
export interface WechatIdentityInApp extends WechatIdentity {
  appId: string;
}
