import request from 'supertest';

/** The admin token the admin suites boot their apps with (32+ characters, as production wants). */
export const ADMIN_TOKEN = 'e2e-admin-token-7c1f9a3be2d54f60a8b7c6d5e4f3a2b1';

/** Requests to an app's admin API, with the admin token. */
export function adminClient(url: string) {
  const auth = (req: request.Test) => req.set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  return {
    get: (path: string) => auth(request(url).get(path)),
    post: (path: string, body: object = {}) => auth(request(url).post(path)).send(body),
    delete: (path: string) => auth(request(url).delete(path)),
  };
}
