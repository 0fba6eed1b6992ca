import { Type } from 'avsc';
import type { EventType } from '../events';
import { EVENT_TYPES } from '../events';
import { AvroRecord, AvroType } from './avro-schema';
import { EVENT_EXAMPLES, EventOfType } from './event-examples.fixture';
import {
  EVENT_SCHEMAS,
  EVENT_TOPIC,
  eventTypeOfFullName,
  schemaFullName,
  subjectName,
  TOPIC_EVENT_TYPES,
} from './event-schemas';
import type { InferAvro } from './infer-avro';

/*
 * Compile-time half of the proof (checked by `tsc --noEmit` in `npm test`): for every event the
 * type that the schema describes and the type in events.ts are assignable both ways, i.e. they
 * have the same fields with the same value types. `type` is a literal in TS and a string in Avro.
 */
type MutuallyAssignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type SchemaValue<K extends EventType> = InferAvro<(typeof EVENT_SCHEMAS)[K]>;
type TsValue<K extends EventType> = Omit<EventOfType<K>, 'type'> & { type: string };
const typesMatch: { [K in EventType]: MutuallyAssignable<SchemaValue<K>, TsValue<K>> } = {
  'payment.initiated': true,
  'payment.authorized': true,
  'payment.rejected': true,
  'payment.settled': true,
  'payment.failed': true,
  'risk.assessed': true,
  'ledger.posted': true,
  'ledger.refused': true,
};

/** Field names of a value, nested records and arrays of records included ("data.postings[].amount"). */
function valuePaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.length ? valuePaths(value[0], `${prefix}[]`) : [];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [`${prefix}${k}`, ...valuePaths(v, `${prefix}${k}.`)]);
}

function schemaPaths(type: AvroType, prefix = ''): string[] {
  if (typeof type === 'string') return [];
  if (Array.isArray(type)) return (type as readonly AvroType[]).flatMap((t) => schemaPaths(t, prefix));
  const t = type as Exclude<AvroType, string | readonly AvroType[]>;
  if (t.type === 'array') return schemaPaths(t.items, `${prefix}[]`);
  if (t.type !== 'record') return [];
  return t.fields.flatMap((f) => [`${prefix}${f.name}`, ...schemaPaths(f.type, `${prefix}${f.name}.`)]);
}

describe('event schemas', () => {
  it('covers every event type of events.ts with a schema in io.paystream.events', () => {
    expect(Object.values(typesMatch).every(Boolean)).toBe(true);
    expect(Object.keys(EVENT_SCHEMAS).sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) {
      expect(EVENT_SCHEMAS[type].namespace).toBe('io.paystream.events');
      expect(eventTypeOfFullName(schemaFullName(type))).toBe(type);
    }
  });

  it.each(EVENT_TYPES)('%s: the typed example has exactly the schema fields and round-trips losslessly', (type) => {
    const example = EVENT_EXAMPLES[type];
    const schema = EVENT_SCHEMAS[type];
    expect(valuePaths(example).sort()).toEqual(schemaPaths(schema).sort());

    const avro = Type.forSchema(schema as never);
    const errors: string[] = [];
    expect(avro.isValid(example, { noUndeclaredFields: true, errorHook: (p) => errors.push(p.join('.')) })).toBe(true);
    expect(errors).toEqual([]);
    expect(JSON.parse(JSON.stringify(avro.fromBuffer(avro.toBuffer(example))))).toStrictEqual(example);
  });

  it('puts envelope fields first, with eventId a uuid string and nullable fields defaulting to null', () => {
    for (const type of EVENT_TYPES) {
      const fields = EVENT_SCHEMAS[type].fields;
      expect(fields.map((f) => f.name)).toEqual([
        'eventId',
        'type',
        'occurredAt',
        'paymentId',
        'correlationId',
        'version',
        'data',
      ]);
      expect(fields[0].type).toEqual({ type: 'string', logicalType: 'uuid' });
      const data = fields[6].type as AvroRecord;
      for (const f of data.fields) {
        if (Array.isArray(f.type) && (f.type as readonly AvroType[]).includes('null')) {
          expect([f.name, (f.type as readonly AvroType[])[0], f.default]).toEqual([f.name, 'null', null]);
        }
      }
    }
  });

  it('maps each event type to its contract topic and names subjects <topic>-<record full name>', () => {
    expect(EVENT_TOPIC['payment.settled']).toBe('payment-events');
    expect(EVENT_TOPIC['risk.assessed']).toBe('risk-decisions');
    expect(EVENT_TOPIC['ledger.refused']).toBe('ledger-results');
    expect(TOPIC_EVENT_TYPES['ledger-results']).toEqual(['ledger.posted', 'ledger.refused']);
    expect(TOPIC_EVENT_TYPES['payment-events']).toHaveLength(5);
    expect(subjectName('payment-events', 'payment.initiated')).toBe(
      'payment-events-io.paystream.events.PaymentInitiated',
    );
  });
});
