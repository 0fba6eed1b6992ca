import type { EntityManager } from 'typeorm';

/** Queryable: a DataSource or a transaction's EntityManager. */
export type Sql = Pick<EntityManager, 'query'>;

/** Typed rows of a raw query (pg returns BIGINT as strings: the row types say so). */
export async function rows<T>(sql: Sql, text: string, params: unknown[] = []): Promise<T[]> {
  return sql.query<T[]>(text, params);
}
