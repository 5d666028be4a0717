import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountStanding } from './account-standing';
import { User } from './user.entity';
import { WechatAccount } from './wechat-account.entity';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';
import { WechatAccountsRepository } from './wechat-accounts.repository';
import { WechatBindingsService } from './wechat-bindings.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, WechatAccount])],
  controllers: [UsersController],
  providers: [
    UsersRepository,
    WechatAccountsRepository,
    UsersService,
    WechatBindingsService,
    AccountStanding,
  ],
  exports: [UsersService, WechatBindingsService, AccountStanding],
})
export class UsersModule {}
