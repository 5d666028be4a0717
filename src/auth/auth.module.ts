import { createSecretKey } from 'node:crypto';
import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { jwtConfig } from '../config/jwt.config';
import { UsersModule } from '../users/users.module';
import { AccessTokenGuard } from './access-token.guard';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { LegacyPhoneController } from './legacy-phone.controller';
import { PhoneProofBindings } from './phone-proof-bindings';
import { RegistrationTicketUse } from './registration-ticket-use.entity';
import { RefreshFamilies } from './tokens/refresh-families';
import { RefreshToken } from './tokens/refresh-token.entity';
import { RefreshTokenRepository } from './tokens/refresh-token.repository';
import { RefreshTokenService } from './tokens/refresh-token.service';
import { TokenService } from './tokens/token.service';
import { SessionController } from './session.controller';

@Module({
  imports: [
    UsersModule,
    TypeOrmModule.forFeature([RegistrationTicketUse, RefreshToken]),
    JwtModule.registerAsync({
      inject: [jwtConfig.KEY],
      useFactory: (config: ConfigType<typeof jwtConfig>) => ({
        // A KeyObject, not the string: jsonwebtoken would otherwise try to parse the
        // string as a PEM private key (and fail) on every sign and verify, a cost paid per request.
        secret: createSecretKey(Buffer.from(config.secret, 'utf8')),
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController, SessionController, LegacyPhoneController],
  providers: [
    AuthService,
    PhoneProofBindings,
    TokenService,
    RefreshTokenRepository,
    RefreshTokenService,
    RefreshFamilies,
    { provide: APP_GUARD, useClass: AccessTokenGuard },
  ],
  // The account lifecycle (sessions list, export, deletion) and the admin API
  // (revoking a user's sessions through the same service as logout).
  exports: [RefreshFamilies, RefreshTokenService],
})
export class AuthModule {}
