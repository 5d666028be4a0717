import { Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock';
import { wechatConfig } from '../../config/wechat.config';
import { SimulatorController } from './simulator.controller';
import { WechatSimulator } from './wechat-simulator';

@Module({
  controllers: [SimulatorController],
  providers: [
    {
      provide: WechatSimulator,
      inject: [Clock, wechatConfig.KEY],
      useFactory: (clock: Clock, config: ConfigType<typeof wechatConfig>) =>
        new WechatSimulator(clock, config.apps, { riskyWords: config.simulatorRiskyWords }),
    },
  ],
  exports: [WechatSimulator],
})
export class WechatSimulatorModule implements OnApplicationBootstrap {
  onApplicationBootstrap(): void {
    new Logger('WechatSimulator').warn(
      'WeChat simulator is ON (no WECHAT_APPID set): mint codes with POST /__wechat-sim/phone-codes. Never use this in production.',
    );
  }
}
