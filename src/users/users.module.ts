import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AvatarsModule } from '../avatars/avatars.module';
import { AccountStanding } from './account-standing';
import { User } from './user.entity';
import { WechatAccount } from './wechat-account.entity';
import { UserAvatarsService } from './user-avatars.service';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';
import { WechatAccountsRepository } from './wechat-accounts.repository';
import { WechatBindingsService } from './wechat-bindings.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, WechatAccount]), AvatarsModule],
  controllers: [UsersController],
  providers: [
    UsersRepository,
    WechatAccountsRepository,
    UsersService,
    UserAvatarsService,
    WechatBindingsService,
    AccountStanding,
  ],
  exports: [
    UsersService,
    UserAvatarsService,
    WechatBindingsService,
    AccountStanding,
    AvatarsModule,
  ],
})
export class UsersModule {}
