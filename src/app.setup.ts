import type { Server } from 'node:http';
import { INestApplication, ValidationError, ValidationPipe } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppError } from './common/app-error';
import { bodyParserErrors, rejectHostileBodies, requireJsonBody } from './common/http/body-parsing';
import { AllExceptionsFilter } from './common/http/exception.filters';
import { requestIdMiddleware } from './common/http/request-id';
import { appConfig } from './config/app.config';
import { serverConfig } from './config/server.config';

export const BODY_LIMIT = '16kb';

const API_DESCRIPTION = `
One-tap phone-number login for WeChat mini-programs.

**The flow**
1. The mini-program shows \`<button open-type="getPhoneNumber">\`; the user taps it and WeChat hands the page a one-time \`code\`.
2. \`POST /auth/wechat/phone-login { code }\`: we exchange the code with WeChat for the verified phone number.
   * registered → **200** with \`accessToken\`, \`refreshToken\` and \`user\`;
   * not registered → **404 \`PHONE_NOT_REGISTERED\`** with \`phoneNumber\` and a \`registrationTicket\`.
3. \`POST /auth/wechat/register { registrationTicket, nickname?, avatarUrl? }\` → **201** with tokens; or the same as
   \`multipart/form-data\` with the chosen avatar as file part \`avatar\` (what \`wx.uploadFile\` sends).
4. \`GET /users/me\` with \`Authorization: Bearer <accessToken>\`; \`PUT /users/me/avatar\` (multipart) changes the avatar,
   served at \`GET /avatars/{name}\`.

**Try it here (simulator mode)**: \`POST /__wechat-sim/phone-codes { "phoneNumber": "13800138000" }\` gives a code as the
phone button would; use it in phone-login, then register with the ticket from the 404, then log in again with a fresh code.

Every error has the body \`{ statusCode, error, code, message, requestId }\`; switch on \`code\`.
`;

/**
 * Everything main.ts adds to the app, in one place, so the e2e tests run
 * exactly what production runs.
 */
export function configureApp(app: NestExpressApplication): INestApplication {
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  app.useLogger(app.get(Logger));
  limitSlowClients(app.getHttpServer(), app.get<ConfigType<typeof serverConfig>>(serverConfig.KEY));

  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(requestIdMiddleware);
  // Answers carry tokens, tickets and phone numbers, and nothing here is meant
  // to be cached: every response says no-store, errors included. A route that
  // serves public content sets its own Cache-Control over this default.
  app.use(noStore);
  app.use(
    helmet({
      // Outside production the app is reached over plain http (localhost, a
      // LAN address): upgrading Swagger UI's assets to https would blank it.
      contentSecurityPolicy: config.isProduction
        ? undefined
        : { directives: { upgradeInsecureRequests: null } },
    }),
  );
  if (config.corsOrigins.length > 0) {
    app.enableCors({ origin: config.corsOrigins, exposedHeaders: ['X-Request-Id', 'Retry-After'] });
  }
  app.use(requireJsonBody);
  app.useBodyParser('json', { limit: BODY_LIMIT });
  app.use(bodyParserErrors);
  app.use(rejectHostileBodies);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      stopAtFirstError: true,
      transform: true,
      exceptionFactory: (errors) => {
        const messages = flatten(errors);
        return new AppError(
          'VALIDATION_FAILED',
          messages.join('; ') || 'The request is malformed',
          {
            details: { errors: messages },
          },
        );
      },
    }),
  );
  app.useGlobalFilters(new AllExceptionsFilter());

  if (config.swaggerEnabled) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('wx-phone-login')
        .setDescription(API_DESCRIPTION)
        .setVersion('0.1.0')
        .addBearerAuth()
        .build(),
    );
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  }
  return app;
}

function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}

/**
 * A client that sends its request slowly (or stalls mid-body) holds a socket:
 * Node would wait 5 minutes for the request. It gets a 408 and the connection
 * closes once `HTTP_REQUEST_TIMEOUT` has passed. Node checks these limits on a
 * timer, run often enough that the limit is kept to within a second.
 */
function limitSlowClients(server: Server, limits: ConfigType<typeof serverConfig>): void {
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = limits.headersTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // Read when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    Math.min(1000, limits.headersTimeoutMs / 4);
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const path = prefix + error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      prefix ? `${path}: ${message}` : message,
    );
    return [...own, ...flatten(error.children ?? [], `${path}.`)];
  });
}
