import { Injectable, Logger } from '@nestjs/common';
import { RefreshFamilies } from '../auth/tokens/refresh-families';
import { AvatarLinks } from '../avatars/avatar-links';
import { AppError } from '../common/app-error';
import { Clock } from '../common/clock';
import { maskPhone } from '../common/mask';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { PhoneService } from '../wechat/phone.service';
import type { WechatApp } from '../wechat/wechat-app';
import {
  AccountExportDto,
  DeviceSessionDto,
  ExportedSessionDto,
  ExportedUserDto,
  ExportedWechatAccountDto,
} from './account.dto';

/** The user's own account: their number, their devices, their data. */
@Injectable()
export class AccountService {
  private readonly logger = new Logger(AccountService.name);

  constructor(
    private readonly users: UsersService,
    private readonly phones: PhoneService,
    private readonly families: RefreshFamilies,
    private readonly clock: Clock,
    private readonly links: AvatarLinks,
  ) {}

  /** A fresh phone code proves the new number, as at login; 409 when another user has it. */
  async changePhone(userId: string, app: WechatApp, code: string): Promise<User> {
    const user = await this.users.current(userId);
    const phone = await this.phones.resolvePhone(app, code);
    const changed = await this.users.changePhone(user, phone);
    if (changed.phoneNumber !== user.phoneNumber) {
      this.logger.log(
        `User ${user.id} changed phone ${maskPhone(user.phoneNumber)} → ${maskPhone(changed.phoneNumber)}`,
      );
    }
    return changed;
  }

  async sessions(userId: string, currentFamilyId: string): Promise<DeviceSessionDto[]> {
    const live = await this.families.live(userId);
    return live.map((family) => DeviceSessionDto.from(family, currentFamilyId));
  }

  /** Signs one device out: its refresh tokens stop working at once. */
  async signOut(userId: string, sessionId: string): Promise<void> {
    if (!(await this.families.revoke(userId, sessionId))) {
      throw new AppError('SESSION_NOT_FOUND', 'You have no live session with this id');
    }
  }

  async export(userId: string, currentFamilyId: string): Promise<AccountExportDto> {
    const user = await this.users.current(userId);
    const [accounts, families] = await Promise.all([
      this.users.wechatAccountsOf(userId),
      this.families.all(userId),
    ]);
    return {
      exportedAt: new Date(this.clock.now()).toISOString(),
      user: ExportedUserDto.fromUser(user, this.links),
      wechatAccounts: accounts.map((account) => ExportedWechatAccountDto.from(account)),
      sessions: families.map((family) => ExportedSessionDto.fromFamily(family, currentFamilyId)),
    };
  }
}
