/**
 * The subset of Avro schema JSON that the contract uses, typed so that a schema written as a
 * `const` literal keeps its exact shape (see ./infer-avro.ts). No Avro library is needed here:
 * libs/contracts holds data only.
 */
export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'string' | 'bytes';

export interface AvroLogicalString {
  readonly type: 'string';
  readonly logicalType: string;
}

export interface AvroEnum {
  readonly type: 'enum';
  readonly name: string;
  readonly symbols: readonly string[];
}

export interface AvroArray {
  readonly type: 'array';
  readonly items: AvroType;
}

export interface AvroField {
  readonly name: string;
  readonly type: AvroType;
  readonly default?: unknown;
  readonly doc?: string;
}

export interface AvroRecord {
  readonly type: 'record';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly fields: readonly AvroField[];
}

export type AvroType = AvroPrimitive | AvroLogicalString | AvroEnum | AvroArray | AvroRecord | readonly AvroType[];

export const EVENTS_NAMESPACE = 'io.paystream.events';
