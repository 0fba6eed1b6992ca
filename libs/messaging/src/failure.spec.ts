import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { backoffDelay, classifyError, settlesWithin, untilAborted } from './failure';
import { PermanentError } from './ports';

function pgError(code: string, message = 'pg error'): Error {
  return Object.assign(new Error(message), { code });
}

describe(classifyError.name, () => {
  it.each(['40001', '40P01', '08006', '08001', '57P01', '57P02', '57P03', '53300'])(
    'treats SQLSTATE %s as transient',
    (code) => {
      expect(classifyError(pgError(code))).toEqual({ kind: 'transient', code, message: 'pg error' });
    },
  );

  it.each(['22003', '22P02', '23505', '23514'])('treats SQLSTATE %s from a handler as permanent', (code) => {
    expect(classifyError(pgError(code)).kind).toBe('permanent');
  });

  it('reads the SQLSTATE of a TypeORM QueryFailedError from its driver error', () => {
    const err = Object.assign(new Error('query failed'), { driverError: { code: '40P01' } });
    expect(classifyError(err)).toMatchObject({ kind: 'transient', code: '40P01' });
  });

  it('treats a PermanentError as permanent with its own code', () => {
    expect(classifyError(new PermanentError('SCHEMA_INVALID', 'bad'))).toEqual({
      kind: 'permanent',
      code: 'SCHEMA_INVALID',
      message: 'bad',
    });
  });

  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a connection that died', new Error('Connection terminated unexpectedly')],
    ['a pool timeout', new Error('timeout exceeded when trying to connect')],
  ])('treats %s as transient', (_what, err) => {
    expect(classifyError(err).kind).toBe('transient');
  });

  it('treats retriable and exhausted kafkajs errors as transient', () => {
    const retriable = new KafkaJSProtocolError('leader not available');
    Object.assign(retriable, { retriable: true });
    expect(classifyError(retriable).kind).toBe('transient');
    expect(
      classifyError(new KafkaJSNumberOfRetriesExceeded(new Error('x'), { retryCount: 5, retryTime: 1 })).kind,
    ).toBe('transient');
  });

  it('calls anything else unknown (retried a few times, then dead-lettered)', () => {
    expect(classifyError(new TypeError('x is undefined'))).toEqual({
      kind: 'unknown',
      code: 'TypeError',
      message: 'x is undefined',
    });
    expect(classifyError({ status: 'error', message: 'Internal server error' }).kind).toBe('unknown');
  });
});

describe(backoffDelay.name, () => {
  it('doubles per attempt between half and all of the ceiling, capped', () => {
    expect(backoffDelay(1, 100, 10_000, () => 0)).toBe(50);
    expect(backoffDelay(1, 100, 10_000, () => 1)).toBe(100);
    expect(backoffDelay(4, 100, 10_000, () => 1)).toBe(800);
    expect(backoffDelay(30, 100, 10_000, () => 1)).toBe(10_000);
    expect(backoffDelay(30, 100, 10_000, () => 0)).toBe(5_000);
  });
});

describe(settlesWithin.name, () => {
  const never = new Promise<void>(() => undefined);

  it('is true for work that resolves or rejects, and false for work still running at the bound', async () => {
    expect(await settlesWithin(Promise.resolve(1), 60_000)).toBe(true);
    expect(await settlesWithin(Promise.reject(new Error('gone')), 60_000)).toBe(true);
    expect(await settlesWithin(undefined, 0)).toBe(true);
    expect(await settlesWithin(never, 1)).toBe(false);
  });
});

describe(untilAborted.name, () => {
  it('passes the result through, and rejects at once when the signal aborts first', async () => {
    const controller = new AbortController();
    await expect(untilAborted(Promise.resolve('connected'), controller.signal)).resolves.toBe('connected');
    const waiting = untilAborted(new Promise<void>(() => undefined), controller.signal);
    controller.abort();
    await expect(waiting).rejects.toThrow('stopping');
    await expect(untilAborted(Promise.resolve('late'), controller.signal)).rejects.toThrow('stopping');
  });
});
