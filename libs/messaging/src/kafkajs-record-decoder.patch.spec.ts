import { LazyRecord, RecordBatchContext, decodeRecord, headerBytes } from './kafkajs-record-decoder.patch';

/* eslint-disable @typescript-eslint/no-require-imports */
// kafkajs' own pieces, by path: its record encoder and decoder (Jest loads kafkajs' own decoder,
// its module registry never sees the patch) and its protocol Decoder.
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: {
  offsetDelta?: number;
  timestampDelta?: number | bigint;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string | Buffer | Array<string | Buffer>>;
}) => { buffer: Buffer };
const kafkajsDecodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (
  decoder: unknown,
  batch: RecordBatchContext,
) => Record<string, unknown>;
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => {
  readVarIntBytes(): Buffer;
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** A record's own bytes, as kafkajs' batch decoder hands them to the record decoder. */
function recordDecoder(record: Parameters<typeof encodeRecord>[0]) {
  const framed = encodeRecord(record).buffer;
  return () => new Decoder(new Decoder(framed).readVarIntBytes());
}

const batch = (fields: Partial<RecordBatchContext> = {}): RecordBatchContext => ({
  firstOffset: '1000',
  firstTimestamp: '1796611763814',
  maxTimestamp: '1796611769999',
  magicByte: 2,
  isControlBatch: false,
  timestampType: 0,
  producerId: '-1',
  ...fields,
});

const FIELDS = ['magicByte', 'attributes', 'timestamp', 'offset', 'key', 'value', 'headers', 'isControlRecord'];

function same(record: Parameters<typeof encodeRecord>[0], context: RecordBatchContext): LazyRecord {
  const bytes = recordDecoder(record);
  const theirs = kafkajsDecodeRecord(bytes(), context);
  const ours = decodeRecord(bytes() as never, context);
  for (const field of FIELDS)
    expect({ field, value: ours[field as keyof LazyRecord] }).toEqual({ field, value: theirs[field] });
  expect(ours.batchContext).toBe(context);
  return ours;
}

describe("the runtime's kafkajs record decoder", () => {
  it('decodes what kafkajs decodes: key, value, headers, offset and timestamp', () => {
    expect(kafkajsDecodeRecord).not.toBe(decodeRecord);
    same(
      {
        offsetDelta: 7,
        timestampDelta: 1234,
        key: 'acct-13',
        value: Buffer.from([0, 0, 0, 0, 1, 2, 3]),
        headers: { type: 'payment.settled', eventId: '01a24e67-ec64-74f8-9a93-10b9c61cf3ad', empty: '' },
      },
      batch(),
    );
  });

  it('keeps repeated header names as an array in order, and null key and value as null', () => {
    const record = same(
      { key: null, value: null, headers: { trace: ['a', 'b', 'c'], type: 'x' } },
      batch({ firstOffset: '0' }),
    );
    expect(record.headers.trace).toEqual([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]);
  });

  it('adds negative and large deltas, and offsets beyond 2^53, as kafkajs does', () => {
    same({ offsetDelta: 3, timestampDelta: -5000, key: 'k', value: 'v' }, batch());
    // Longer than seven varint bytes: the Long path.
    same({ timestampDelta: 2n ** 52n, key: 'k', value: 'v' }, batch({ firstTimestamp: '1' }));
    same({ offsetDelta: 9, key: 'k', value: 'v' }, batch({ firstOffset: '9007199254740990' }));
    same({ key: 'k', value: 'v' }, batch({ firstTimestamp: '-1' }));
  });

  it('takes the batch time when the broker set it (log append time)', () => {
    const record = same({ timestampDelta: 10, key: 'k', value: 'v' }, batch({ timestampType: 1 }));
    expect(record.timestamp).toBe('1796611769999');
  });

  it('answers one header from the bytes, before and after the rest is decoded', () => {
    const bytes = recordDecoder({
      key: 'k',
      value: 'v',
      headers: { eventId: 'e-1', type: 'payment.failed', twice: ['1', '2'] },
    });
    const record = decodeRecord(bytes() as never, batch());
    expect(headerBytes(record, 'type')).toEqual(Buffer.from('payment.failed'));
    expect(headerBytes(record, 'twice')).toEqual(Buffer.from('1'));
    expect(headerBytes(record, 'missing')).toBeUndefined();
    // Reading a header from the bytes leaves the record whole.
    expect(record.value).toEqual(Buffer.from('v'));
    expect(headerBytes(record, 'type')).toEqual(Buffer.from('payment.failed'));
    expect(headerBytes(record, 'twice')).toEqual(Buffer.from('1'));
    expect(headerBytes({ headers: { type: 'x' } }, 'type')).toBe('x');
  });

  it('prints as kafkajs prints its record', () => {
    const bytes = recordDecoder({ key: 'k', value: 'v', headers: { type: 't' } });
    const context = batch();
    expect(JSON.parse(JSON.stringify(decodeRecord(bytes() as never, context)))).toEqual(
      JSON.parse(JSON.stringify(kafkajsDecodeRecord(bytes(), context))),
    );
  });
});
