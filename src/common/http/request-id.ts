import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const CLIENT_ID = /^[\w.:-]{1,128}$/;

const requestIds = new WeakMap<Request, string>();

/**
 * Every response carries X-Request-Id: the client's own when it sent a sane
 * one (so a gateway's id flows through), otherwise a new UUID.
 */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const sent = req.header(REQUEST_ID_HEADER);
  const id = sent !== undefined && CLIENT_ID.test(sent) ? sent : randomUUID();
  requestIds.set(req, id);
  res.setHeader(REQUEST_ID_HEADER, id);
  next();
}

export function requestIdOf(req: Request): string {
  return requestIds.get(req) ?? 'unknown';
}
