import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../../auth/public.decorator';
import { ApiErrors } from '../../common/swagger/api-errors.decorator';
import { MintedCodeDto, MintLoginCodeDto, MintPhoneCodeDto } from './simulator.dto';
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
  @ApiErrors('VALIDATION_FAILED')
  mintPhoneCode(@Body() body: MintPhoneCodeDto): MintedCodeDto {
    return { code: this.simulator.mintPhoneCode(body.phoneNumber, body.countryCode) };
  }

  @Post('login-codes')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Mint a wx.login code (simulator only)',
    description: 'What wx.login() gives the mini-program. Single-use, 5 minutes.',
  })
  @ApiOkResponse({ type: MintedCodeDto })
  @ApiErrors('VALIDATION_FAILED')
  mintLoginCode(@Body() body: MintLoginCodeDto): MintedCodeDto {
    return { code: this.simulator.mintLoginCode(body.openid, body.unionid) };
  }
}
