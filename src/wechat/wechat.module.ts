import { HttpModule } from '@nestjs/axios';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DynamicModule, Module } from '@nestjs/common';
import { simulatorAdapter } from './simulator/simulator-http.adapter';
import { WechatSimulator } from './simulator/wechat-simulator';
import { WechatSimulatorModule } from './simulator/wechat-simulator.module';
import { AccessTokenFetcher } from './access-token.fetcher';
import { AccessTokenLease } from './access-token.lease';
import { AccessTokenGauges } from './access-token.metrics';
import { AccessTokenScheduler } from './access-token.scheduler';
import { AccessTokenService } from './access-token.service';
import { AccessTokenHealth } from './access-token.status';
import { AccessTokenStore } from './access-token.store';
import { ContentSecurityService } from './content-security.service';
import { NicknameScreen } from './nickname-screen';
import { WechatAccessToken } from './wechat-access-token.entity';
import { LoginSessionService } from './login-session.service';
import { PhoneService } from './phone.service';
import { WechatApiClient } from './wechat-api.client';
import { undiciAdapter, wechatDispatcher } from './undici-http.adapter';
import { WechatApps } from './wechat-app';
import { ResolveWechatAppPipe } from './wechat-app.decorator';

/** Concurrent connections to WeChat per instance; further calls wait for a free one. */
const WECHAT_MAX_SOCKETS = 64;

export interface WechatModuleOptions {
  /** Answer WeChat calls from the in-process simulator instead of the network. */
  simulator: boolean;
}

/**
 * Everything that talks to WeChat. The rest of the app sees the configured
 * apps (WechatApps, resolved per request by @CurrentWechatApp()), PhoneService,
 * LoginSessionService, the nickname screen and the token health; the HTTP
 * transport is the real network or, in simulator mode, the in-process stand-in.
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
              : // Reused connections (no TCP/TLS handshake per login) through
                // undici; the connection cap bounds what a slow WeChat can pile up.
                { adapter: undiciAdapter(wechatDispatcher(WECHAT_MAX_SOCKETS)) },
        }),
      ],
      providers: [
        WechatApps,
        ResolveWechatAppPipe,
        WechatApiClient,
        AccessTokenStore,
        AccessTokenFetcher,
        AccessTokenLease,
        AccessTokenService,
        AccessTokenScheduler,
        AccessTokenHealth,
        AccessTokenGauges,
        PhoneService,
        LoginSessionService,
        ContentSecurityService,
        { provide: NicknameScreen, useExisting: ContentSecurityService },
      ],
      exports: [
        WechatApps,
        ResolveWechatAppPipe,
        AccessTokenService,
        AccessTokenHealth,
        PhoneService,
        LoginSessionService,
        NicknameScreen,
      ],
    };
  }
}
