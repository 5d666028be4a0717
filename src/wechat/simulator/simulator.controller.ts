import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../../auth/public.decorator';
import { ApiErrors } from '../../common/swagger/api-errors.decorator';
import { WechatApp } from '../wechat-app';
import { ApiWechatAppHeader, CurrentWechatApp } from '../wechat-app.decorator';
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
 * when WECHAT_SIMULATOR is on. The app is named as on the login routes (the
 * X-WX-AppId header or WeChat's Referer), so a client mints and logs in alike.
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
  @ApiWechatAppHeader()
  mintPhoneCode(@Body() body: MintPhoneCodeDto, @CurrentWechatApp() app: WechatApp): MintedCodeDto {
    return { code: this.simulator.mintPhoneCode(app.id, body.phoneNumber, body.countryCode) };
  }

  @Post('login-codes')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Mint a wx.login code (simulator only)',
    description: 'What wx.login() gives the mini-program. Single-use, 5 minutes.',
  })
  @ApiOkResponse({ type: MintedCodeDto })
  @ApiErrors('VALIDATION_FAILED', 'INVALID_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'UNKNOWN_APPID')
  @ApiWechatAppHeader()
  mintLoginCode(@Body() body: MintLoginCodeDto, @CurrentWechatApp() app: WechatApp): MintedCodeDto {
    return { code: this.simulator.mintLoginCode(app.id, body.openid, body.unionid) };
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
}
