import type { AvroField } from './avro-schema';

/**
 * The TypeScript value type that avsc reads and writes for an Avro schema literal. Used to prove
 * at compile time that the hand-written types in events.ts and the schemas describe the same
 * fields (schema-types.spec.ts); `long` is a number because avsc's default long type is.
 */
export type InferAvro<T> = T extends 'null'
  ? null
  : T extends 'boolean'
    ? boolean
    : T extends 'int' | 'long' | 'float' | 'double'
      ? number
      : T extends 'string'
        ? string
        : T extends 'bytes'
          ? Uint8Array
          : T extends readonly unknown[]
            ? InferAvro<T[number]>
            : T extends { readonly type: 'string' }
              ? string
              : T extends { readonly type: 'enum'; readonly symbols: readonly (infer S)[] }
                ? S
                : T extends { readonly type: 'array'; readonly items: infer I }
                  ? InferAvro<I>[]
                  : T extends { readonly type: 'record'; readonly fields: infer F extends readonly AvroField[] }
                    ? { -readonly [K in F[number] as K['name']]: InferAvro<K['type']> }
                    : never;
