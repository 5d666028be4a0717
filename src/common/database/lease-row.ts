import { FindOptionsWhere, ObjectLiteral, Repository } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { isUniqueViolation } from './unique-violation';

/** The properties of a lease row: its key, who holds it, and until when (epoch ms). */
export interface LeaseColumns<T> {
  key: keyof T & string;
  holder: keyof T & string;
  until: keyof T & string;
}

/**
 * "One instance at a time" through a row of the shared database: a
 * conditional UPDATE takes the lease when it is free, expired or already
 * ours; the first taker inserts the row (`firstRow`, already holding the
 * lease), and of two racing inserts the unique key lets one win. A lease
 * expires by itself, so a holder that crashed blocks the others only until
 * its `until`. Used by the WeChat token's fetch and the housekeeping job.
 */
export async function tryTakeLease<T extends ObjectLiteral>(
  rows: Repository<T>,
  columns: LeaseColumns<T>,
  lease: { key: string; holder: string; now: number; until: number },
  firstRow: () => QueryDeepPartialEntity<T>,
): Promise<boolean> {
  const column = (property: string): string => {
    const found = rows.metadata.findColumnWithPropertyName(property);
    if (!found) throw new Error(`${rows.metadata.tableName} has no property ${property}`);
    return found.databaseName;
  };
  const taken = { [columns.holder]: lease.holder, [columns.until]: lease.until };
  const result = await rows
    .createQueryBuilder()
    .update()
    .set(taken as unknown as QueryDeepPartialEntity<T>)
    .where(`${column(columns.key)} = :key`, { key: lease.key })
    .andWhere(
      `(${column(columns.until)} IS NULL OR ${column(columns.until)} < :now OR ${column(columns.holder)} = :holder)`,
      { now: lease.now, holder: lease.holder },
    )
    .execute();
  if (result.affected === 1) return true;
  if (await rows.existsBy({ [columns.key]: lease.key } as FindOptionsWhere<T>)) return false;
  try {
    await rows.insert(firstRow());
    return true;
  } catch (error) {
    // Another instance created the row first, and with it the lease.
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}
