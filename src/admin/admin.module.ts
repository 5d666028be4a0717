import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { RefreshToken } from '../auth/tokens/refresh-token.entity';
import { User } from '../users/user.entity';
import { UsersModule } from '../users/users.module';
import { WechatAccount } from '../users/wechat-account.entity';
import { AccountDeletion, InterimAccountDeletion } from './account-deletion';
import { AdminAudit } from './admin-audit.entity';
import { AdminAuditLog } from './admin-audit.log';
import { AdminTokenGuard } from './admin-token.guard';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';
import { AdminWechatController } from './admin-wechat.controller';
import { OperatorPageController } from './operator-page.controller';

/**
 * /admin/*: the operator's API and page. Imported by AppModule only when
 * ADMIN_TOKEN is set; otherwise none of these routes exist (404).
 */
@Module({
  imports: [
    UsersModule,
    AuthModule,
    TypeOrmModule.forFeature([User, WechatAccount, RefreshToken, AdminAudit]),
  ],
  controllers: [OperatorPageController, AdminUsersController, AdminWechatController],
  providers: [
    AdminTokenGuard,
    AdminAuditLog,
    AdminUsersService,
    // Until the account-lifecycle deletion provides AccountDeletion (see account-deletion.ts).
    { provide: AccountDeletion, useClass: InterimAccountDeletion },
  ],
})
export class AdminModule {}
