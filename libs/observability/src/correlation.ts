import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** The correlation id of the request or event being handled, carried across awaits. */
const storage = new AsyncLocalStorage<string>();

export const CORRELATION_HEADER = 'x-correlation-id';

export function currentCorrelationId(): string | undefined {
  return storage.getStore();
}

export function withCorrelationId<T>(id: string | undefined, fn: () => T): T {
  return storage.run(id ?? randomUUID(), fn);
}

/** Enter a correlation scope for the rest of the current async flow (used by HTTP hooks). */
export function enterCorrelationId(id: string | undefined): string {
  const value = id && id.length <= 128 ? id : randomUUID();
  storage.enterWith(value);
  return value;
}
