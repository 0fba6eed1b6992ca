/**
 * The Confluent wire format: one magic byte 0, the schema id as a 4-byte big-endian integer,
 * then the Avro body. Any Confluent-compatible consumer (Kafka Connect, ksqlDB, kcat -s avro)
 * reads what we write.
 */
export const MAGIC_BYTE = 0;
export const WIRE_HEADER_BYTES = 5;

export function writeWireHeader(target: Buffer, schemaId: number): void {
  target.writeUInt8(MAGIC_BYTE, 0);
  target.writeInt32BE(schemaId, 1);
}

/** The schema id, or undefined when the bytes cannot be a Confluent-framed value. */
export function readWireHeader(value: Buffer | null | undefined): { schemaId: number } | undefined {
  if (!value || value.length <= WIRE_HEADER_BYTES || value[0] !== MAGIC_BYTE) return undefined;
  const schemaId = value.readInt32BE(1);
  return schemaId > 0 ? { schemaId } : undefined;
}
