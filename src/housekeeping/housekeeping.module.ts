import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BatchPurge } from './batch-purge';
import { Housekeeping } from './housekeeping.job';
import { JobLease } from './job-lease';
import { JobLeaseRow } from './job-lease.entity';

/** Scheduled deletion of the rows logins leave behind once they can no longer matter. */
@Module({
  imports: [TypeOrmModule.forFeature([JobLeaseRow])],
  providers: [BatchPurge, JobLease, Housekeeping],
})
export class HousekeepingModule {}
