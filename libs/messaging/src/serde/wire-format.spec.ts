import { MAGIC_BYTE, readWireHeader, WIRE_HEADER_BYTES, writeWireHeader } from './wire-format';

describe('Confluent wire format', () => {
  it('writes magic byte 0 and the schema id as a 4-byte big-endian integer', () => {
    const buf = Buffer.alloc(WIRE_HEADER_BYTES + 1);
    writeWireHeader(buf, 0x01020304);
    expect([...buf]).toEqual([MAGIC_BYTE, 1, 2, 3, 4, 0]);
    expect(readWireHeader(buf)).toEqual({ schemaId: 0x01020304 });
  });

  it('rejects bytes that cannot be a framed value', () => {
    const framed = Buffer.from([0, 0, 0, 0, 7, 42]);
    expect(readWireHeader(framed)).toEqual({ schemaId: 7 });
    expect(readWireHeader(undefined)).toBeUndefined();
    expect(readWireHeader(Buffer.from([0, 0, 0, 0, 7]))).toBeUndefined(); // no body
    expect(readWireHeader(Buffer.from([1, 0, 0, 0, 7, 42]))).toBeUndefined(); // magic byte
    expect(readWireHeader(Buffer.from([0, 0, 0, 0, 0, 42]))).toBeUndefined(); // id 0
    expect(readWireHeader(Buffer.from([0, 0xff, 0xff, 0xff, 0xff, 42]))).toBeUndefined(); // id -1
    expect(readWireHeader(Buffer.from('{"type":"x"}'))).toBeUndefined();
  });
});
