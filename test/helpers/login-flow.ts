import request from 'supertest';
import { FakeWechat } from './fake-wechat';

export interface NotRegisteredBody {
  code: 'PHONE_NOT_REGISTERED';
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
  registrationTicket: string;
  registrationTicketExpiresIn: number;
}

export interface LoginBody {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
  user: { id: string; phoneNumber: string; nickname: string | null };
}

/** The mini-program's side of the flow, spoken over HTTP. */
export class LoginFlow {
  constructor(
    private readonly server: string,
    private readonly wechat: FakeWechat,
  ) {}

  phoneLogin(code: string): request.Test {
    return request(this.server).post('/auth/wechat/phone-login').send({ code });
  }

  register(body: Record<string, unknown>): request.Test {
    return request(this.server).post('/auth/wechat/register').send(body);
  }

  /** Taps the phone button as a new user, registers, and returns the session. */
  async registerNewUser(phoneNumber: string, nickname = 'tester'): Promise<LoginBody> {
    const first = await this.phoneLogin(this.wechat.phoneCode(phoneNumber)).expect(404);
    const ticket = (first.body as NotRegisteredBody).registrationTicket;
    const registered = await this.register({ registrationTicket: ticket, nickname }).expect(201);
    return registered.body as LoginBody;
  }
}
