import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import {
  AnyEvent,
  CONTRACT_SUBJECTS,
  EVENT_SCHEMAS,
  EventType,
  eventTypeOfFullName,
  isEventType,
  subjectName,
  TopicName,
  TOPIC_EVENT_TYPES,
} from '@paystream/contracts';
import { Resolver, Type } from 'avsc';
import { EventCodec, PermanentError } from '../ports';
import { readWireHeader, WIRE_HEADER_BYTES, writeWireHeader } from './wire-format';

/** Every contract subject evolves under BACKWARD_TRANSITIVE (DESIGN.md §4). */
export const SUBJECT_COMPATIBILITY = COMPATIBILITY.BACKWARD_TRANSITIVE;

export interface SchemaRegistryCodecOptions {
  /** The Confluent-compatible API base, e.g. http://127.0.0.1:8081/apis/ccompat/v7 (Apicurio). */
  url: string;
  username?: string;
  password?: string;
}

/** How to read the bytes written with one schema id into the current shape of its event type. */
interface WriterEntry {
  type: EventType;
  reader: Type;
  /** Absent when the writer schema is the current one: no resolution needed. */
  resolver?: Resolver;
  /** The reader decodes into plain objects already (one of the current types): no copy. */
  plain: boolean;
}

/**
 * Avro in the Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro body) with
 * subjects named by TopicRecordNameStrategy (`<topic>-<record full name>`).
 *
 * All registry traffic happens at start-up (every contract subject is registered, idempotently)
 * or the first time a schema id or a non-contract topic (a test's unique topic) is seen; after
 * that encode and decode are pure CPU work on cached avsc types.
 */
export class SchemaRegistryCodec implements EventCodec {
  /** The current schema of each event type, compiled once. */
  private readonly currentTypes = new Map<EventType, Type>();
  /** subject → id of the current schema under that subject. */
  private readonly subjectIds = new Map<string, Promise<number>>();
  private readonly writers = new Map<number, Promise<WriterEntry>>();
  /** The writers loaded so far, for the synchronous path (no promise per record). */
  private readonly loadedWriters = new Map<number, WriterEntry>();
  private readonly counts = { registrations: 0, schemaLookups: 0 };

  private constructor(
    private readonly registry: SchemaRegistry,
    private readonly options: SchemaRegistryCodecOptions,
  ) {
    for (const [type, schema] of Object.entries(EVENT_SCHEMAS) as [EventType, object][]) {
      const avroType = Type.forSchema(schema as Parameters<typeof Type.forSchema>[0], { omitRecordMethods: true });
      decodeIntoPlainObjects(avroType);
      this.currentTypes.set(type, avroType);
    }
  }

  /** Registers every contract subject (BACKWARD_TRANSITIVE) and caches the ids. */
  static async create(options: SchemaRegistryCodecOptions): Promise<SchemaRegistryCodec> {
    const auth =
      options.username !== undefined ? { username: options.username, password: options.password ?? '' } : undefined;
    const codec = new SchemaRegistryCodec(new SchemaRegistry({ host: options.url, auth }), options);
    // One after the other, in contract order: a fresh registry then hands out the same ids every
    // time (Apicurio's ids are content ids, numbered in registration order). That narrows, but
    // does not close, the gap of an in-memory registry that restarts under records already in the
    // topics: the ids there must stay valid forever, which takes persistent registry storage.
    for (const s of CONTRACT_SUBJECTS) await codec.schemaId(s.topic, s.type);
    return codec;
  }

  /**
   * The id of the current schema of `type` under `<topic>-<record>`, registering it on first use.
   * Registering is idempotent: the registry answers the existing id for a schema it already holds.
   */
  schemaId(topic: string, type: EventType): Promise<number> {
    const subject = subjectName(topic, type);
    let id = this.subjectIds.get(subject);
    if (!id) {
      id = this.register(subject, type);
      // A failed registration (registry away) must be retried by the next call, not cached.
      id.catch(() => this.subjectIds.delete(subject));
      this.subjectIds.set(subject, id);
    }
    return id;
  }

  async encode(topic: string, event: AnyEvent): Promise<Buffer> {
    const eventType: unknown = (event as { type?: unknown } | null)?.type;
    if (!isEventType(eventType)) {
      throw new PermanentError('SCHEMA_INVALID', `not a contract event type: ${String(eventType)}`);
    }
    assertCarriedBy(topic, eventType);
    const avroType = this.currentTypes.get(eventType) as Type;
    // The hook-free check is cheap; paths are collected only for the error message.
    if (!avroType.isValid(event, { noUndeclaredFields: true })) {
      const invalid: string[] = [];
      avroType.isValid(event, {
        noUndeclaredFields: true,
        errorHook: (path) => invalid.push(path.join('.') || '(root)'),
      });
      throw new PermanentError('SCHEMA_INVALID', `${eventType} does not match its schema at: ${invalid.join(', ')}`);
    }
    const id = await this.schemaId(topic, eventType);
    const body = avroType.toBuffer(event);
    const out = Buffer.allocUnsafe(WIRE_HEADER_BYTES + body.length);
    writeWireHeader(out, id);
    body.copy(out, WIRE_HEADER_BYTES);
    return out;
  }

  async decode(topic: string, value: Buffer): Promise<AnyEvent> {
    const schemaId = wireSchemaId(value);
    return this.decodeWith(topic, value, schemaId, await this.writer(schemaId));
  }

  /**
   * decode() without a promise when the writer schema was seen before (after warm-up, always);
   * undefined when it needs the registry (then call decode). Throws what decode throws.
   */
  decodeCached(topic: string, value: Buffer): AnyEvent | undefined {
    const schemaId = wireSchemaId(value);
    const writer = this.loadedWriters.get(schemaId);
    return writer && this.decodeWith(topic, value, schemaId, writer);
  }

  private decodeWith(topic: string, value: Buffer, schemaId: number, writer: WriterEntry): AnyEvent {
    let decoded: unknown;
    try {
      decoded = writer.reader.fromBuffer(value.subarray(WIRE_HEADER_BYTES), writer.resolver);
    } catch (err) {
      throw new PermanentError('UNDECODABLE', `body does not match schema ${schemaId}: ${errorText(err)}`);
    }
    const event = (writer.plain ? decoded : toPlain(decoded)) as AnyEvent;
    if (event.type !== writer.type) {
      throw new PermanentError('SCHEMA_INVALID', `a ${writer.type} record says its type is ${String(event.type)}`);
    }
    assertCarriedBy(topic, writer.type);
    return event;
  }

  /** Calls that may reach the registry so far: they stop growing once every subject and id is warm. */
  get registryCalls(): { registrations: number; schemaLookups: number } {
    return { ...this.counts };
  }

  private async register(subject: string, type: EventType): Promise<number> {
    this.counts.registrations++;
    // Set the subject's compatibility before its first version exists: the registry then checks
    // even the second version, and the client library's own check (GET /config) agrees with us.
    try {
      await this.putSubjectConfig(subject);
      const { id } = await this.registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(EVENT_SCHEMAS[type]) },
        { subject, compatibility: COMPATIBILITY.BACKWARD_TRANSITIVE },
      );
      return id;
    } catch (err) {
      // Not a PermanentError: a refused schema is a deployment problem, not the event's, and the
      // event must wait for the fix (an incompatible schema never reaches the topic).
      throw new Error(`schema registry: cannot register ${subject}: ${errorText(err)}`, { cause: err });
    }
  }

  private async putSubjectConfig(subject: string): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/vnd.schemaregistry.v1+json' };
    if (this.options.username !== undefined) {
      const token = Buffer.from(`${this.options.username}:${this.options.password ?? ''}`).toString('base64');
      headers.authorization = `Basic ${token}`;
    }
    const res = await fetch(`${this.options.url}/config/${encodeURIComponent(subject)}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ compatibility: SUBJECT_COMPATIBILITY }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`schema registry: PUT /config/${subject} answered ${res.status}: ${await res.text()}`);
  }

  private writer(schemaId: number): Promise<WriterEntry> {
    let entry = this.writers.get(schemaId);
    if (!entry) {
      entry = this.loadWriter(schemaId);
      entry.then(
        (loaded) => this.loadedWriters.set(schemaId, loaded),
        () => this.writers.delete(schemaId),
      );
      this.writers.set(schemaId, entry);
    }
    return entry;
  }

  private async loadWriter(schemaId: number): Promise<WriterEntry> {
    this.counts.schemaLookups++;
    let writerType: Type;
    try {
      writerType = (await this.registry.getSchema(schemaId)) as unknown as Type;
    } catch (err) {
      // Only "no such schema" is permanent; a registry that is away is transient and retried.
      if ((err as { status?: number }).status === 404) {
        throw new PermanentError('UNDECODABLE', `schema id ${schemaId} is unknown to the registry`);
      }
      throw err;
    }
    const type = writerType.name ? eventTypeOfFullName(writerType.name) : undefined;
    if (!type) {
      throw new PermanentError(
        'UNDECODABLE',
        `schema id ${schemaId} (${String(writerType.name)}) is no contract event`,
      );
    }
    const reader = this.currentTypes.get(type) as Type;
    if (reader.equals(writerType)) return { type, reader, plain: true };
    try {
      return { type, reader, resolver: reader.createResolver(writerType), plain: true };
    } catch {
      // Written with a newer schema this process cannot resolve into its own: read it as written.
      return { type, reader: writerType, plain: false };
    }
  }
}

function wireSchemaId(value: Buffer): number {
  const header = readWireHeader(value);
  if (!header) throw new PermanentError('UNDECODABLE', 'not in the Confluent wire format (magic byte 0, schema id)');
  return header.schemaId;
}

/** On a contract topic, only the event types the contract puts there (DESIGN.md §3). */
function assertCarriedBy(topic: string, type: EventType): void {
  const carried = TOPIC_EVENT_TYPES[topic as TopicName] as readonly EventType[] | undefined;
  if (carried && !carried.includes(type)) {
    throw new PermanentError('SCHEMA_INVALID', `${type} does not belong on topic ${topic}`);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * avsc decodes a record by calling a constructor it generates per record type (`new Record(...)`,
 * fields assigned in schema order). Giving those constructors Object.prototype as their prototype
 * makes every decoded record a plain object, the same as a copy would be (own fields in schema
 * order, constructor Object), without making one: consumers get plain objects (JSON, deep
 * equality) for the price of the decode alone. The record types' methods are not used here
 * (`omitRecordMethods`); encoding and validation do not look at prototypes.
 */
function decodeIntoPlainObjects(type: Type, seen = new Set<Type>()): void {
  if (seen.has(type)) return;
  seen.add(type);
  const t = type as unknown as {
    recordConstructor?: { prototype: object };
    fields?: Array<{ type: Type }>;
    itemsType?: Type;
    valuesType?: Type;
    types?: Type[];
  };
  if (t.recordConstructor) t.recordConstructor.prototype = Object.prototype;
  for (const field of t.fields ?? []) decodeIntoPlainObjects(field.type, seen);
  for (const inner of [t.itemsType, t.valuesType, ...(t.types ?? [])]) if (inner) decodeIntoPlainObjects(inner, seen);
}

/** For a reader this process did not compile (a newer writer schema it cannot resolve): a plain copy. */
function toPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = toPlain((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}
