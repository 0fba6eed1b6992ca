import { LoggerService, LogLevel } from '@nestjs/common';
import { currentCorrelationId } from './correlation';

const ORDER: Record<LogLevel, number> = { fatal: 0, error: 1, warn: 2, log: 3, verbose: 4, debug: 5 };
const NAMES: Record<LogLevel, string> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  verbose: 'verbose',
  debug: 'debug',
};

export type LogFields = Record<string, unknown>;

/**
 * One JSON object per line on stdout, with the service name and the correlation id of the
 * request or event in flight, so that one payment can be followed across services.
 */
export class JsonLogger implements LoggerService {
  private readonly threshold: number;

  constructor(
    private readonly service: string,
    level: LogLevel = 'log',
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
  ) {
    this.threshold = ORDER[level];
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.emit('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.emit('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.emit('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.emit('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.emit('fatal', message, rest);
  }

  /** Structured event: `logger.event('warn', 'outbox relay retrying', { attempt })`. */
  event(level: LogLevel, msg: string, fields: LogFields = {}): void {
    if (ORDER[level] > this.threshold) return;
    this.print(level, msg, fields);
  }

  private emit(level: LogLevel, message: unknown, rest: unknown[]): void {
    if (ORDER[level] > this.threshold) return;
    // Nest passes the context (a class name) last, and for errors a stack before it.
    const args = [...rest];
    const context = typeof args[args.length - 1] === 'string' ? (args.pop() as string) : undefined;
    const fields: LogFields = { context };
    if (message instanceof Error) {
      fields.err = { name: message.name, message: message.message, stack: message.stack };
      message = message.message;
    }
    for (const extra of args) {
      if (typeof extra === 'string' && extra.includes('\n')) fields.stack = extra;
      else if (extra instanceof Error) fields.err = { name: extra.name, message: extra.message, stack: extra.stack };
      else if (extra && typeof extra === 'object') Object.assign(fields, extra);
    }
    const msg = typeof message === 'string' ? message : JSON.stringify(message);
    this.print(level, msg, fields);
  }

  private print(level: LogLevel, msg: string, fields: LogFields): void {
    const line = {
      time: new Date().toISOString(),
      level: NAMES[level],
      service: this.service,
      correlationId: currentCorrelationId(),
      msg,
      ...fields,
    };
    this.write(JSON.stringify(line, bigintSafe) + '\n');
  }
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
