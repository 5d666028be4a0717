import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError } from '../common/app-error';
import { Clock } from '../common/clock';
import { maskPhone } from '../common/mask';
import { isUniqueViolation } from '../database/unique-violation';
import { UserDto } from '../users/user.dto';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { PhoneService } from '../wechat/phone.service';
import { RegisterDto } from './dto/register.dto';
import { RegistrationTicketUse } from './registration-ticket-use.entity';
import { SessionTokens, TokenService } from './tokens/token.service';

export interface LoginResult extends SessionTokens {
  user: UserDto;
}

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly phones: PhoneService,
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /**
   * Registered phone → a session. Unknown phone → 404 carrying the number and
   * a registration ticket: the WeChat code is spent, so the ticket is the only
   * proof of the phone that registration can use.
   */
  async phoneLogin(code: string): Promise<LoginResult> {
    const phone = await this.phones.resolvePhone(code);
    const user = await this.users.findByPhone(phone.phoneNumber);
    if (!user) {
      this.logger.log(`Phone ${maskPhone(phone.phoneNumber)} is not registered; ticket issued`);
      throw new AppError(
        'PHONE_NOT_REGISTERED',
        'No user has this phone number; register it with the ticket',
        {
          details: {
            phoneNumber: phone.phoneNumber,
            purePhoneNumber: phone.purePhoneNumber,
            countryCode: phone.countryCode,
            ...(await this.tokens.issueRegistrationTicket(phone)),
          },
        },
      );
    }
    return this.startSession(await this.users.recordLogin(user));
  }

  /**
   * Creates the user the ticket vouches for. The ticket's jti and the user are
   * written in one transaction: a reused ticket or an already registered phone
   * leaves nothing behind.
   */
  async register(dto: RegisterDto): Promise<LoginResult> {
    const ticket = await this.tokens.verifyRegistrationTicket(dto.registrationTicket);
    const user = await this.dataSource.transaction(async (manager) => {
      const created = await this.users.create(
        {
          phoneNumber: ticket.phoneNumber,
          purePhoneNumber: ticket.purePhoneNumber,
          countryCode: ticket.countryCode,
          nickname: dto.nickname,
          avatarUrl: dto.avatarUrl,
        },
        manager,
      );
      try {
        await manager.insert(RegistrationTicketUse, {
          jti: ticket.jti,
          usedAt: new Date(this.clock.now()),
          expiresAt: ticket.expiresAt,
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new AppError(
            'REGISTRATION_TICKET_INVALID',
            'This registration ticket was already used',
          );
        }
        throw error;
      }
      return created;
    });
    this.logger.log(`Registered user ${user.id} (${maskPhone(user.phoneNumber)})`);
    return this.startSession(user);
  }

  private async startSession(user: User): Promise<LoginResult> {
    return { ...(await this.tokens.issueSession(user.id)), user: UserDto.from(user) };
  }
}
