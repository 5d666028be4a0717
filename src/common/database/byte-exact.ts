/**
 * The collation of identifier columns (openid, unionid, appid, token hashes,
 * ticket ids) on MySQL/MariaDB. WeChat identifiers are case-sensitive: `oAbc`
 * and `oabc` are two different users, which `utf8mb4_unicode_ci` would compare
 * as equal. SQLite compares bytes already.
 *
 * TypeORM's drift check does not compare collations, so the e2e suite checks
 * on MySQL/MariaDB that each column's collation is the one its entity declares.
 */
export const BYTE_EXACT = 'utf8mb4_bin';
