import { z } from 'zod';
import { ProblemException } from './problem';
import { parseOr400 } from './validation';

describe(parseOr400.name, () => {
  const schema = z.object({ currency: z.string().length(3), nested: z.object({ a: z.number() }).strict() }).strict();

  function problemOf(fn: () => unknown) {
    try {
      fn();
    } catch (err) {
      return (err as ProblemException).problem;
    }
    throw new Error('expected a problem');
  }

  it('returns the parsed value', () => {
    expect(parseOr400(schema, { currency: 'EUR', nested: { a: 1 } })).toEqual({ currency: 'EUR', nested: { a: 1 } });
  });

  it('names each unknown field with its path, and each invalid one', () => {
    const problem = problemOf(() => parseOr400(schema, { currency: 'EURO', nested: { a: 1, b: 2 }, extra: true }));
    expect(problem.status).toBe(400);
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { field: 'currency', message: expect.any(String) as string },
        { field: 'nested.b', message: 'is not a known field' },
        { field: 'extra', message: 'is not a known field' },
      ]),
    );
  });

  it('speaks of parameters for a query', () => {
    const problem = problemOf(() => parseOr400(z.object({}).strict(), { limit: '5' }, 'query'));
    expect(problem.errors).toEqual([{ field: 'limit', message: 'is not a known parameter' }]);
  });
});
