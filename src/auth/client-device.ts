import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** The longest label stored (refresh_tokens.device). */
const MAX_LABEL = 64;

/**
 * A short, human label of the client a login came from, for the user's
 * sessions list: the WeChat client and platform, and the phone model when
 * the User-Agent names one. Null without a User-Agent. Never the IP.
 *
 * WeChat's mini-program User-Agents carry `MicroMessenger/<version>` and, on
 * recent clients, `MiniProgramEnv/<android|Windows|Mac>`; iOS says
 * `iPhone`/`iPad`, Android `Android <n>; <model> Build/…`, and the
 * developer tools `wechatdevtools/<version>`.
 */
export function deviceLabel(userAgent: string | undefined): string | null {
  const ua = userAgent?.trim();
  if (!ua) return null;
  const wechat = /MicroMessenger\//i.test(ua);
  const platform = platformOf(ua);
  const label = /wechatdevtools/i.test(ua)
    ? 'WeChat DevTools'
    : wechat
      ? `WeChat ${platform ?? 'client'}`
      : (platform ?? 'Other client');
  const model = modelOf(ua);
  return clean(model && !/wechatdevtools/i.test(ua) ? `${label} (${model})` : label);
}

function platformOf(ua: string): string | undefined {
  if (/iPhone|iPad|iPod|iOS/i.test(ua)) return 'iOS';
  if (/Android/i.test(ua)) return 'Android';
  if (/HarmonyOS|OpenHarmony/i.test(ua)) return 'HarmonyOS';
  if (/MiniProgramEnv\/Windows|Windows/i.test(ua)) return 'Windows';
  if (/MiniProgramEnv\/Mac|Macintosh|Mac OS X/i.test(ua)) return 'macOS';
  if (/Linux/i.test(ua)) return 'Linux';
  return undefined;
}

function modelOf(ua: string): string | undefined {
  const apple = /\b(iPhone|iPad|iPod)\b/.exec(ua);
  if (apple) return apple[1];
  // "Android 13; PGT-AN10 Build/HONORPGT-AN10; wv" → PGT-AN10
  const android = /Android [\d.]+;\s*([^;)]+?)\s+Build\//.exec(ua);
  return android?.[1];
}

/** Printable ASCII and CJK only, at most MAX_LABEL characters: a header is attacker-chosen text. */
function clean(label: string): string {
  return label
    .replace(/[^\x20-\x7e\u4e00-\u9fff]/g, '')
    .slice(0, MAX_LABEL)
    .trim();
}

/** The device label of this request's User-Agent (see deviceLabel). */
export const ClientDevice = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string | null =>
    deviceLabel(ctx.switchToHttp().getRequest<Request>().header('user-agent')),
);
