import { randomBytes } from 'node:crypto';
import { currentCorrelationId } from '@paystream/observability';
import type { AnyEvent } from '@paystream/contracts';
import type { IHeaders } from 'kafkajs';

/** Record headers (DESIGN.md §4): type, eventId, traceparent, correlationId. */
export interface EventHeaders {
  type: string;
  eventId: string;
  traceparent: string;
  correlationId: string;
}

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** A new W3C trace context root: version 00, random trace and span ids, sampled. */
export function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

/** A child span of `parent` (same trace id, new span id), or a new root if `parent` is not valid. */
export function childTraceparent(parent: string | undefined): string {
  if (!parent || !TRACEPARENT.test(parent)) return newTraceparent();
  return `00-${parent.slice(3, 35)}-${randomBytes(8).toString('hex')}-${parent.slice(-2)}`;
}

export function eventHeaders(event: AnyEvent, traceparent?: string): EventHeaders {
  return {
    type: event.type,
    eventId: event.eventId,
    traceparent: traceparent && TRACEPARENT.test(traceparent) ? traceparent : newTraceparent(),
    correlationId: event.correlationId || currentCorrelationId() || event.eventId,
  };
}

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined || value === null) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

export function toKafkaHeaders(headers: object): IHeaders {
  const out: IHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (typeof value === 'string') out[name] = value;
  return out;
}

/**
 * A set of header values matched against a record's raw header bytes, without decoding them to
 * a string first (the consumer's type filter looks at every record it fetches).
 */
export class HeaderValueSet {
  private readonly byLength = new Map<number, Buffer[]>();

  constructor(values: Iterable<string>) {
    for (const value of values) {
      const bytes = Buffer.from(value, 'utf8');
      const sameLength = this.byLength.get(bytes.length) ?? [];
      sameLength.push(bytes);
      this.byLength.set(bytes.length, sameLength);
    }
  }

  has(value: Buffer | string): boolean {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    const candidates = this.byLength.get(bytes.length);
    if (!candidates) return false;
    outer: for (const candidate of candidates) {
      for (let i = 0; i < bytes.length; i++) if (bytes[i] !== candidate[i]) continue outer;
      return true;
    }
    return false;
  }
}
