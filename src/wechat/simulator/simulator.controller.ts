import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../../auth/public.decorator';
import { AppError } from '../../common/app-error';
import { ApiErrors } from '../../common/swagger/api-errors.decorator';
import {
  InjectedFaultDto,
  InjectFaultDto,
  MintedCodeDto,
  MintLoginCodeDto,
  MintPhoneCodeDto,
} from './simulator.dto';
import { WechatSimulator } from './wechat-simulator';

/**
 * Plays the part of the mini-program's WeChat client: hands out the codes that
 * `<button open-type="getPhoneNumber">` and `wx.login()` would. Mounted only
 * when WECHAT_SIMULATOR is on.
 */
@ApiTags('simulator')
@Public()
@Controller('__wechat-sim')
export class SimulatorController {
  constructor(private readonly simulator: WechatSimulator) {}

  @Post('phone-codes')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Mint a getPhoneNumber code (simulator only)',
    description: 'What the phone button gives the mini-program. Single-use, 5 minutes.',
  })
  @ApiOkResponse({ type: MintedCodeDto })
  @ApiErrors('VALIDATION_FAILED', 'INVALID_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'UNKNOWN_APPID')
  mintPhoneCode(@Body() body: MintPhoneCodeDto): MintedCodeDto {
    return {
      code: this.simulator.mintPhoneCode(body.phoneNumber, body.countryCode, this.app(body.appId)),
    };
  }

  @Post('login-codes')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Mint a wx.login code (simulator only)',
    description: 'What wx.login() gives the mini-program. Single-use, 5 minutes.',
  })
  @ApiOkResponse({ type: MintedCodeDto })
  @ApiErrors('VALIDATION_FAILED', 'INVALID_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'UNKNOWN_APPID')
  mintLoginCode(@Body() body: MintLoginCodeDto): MintedCodeDto {
    return { code: this.simulator.mintLoginCode(body.openid, body.unionid, this.app(body.appId)) };
  }

  @Post('faults')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Make the next calls of a WeChat API fail (simulator only)',
    description:
      'Rehearse WeChat failures from the mini-program: the next `count` calls (default 1) of `api` answer ' +
      '`errcode` instead of the real thing, for every app, e.g. `{ "api": "jscode2session", "errcode": 40226 }` ' +
      '→ the next wx.login code gets 403 WECHAT_USER_BLOCKED; `getuserphonenumber` 45011 → 429; -1 twice → 503; ' +
      '`stable_token` 40164 → 503 WECHAT_MISCONFIGURED (the app then retries the token fetch once a minute). ' +
      'Faults queue up per API, in order.',
  })
  @ApiOkResponse({ type: InjectedFaultDto })
  @ApiErrors('VALIDATION_FAILED', 'INVALID_JSON', 'UNSUPPORTED_MEDIA_TYPE')
  injectFault(@Body() body: InjectFaultDto): InjectedFaultDto {
    return {
      api: body.api,
      pending: this.simulator.faults.add(body.api, body.errcode, body.count ?? 1),
    };
  }

  private app(appId: string | undefined): string {
    if (appId === undefined) return this.simulator.appId;
    if (!this.simulator.hasApp(appId)) {
      throw new AppError('UNKNOWN_APPID', 'The simulator does not serve that mini-program');
    }
    return appId;
  }
}
