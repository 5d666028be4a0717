import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountErasers } from './account-erasers';
import { AccountStanding } from './account-standing';
import { User } from './user.entity';
import { WechatAccount } from './wechat-account.entity';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';
import { WechatBindingsService } from './wechat-bindings.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, WechatAccount])],
  controllers: [UsersController],
  providers: [
    UsersRepository,
    UsersService,
    WechatBindingsService,
    AccountStanding,
    AccountErasers,
  ],
  exports: [UsersService, WechatBindingsService, AccountStanding, AccountErasers],
})
export class UsersModule {}
