import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Clock } from '../common/clock';
import { maskPhonesIn } from '../common/logging/redaction';
import { AdminAction, AdminAudit } from './admin-audit.entity';

export interface AuditEntry {
  action: AdminAction;
  targetUserId?: string;
  targetAppId?: string;
  reason?: string;
  requestId: string;
}

/** The latest audit rows the look-up shows per user. */
export const AUDIT_ROWS_SHOWN = 20;

/**
 * Every admin action leaves two traces: one structured log line (action,
 * target, reason, request id: the log pipeline's alerting sees it at once)
 * and one `admin_audit` row (the look-up shows it beside the user).
 */
@Injectable()
export class AdminAuditLog {
  private readonly logger = new Logger('AdminAudit');

  constructor(
    @InjectRepository(AdminAudit) private readonly rows: Repository<AdminAudit>,
    private readonly clock: Clock,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.rows.insert({
      id: randomUUID(),
      createdAt: new Date(this.clock.now()),
      action: entry.action,
      targetUserId: entry.targetUserId ?? null,
      targetAppId: entry.targetAppId ?? null,
      reason: entry.reason ?? null,
      requestId: entry.requestId,
    });
    const target = entry.targetUserId ? `user ${entry.targetUserId}` : `app ${entry.targetAppId}`;
    this.logger.log({
      msg: `Admin action ${entry.action} on ${target}`,
      audit: true,
      action: entry.action,
      targetUserId: entry.targetUserId ?? null,
      targetAppId: entry.targetAppId ?? null,
      // Free text typed by an operator: a phone number in it is masked like everywhere in the log.
      reason: entry.reason === undefined ? null : maskPhonesIn(entry.reason),
      requestId: entry.requestId,
    });
  }

  latestFor(userId: string): Promise<AdminAudit[]> {
    return this.rows.find({
      where: { targetUserId: userId },
      order: { createdAt: 'DESC' },
      take: AUDIT_ROWS_SHOWN,
    });
  }
}
