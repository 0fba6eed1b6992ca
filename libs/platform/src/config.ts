import { hostname } from 'node:os';
import { z } from 'zod';

/**
 * Configuration comes from the environment, read here and nowhere else. Each service declares
 * its variables as a zod shape on top of the shared ones; a bad value stops the process at
 * start-up with a message naming the variable.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export const envBool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const envInt = (min: number, max: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

export const envPort = envInt(1, 65535);
/** A Kafka topic name: letters, digits, `.`, `_` and `-`, at most 249 characters. */
export const topicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name');

const brokerList = z
  .string()
  .min(1)
  .transform((v) => v.split(',').map((s) => s.trim()))
  .pipe(z.array(z.string().regex(/^[A-Za-z0-9._-]+:\d{1,5}$/, 'each broker must be host:port')).min(1));

const sqlName = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier');

export function sharedEnvShape(service: string, defaultPort: number) {
  return {
    PORT: envPort.default(String(defaultPort)),
    HOST: z.string().min(1).default('127.0.0.1'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'log', 'debug', 'verbose']).default('log'),
    INSTANCE_ID: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/)
      .default(`${hostname()}-${process.pid}`),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .default('postgres://postgres@127.0.0.1:5432/postgres'),
    DATABASE_NAME: sqlName.default(`paystream_${service}`),
    DATABASE_POOL_SIZE: envInt(1, 200).default('10'),
    KAFKA_BROKERS: brokerList.default('127.0.0.1:9092'),
    KAFKA_CLIENT_ID: z.string().min(1).default(`paystream-${service}`),
    KAFKA_SSL: envBool.default('false'),
    KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
    KAFKA_SASL_USERNAME: z.string().optional(),
    KAFKA_SASL_PASSWORD: z.string().optional(),
    CONSUMER_LINGER_MS: envInt(0, 1000).default('20'),
    OUTBOX_RELAY_LINGER_MS: envInt(0, 1000).default('10'),
    SCHEMA_REGISTRY_URL: z.string().url().default('http://127.0.0.1:8081/apis/ccompat/v7'),
    SCHEMA_REGISTRY_USERNAME: z.string().optional(),
    SCHEMA_REGISTRY_PASSWORD: z.string().optional(),
  };
}

export type SharedConfig = z.infer<z.ZodObject<ReturnType<typeof sharedEnvShape>>>;

export function loadConfig<S extends z.ZodRawShape>(
  service: string,
  defaultPort: number,
  shape: S,
  env: NodeJS.ProcessEnv = process.env,
) {
  const schema = z.object({ ...sharedEnvShape(service, defaultPort), ...shape }).superRefine((c, ctx) => {
    if (c.KAFKA_SASL_MECHANISM && (!c.KAFKA_SASL_USERNAME || !c.KAFKA_SASL_PASSWORD)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['KAFKA_SASL_USERNAME'],
        message: 'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required with KAFKA_SASL_MECHANISM',
      });
    }
  });
  // Empty strings count as unset, so `FOO= npm start` falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  return Object.freeze(parsed.data);
}
