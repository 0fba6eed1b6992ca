import { ProblemException } from '@paystream/platform';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function notFound(what: string): ProblemException {
  return ProblemException.of(404, 'not-found', `${what} not found`);
}

/** Ids are UUIDs: anything else cannot exist (and must not reach a uuid column as a 500). */
export function assertUuid(id: string, what: string): void {
  if (!UUID.test(id)) throw notFound(what);
}
