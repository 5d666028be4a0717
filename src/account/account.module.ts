import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { UsersModule } from '../users/users.module';
import { AccountDeletionRecord } from './account-deletion.entity';
import { AccountDeletion } from './account-deletion.service';
import { AccountController } from './account.controller';
import { AccountService } from './account.service';

/**
 * The account lifecycle: phone change, device sessions, export and deletion.
 * AccountDeletion is exported for an operator's deletion of a user.
 */
@Module({
  imports: [UsersModule, AuthModule, TypeOrmModule.forFeature([AccountDeletionRecord])],
  controllers: [AccountController],
  providers: [AccountService, AccountDeletion],
  exports: [AccountDeletion],
})
export class AccountModule {}
