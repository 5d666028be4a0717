import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { HttpModule } from '@nestjs/axios';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DynamicModule, Module } from '@nestjs/common';
import { simulatorAdapter } from './simulator/simulator-http.adapter';
import { WechatSimulator } from './simulator/wechat-simulator';
import { WechatSimulatorModule } from './simulator/wechat-simulator.module';
import { AccessTokenFetcher } from './access-token.fetcher';
import { AccessTokenService } from './access-token.service';
import { AccessTokenStore } from './access-token.store';
import { ContentSecurityService } from './content-security.service';
import { NicknameScreen } from './nickname-screen';
import { WechatAccessToken } from './wechat-access-token.entity';
import { LoginSessionService } from './login-session.service';
import { PhoneService } from './phone.service';
import { WechatApiClient } from './wechat-api.client';

/** Concurrent connections to WeChat per instance; further calls wait for a free one. */
const WECHAT_MAX_SOCKETS = 64;

export interface WechatModuleOptions {
  /** Answer WeChat calls from the in-process simulator instead of the network. */
  simulator: boolean;
}

/**
 * Everything that talks to WeChat. The rest of the app sees only
 * PhoneService and AccessTokenService; the HTTP transport is the real network
 * or, in simulator mode, the in-process stand-in.
 */
@Module({})
export class WechatModule {
  static forRoot(options: WechatModuleOptions): DynamicModule {
    const simulatorImports = options.simulator ? [WechatSimulatorModule] : [];
    return {
      module: WechatModule,
      // Global so feature modules can use PhoneService without re-importing forRoot().
      global: true,
      imports: [
        TypeOrmModule.forFeature([WechatAccessToken]),
        ...simulatorImports,
        HttpModule.registerAsync({
          imports: simulatorImports,
          inject: options.simulator ? [WechatSimulator] : [],
          useFactory: (simulator?: WechatSimulator) =>
            simulator
              ? { adapter: simulatorAdapter(simulator) }
              : {
                  // Reused connections: no TCP/TLS handshake per login. The
                  // socket cap bounds what a slow WeChat can pile up.
                  httpAgent: new HttpAgent({ keepAlive: true, maxSockets: WECHAT_MAX_SOCKETS }),
                  httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: WECHAT_MAX_SOCKETS }),
                },
        }),
      ],
      providers: [
        WechatApiClient,
        AccessTokenStore,
        AccessTokenFetcher,
        AccessTokenService,
        PhoneService,
        LoginSessionService,
        ContentSecurityService,
        { provide: NicknameScreen, useExisting: ContentSecurityService },
      ],
      exports: [AccessTokenService, PhoneService, LoginSessionService, NicknameScreen],
    };
  }
}
