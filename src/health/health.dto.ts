import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class LivenessDto {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';
}

export class MisconfiguredDto {
  @ApiProperty({ example: 40164, description: "WeChat's errcode on the last token fetch." })
  errcode: number;

  @ApiProperty({ description: 'What the operator should check.' })
  hint: string;
}

export class AppTokenStatusDto {
  @ApiProperty({ example: 'wx0000000000simulator' })
  appId: string;

  @ApiProperty()
  tokenHeld: boolean;

  @ApiProperty({ type: Number, nullable: true, example: 7198 })
  expiresInSec: number | null;

  @ApiPropertyOptional({
    type: MisconfiguredDto,
    description:
      'Present while WeChat refuses our credentials (wrong AppSecret, IP not on the allow-list, …): the app is not ready.',
  })
  misconfigured?: MisconfiguredDto;
}

/** One terminus indicator: `status` plus whatever the check adds. */
export class HealthCheckDetailDto {
  @ApiProperty({ enum: ['up', 'down'] })
  status: 'up' | 'down';

  @ApiPropertyOptional({ description: 'Why a check is down (database).' })
  message?: string;

  @ApiPropertyOptional({ description: 'wechatAccessToken only.' })
  simulator?: boolean;

  @ApiPropertyOptional({ enum: ['stable', 'classic'], description: 'wechatAccessToken only.' })
  mode?: 'stable' | 'classic';

  @ApiPropertyOptional({ description: 'wechatAccessToken only.' })
  tokenHeld?: boolean;

  @ApiPropertyOptional({ type: Number, nullable: true, description: 'wechatAccessToken only.' })
  expiresInSec?: number | null;

  @ApiPropertyOptional({ type: [AppTokenStatusDto], description: 'wechatAccessToken only.' })
  apps?: AppTokenStatusDto[];
}

export class HealthChecksDto {
  @ApiPropertyOptional({ type: HealthCheckDetailDto })
  database?: HealthCheckDetailDto;

  @ApiPropertyOptional({ type: HealthCheckDetailDto })
  wechatAccessToken?: HealthCheckDetailDto;
}

/** @nestjs/terminus's HealthCheckResult, as /health/ready answers it (200 and 503). */
export class ReadinessDto {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] })
  status: 'ok' | 'error' | 'shutting_down';

  @ApiPropertyOptional({ type: HealthChecksDto, description: 'The checks that are up.' })
  info?: HealthChecksDto;

  @ApiPropertyOptional({ type: HealthChecksDto, description: 'The checks that are down.' })
  error?: HealthChecksDto;

  @ApiProperty({ type: HealthChecksDto, description: 'Every check.' })
  details: HealthChecksDto;
}
