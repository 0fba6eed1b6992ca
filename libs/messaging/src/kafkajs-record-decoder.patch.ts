/**
 * A leaner record decoder for kafkajs 2.2.4, installed once per process when libs/messaging
 * loads, before any consumer fetches.
 *
 * kafkajs decodes every fetched record with three costs that grow with the traffic:
 * - it gathers the headers with a reduce that copies the headers object once per header, so a
 *   record with the contract's eight headers allocates eight objects of growing size;
 * - it parses the batch's first offset and first timestamp from their decimal strings again for
 *   every record (Long.fromValue), adds the record's delta and prints the sum back to a string;
 * - it reads the timestamp delta as a 64-bit Long, one BigInt object per varint byte;
 * - it decodes every header name into a new string, although a topic's records repeat the same
 *   few names (the contract's four); the names seen first are kept and reused.
 * Measured on this project's bench topic (60,000 payment events, one consumer, 8 MiB fetches):
 * a raw eachBatch consumer with this decoder reads 1.3 to 1.5 times as many events a second as
 * with kafkajs' own, with a third less CPU (libs/messaging README, "Record decoder").
 *
 * The replacement returns the same record object, field for field: offset and timestamp as
 * decimal strings, key and value as Buffers (null when null), headers as an object whose repeated
 * keys hold an array of their values in order. Arithmetic is done in doubles while the numbers
 * stay within 2^53 and falls back to kafkajs' Long otherwise. kafkajs keeps a reference to the
 * record decoder from the moment its batch decoder loads (the first fetch of the process), so the
 * replacement is put in Node's module cache before that; `installed` says whether it took (it
 * does not under module systems of their own, such as Jest's, which keep kafkajs' decoder).
 */
import Module from 'node:module';

/** The slice of kafkajs' protocol Decoder the record decoder uses. */
export interface KafkajsDecoder {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
  readVarInt(): number;
  readVarLong(): unknown;
  readVarIntBytes(): Buffer | null;
}

/** The batch fields kafkajs hands to the record decoder (its recordContext). */
export interface RecordBatchContext {
  firstOffset: string;
  firstTimestamp: string;
  maxTimestamp?: string;
  magicByte?: number;
  isControlBatch?: boolean;
  timestampType?: number;
  [field: string]: unknown;
}

interface LongValue {
  add(other: unknown): LongValue;
  toString(): string;
}

interface LongClass {
  fromValue(value: string): LongValue;
}

const RECORD_DECODER = 'kafkajs/src/protocol/recordBatch/record/v0/decoder';
const BATCH_DECODER = 'kafkajs/src/protocol/recordBatch/v0/decoder';
const LOG_APPEND_TIME = 1;
/** Seven varint bytes hold 49 bits: the largest varlong read without kafkajs' Long. */
const FAST_VARLONG_BYTES = 7;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Long = require('kafkajs/src/utils/long') as LongClass;

/**
 * A zigzag varlong as a double, or undefined (the decoder's position unchanged) when it is longer
 * than FAST_VARLONG_BYTES bytes.
 */
function readSmallVarLong(decoder: KafkajsDecoder): number | undefined {
  const { buffer } = decoder;
  let at = decoder.offset;
  let unsigned = 0;
  let scale = 1;
  for (let read = 0; read < FAST_VARLONG_BYTES; read++) {
    const byte = buffer[at++];
    unsigned += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      decoder.offset = at;
      return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
    }
    scale *= 128;
  }
  return undefined;
}

/** Header names kept for reuse: the first ones seen, short ones only (a topic has a handful). */
const knownNames: Array<{ bytes: Buffer; name: string }> = [];
const MAX_KNOWN_NAMES = 32;
const MAX_KNOWN_NAME_BYTES = 64;

/** A header name (a varint-length UTF-8 string), reusing the string of a name seen before. */
function readHeaderName(decoder: KafkajsDecoder): string | null {
  const length = decoder.readVarInt();
  if (length < 0) return null;
  const { buffer, offset } = decoder;
  decoder.offset = offset + length;
  candidates: for (const known of knownNames) {
    if (known.bytes.length !== length) continue;
    for (let i = 0; i < length; i++) if (buffer[offset + i] !== known.bytes[i]) continue candidates;
    return known.name;
  }
  const name = buffer.toString('utf8', offset, offset + length);
  if (knownNames.length < MAX_KNOWN_NAMES && length <= MAX_KNOWN_NAME_BYTES)
    knownNames.push({ bytes: Buffer.from(buffer.subarray(offset, offset + length)), name });
  return name;
}

/** `base` (a decimal string, `baseNumber` as a double) plus `delta`, as kafkajs prints it. */
function plus(base: string, baseNumber: number, delta: unknown): string {
  if (typeof delta === 'number') {
    const sum = baseNumber + delta;
    if (Number.isSafeInteger(baseNumber) && Number.isSafeInteger(sum)) return String(sum);
  }
  return Long.fromValue(base).add(delta).toString();
}

/** The batch whose first offset and timestamp were parsed last: its records come one after another. */
let lastBatch: RecordBatchContext | undefined;
let firstOffset = 0;
let firstTimestamp = 0;

type Headers = Record<string, Buffer | null | Array<Buffer | null>>;

/** Header names as bytes, for headerBytes' comparison. */
const nameBytes = new Map<string, Buffer>();

/**
 * A fetched record whose key, value and headers are decoded when first read. A consumer that
 * passes over most records by their type header (acceptTypes) reads that one header with
 * headerBytes and never pays for the rest of them.
 */
export class LazyRecord {
  readonly magicByte: number | undefined;
  readonly attributes: number;
  readonly timestamp: string;
  readonly offset: string;
  readonly isControlRecord: boolean;
  readonly batchContext: RecordBatchContext;
  /** Positioned at the key until the rest is decoded; then undefined. */
  #decoder: KafkajsDecoder | undefined;
  #key: Buffer | null = null;
  #value: Buffer | null = null;
  #headers: Headers = {};

  constructor(
    decoder: KafkajsDecoder,
    batch: RecordBatchContext,
    attributes: number,
    timestamp: string,
    offset: string,
  ) {
    this.magicByte = batch.magicByte;
    this.attributes = attributes;
    this.timestamp = timestamp;
    this.offset = offset;
    this.isControlRecord = batch.isControlBatch ?? false;
    this.batchContext = batch;
    this.#decoder = decoder;
  }

  get key(): Buffer | null {
    this.#decode();
    return this.#key;
  }

  get value(): Buffer | null {
    this.#decode();
    return this.#value;
  }

  get headers(): Headers {
    this.#decode();
    return this.#headers;
  }

  /**
   * The first value of header `name` (undefined when there is none), read from the record's bytes
   * without decoding its key, value or other headers.
   */
  headerBytes(name: string): Buffer | null | undefined {
    const decoder = this.#decoder;
    if (!decoder) {
      const value = this.#headers[name];
      return Array.isArray(value) ? value[0] : value;
    }
    let wanted = nameBytes.get(name);
    if (!wanted) nameBytes.set(name, (wanted = Buffer.from(name, 'utf8')));
    const start = decoder.offset;
    try {
      skipBytes(decoder); // key
      skipBytes(decoder); // value
      const count = decoder.readVarInt();
      for (let i = 0; i < count; i++) {
        const length = decoder.readVarInt();
        const at = decoder.offset;
        decoder.offset = at + Math.max(0, length);
        let same = length === wanted.length;
        for (let j = 0; same && j < length; j++) same = decoder.buffer[at + j] === wanted[j];
        if (same) return decoder.readVarIntBytes();
        skipBytes(decoder);
      }
      return undefined;
    } finally {
      decoder.offset = start;
    }
  }

  /** What kafkajs' own record would print (JSON.stringify of a consumed message, in logs). */
  toJSON(): object {
    const { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord, batchContext } = this;
    return { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord, batchContext };
  }

  #decode(): void {
    const decoder = this.#decoder;
    if (!decoder) return;
    this.#decoder = undefined;
    this.#key = decoder.readVarIntBytes();
    this.#value = decoder.readVarIntBytes();
    const count = decoder.readVarInt();
    for (let i = 0; i < count; i++) {
      // kafkajs files a null name (never sent by a Kafka client) under "null", and so does this.
      const name = readHeaderName(decoder) as string;
      const headerValue = decoder.readVarIntBytes();
      const earlier = this.#headers[name];
      if (earlier === undefined) this.#headers[name] = headerValue;
      else this.#headers[name] = Array.isArray(earlier) ? [...earlier, headerValue] : [earlier, headerValue];
    }
  }
}

function skipBytes(decoder: KafkajsDecoder): void {
  const length = decoder.readVarInt();
  if (length > 0) decoder.offset += length;
}

/**
 * The first value of a consumed record's header `name` as bytes: read from the record's bytes
 * when it is a LazyRecord, from its headers object otherwise.
 */
export function headerBytes(
  message: { headers?: Record<string, unknown> },
  name: string,
): Buffer | string | null | undefined {
  if (message instanceof LazyRecord) return message.headerBytes(name);
  const value = message.headers?.[name];
  return (Array.isArray(value) ? value[0] : value) as Buffer | string | null | undefined;
}

/** Decodes one record of a v2 record batch into what kafkajs' record decoder v0 returns. */
export function decodeRecord(decoder: KafkajsDecoder, batch: RecordBatchContext): LazyRecord {
  if (batch !== lastBatch) {
    lastBatch = batch;
    firstOffset = Number(batch.firstOffset);
    firstTimestamp = Number(batch.firstTimestamp);
  }
  const attributes = decoder.readInt8();
  const timestampDelta = readSmallVarLong(decoder) ?? decoder.readVarLong();
  const timestamp =
    batch.timestampType === LOG_APPEND_TIME && batch.maxTimestamp
      ? batch.maxTimestamp
      : plus(batch.firstTimestamp, firstTimestamp, timestampDelta);
  const offset = plus(batch.firstOffset, firstOffset, decoder.readVarInt());
  return new LazyRecord(decoder, batch, attributes, timestamp, offset);
}

/**
 * Puts decodeRecord in Node's module cache as kafkajs' record decoder. Idempotent; false when it
 * cannot take: kafkajs' batch decoder already loaded (a fetch ran before libs/messaging loaded),
 * or a module system that does not read Node's cache.
 */
export function patchKafkajsRecordDecoder(): boolean {
  const recordFile = require.resolve(RECORD_DECODER);
  const cached = require.cache[recordFile];
  if (cached?.exports === decodeRecord) return true;
  if (cached || require.cache[require.resolve(BATCH_DECODER)]) return false;
  const replacement = new Module(recordFile);
  replacement.filename = recordFile;
  replacement.loaded = true;
  replacement.exports = decodeRecord;
  require.cache[recordFile] = replacement;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(RECORD_DECODER) === decodeRecord;
}

/** Whether this process decodes records with decodeRecord. */
export const recordDecoderPatched = patchKafkajsRecordDecoder();
