/**
 * Housekeeping on a table 100 000 logins have filled: the job must leave only
 * live rows and take seconds, not minutes.
 *
 *   npm run bench:housekeeping [-- --logins 100000 --days 60]
 *   BENCH_MYSQL_URL=mariadb://root@127.0.0.1:3306/ npm run bench:housekeeping
 *
 * On a fresh SQLite file, or with BENCH_MYSQL_URL in a fresh
 * `wxlogin_bench_hk_<random>` database on that server (dropped afterwards).
 * Runs the migrations, then inserts `--logins` logins' worth of rows directly,
 * 1000 per INSERT (no HTTP): logins spread over the last `--days` days, each a
 * refresh family refreshed 0–4 times three days apart, one in ten logged out
 * (revoked), and a used registration ticket for three logins in ten. Then runs
 * the real job (Housekeeping.run, with its lease and 1000-row batches) twice and
 * prints the rows before and after, what it removed, and how long it took.
 */
import { harnessEnvironment } from '../src/config/harness-environment';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { RegistrationTicketUse } from '../src/auth/registration-ticket-use.entity';
import { RefreshToken } from '../src/auth/tokens/refresh-token.entity';
import { Clock } from '../src/common/clock';
import { parseDatabaseUrl } from '../src/config/database.config';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { BatchPurge } from '../src/housekeeping/batch-purge';
import { Housekeeping } from '../src/housekeeping/housekeeping.job';
import { JobLease } from '../src/housekeeping/job-lease';
import { JobLeaseRow } from '../src/housekeeping/job-lease.entity';
import { argValue } from './support';

const LOGINS = Number(argValue('--logins') ?? 100_000);
const DAYS = Number(argValue('--days') ?? 60);
const DAY = 86_400_000;
const REFRESH_TTL = 30 * DAY;
const SESSION_MAX_AGE = 180 * DAY;
const TICKET_TTL = 10 * 60_000;
const INSERT_CHUNK = 1000;

/** The real clock, remembering the first "now" the job asked for: the moment it judged expiry by. */
class RecordingClock extends Clock {
  first: number | undefined;
  override now(): number {
    const now = super.now();
    this.first ??= now;
    return now;
  }
}

interface Database {
  url: string;
  label: string;
  drop(): Promise<void>;
}

async function openDatabase(): Promise<Database> {
  const server = harnessEnvironment().benchMysqlUrl;
  if (!server) {
    const dir = mkdtempSync(join(tmpdir(), 'wxlogin-bench-hk-'));
    return {
      url: `sqlite:${join(dir, 'bench.sqlite')}`,
      label: 'SQLite',
      drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  }
  const admin = server.replace(/^mariadb:/, 'mysql:');
  const name = `wxlogin_bench_hk_${randomBytes(4).toString('hex')}`;
  const conn = await createConnection(admin);
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    label: server.startsWith('mariadb:') ? 'MariaDB' : 'MySQL',
    drop: async () => {
      const c = await createConnection(admin);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

/** One login's family: its tokens as stored after `refreshes` rotations. */
function family(now: number): { rows: RefreshToken[]; ticket?: RegistrationTicketUse } {
  const userId = randomUUID();
  const familyId = randomUUID();
  // Whole seconds: MySQL's DATETIME keeps no more, so expiry is judged alike here and there.
  const startedAt = Math.floor((now - Math.random() * DAYS * DAY) / 1000) * 1000;
  const refreshes = Math.floor(Math.random() * 5);
  const loggedOutAt = Math.random() < 0.1 ? startedAt + Math.random() * 10 * DAY : undefined;
  const rows: RefreshToken[] = [];
  for (let i = 0; i <= refreshes; i++) {
    const createdAt = startedAt + i * 3 * DAY;
    if (createdAt > now) break;
    const previous = rows[rows.length - 1];
    const id = randomUUID();
    if (previous) {
      previous.usedAt = new Date(createdAt);
      previous.replacedBy = id;
    }
    rows.push({
      id,
      userId,
      familyId,
      tokenHash: randomBytes(32).toString('hex'),
      createdAt: new Date(createdAt),
      expiresAt: new Date(Math.min(createdAt + REFRESH_TTL, startedAt + SESSION_MAX_AGE)),
      familyStartedAt: new Date(startedAt),
      usedAt: null,
      replacedBy: null,
      revokedAt: null,
      device: 'WeChat iOS (iPhone)',
    });
  }
  if (loggedOutAt !== undefined && loggedOutAt < now) {
    for (const row of rows) row.revokedAt = new Date(loggedOutAt);
  }
  const ticket =
    Math.random() < 0.3
      ? {
          jti: randomUUID(),
          usedAt: new Date(startedAt),
          expiresAt: new Date(startedAt + TICKET_TTL),
        }
      : undefined;
  return { rows, ticket };
}

async function insertAll<T extends object>(ds: DataSource, entity: new () => T, rows: T[]) {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await ds
      .createQueryBuilder()
      .insert()
      .into(entity)
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute();
  }
}

async function main(): Promise<void> {
  const db = await openDatabase();
  const ds = new DataSource(buildDataSourceOptions(parseDatabaseUrl(db.url)));
  try {
    await ds.initialize();
    await ds.runMigrations();
    const clock = new Clock();
    const now = clock.now();
    const tokens: RefreshToken[] = [];
    const tickets: RegistrationTicketUse[] = [];
    for (let i = 0; i < LOGINS; i++) {
      const made = family(now);
      tokens.push(...made.rows);
      if (made.ticket) tickets.push(made.ticket);
    }
    const insertStart = Date.now();
    await insertAll(ds, RefreshToken, tokens);
    await insertAll(ds, RegistrationTicketUse, tickets);
    const insertMs = Date.now() - insertStart;

    const jobClock = new RecordingClock();
    const job = new Housekeeping(
      new BatchPurge(ds),
      new JobLease(ds.getRepository(JobLeaseRow)),
      jobClock,
    );
    const first = await job.run();
    const judgedAt = jobClock.first ?? now;
    const live = tokens.filter(
      (row) => !row.revokedAt && row.expiresAt.getTime() > judgedAt,
    ).length;
    const liveTickets = tickets.filter((row) => row.expiresAt.getTime() > judgedAt).length;
    // Nothing left to do: what an idle run costs (and rows that expired since are not counted).
    const second = await new Housekeeping(
      new BatchPurge(ds),
      new JobLease(ds.getRepository(JobLeaseRow)),
      new RecordingClock(),
    ).run();
    const tokensAfter = await ds.getRepository(RefreshToken).count();
    const ticketsAfter = await ds.getRepository(RegistrationTicketUse).count();
    if (
      tokensAfter + second.expiredRefreshTokens !== live ||
      ticketsAfter + second.usedRegistrationTickets !== liveTickets
    ) {
      throw new Error(`left ${tokensAfter}/${ticketsAfter} rows, expected ${live}/${liveTickets}`);
    }
    const removed = first.expiredRefreshTokens + first.revokedRefreshTokens;
    const lines = [
      `${LOGINS} logins over ${DAYS} days, ${db.label}`,
      '',
      '| | refresh_tokens | registration_ticket_uses |',
      '|---|---|---|',
      `| rows before the job | ${tokens.length} | ${tickets.length} |`,
      `| removed (expired + revoked) | ${first.expiredRefreshTokens} + ${first.revokedRefreshTokens} = ${removed} | ${first.usedRegistrationTickets} |`,
      `| rows after = live rows | ${live} | ${liveTickets} |`,
      '',
      `job: ${(first.ms / 1000).toFixed(1)} s (${Math.round(removed / (first.ms / 1000))} rows/s, ` +
        `${Math.ceil(removed / 1000)}+ DELETE statements of at most 1000 rows); ` +
        `a second run right after: ${second.ms} ms`,
      `bulk insert of the rows (setup, not the job): ${(insertMs / 1000).toFixed(1)} s`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
