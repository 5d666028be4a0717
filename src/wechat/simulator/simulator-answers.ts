import { randomBytes } from 'node:crypto';

export interface SimulatorAnswer {
  status: number;
  body: Record<string, unknown>;
}

export function ok(body: Record<string, unknown>): SimulatorAnswer {
  return { status: 200, body: { errcode: 0, errmsg: 'ok', ...body } };
}

/** WeChat's error answer; its errmsg ends with a request id (`rid`), as WeChat's do. */
export function error(errcode: number, errmsg: string): SimulatorAnswer {
  return {
    status: 200,
    body: { errcode, errmsg: `${errmsg} rid: ${randomBytes(12).toString('hex')}` },
  };
}

export function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/**
 * The credential checks of the token endpoints and jscode2session. A wrong
 * secret is 40001 on classic `/cgi-bin/token` and 40125 elsewhere, as WeChat
 * documents each endpoint.
 */
export function checkCredentials(
  secrets: ReadonlyMap<string, string>,
  request: { grantType: unknown; appid: unknown; secret: unknown },
  wrongSecretErrcode = 40125,
): SimulatorAnswer | undefined {
  if (request.grantType !== 'client_credential') return error(40002, 'invalid grant_type');
  const { appid, secret } = request;
  if (typeof appid !== 'string' || !secrets.has(appid)) return error(40013, 'invalid appid');
  if (secret !== secrets.get(appid)) {
    return wrongSecretErrcode === 40001
      ? error(40001, 'AppSecret error or AppSecret does not belong to this appid')
      : error(40125, 'invalid appsecret');
  }
  return undefined;
}
