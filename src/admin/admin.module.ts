import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountModule } from '../account/account.module';
import { AuthModule } from '../auth/auth.module';
import { User } from '../users/user.entity';
import { UsersModule } from '../users/users.module';
import { WechatAccount } from '../users/wechat-account.entity';
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
    // DELETE /admin/users/{id} runs the same deletion as DELETE /users/me.
    AccountModule,
    TypeOrmModule.forFeature([User, WechatAccount, AdminAudit]),
  ],
  controllers: [OperatorPageController, AdminUsersController, AdminWechatController],
  providers: [AdminTokenGuard, AdminAuditLog, AdminUsersService],
})
export class AdminModule {}
