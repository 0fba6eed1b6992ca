import { Body, Controller, DynamicModule, Module, Post } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { currentCorrelationId } from '@paystream/observability';
import { runService } from './bootstrap';

@Controller('echo')
class EchoController {
  @Post()
  echo(@Body() body: unknown): { correlationId: string | undefined; body: unknown } {
    return { correlationId: currentCorrelationId(), body };
  }
}

@Module({})
class EchoModule {
  static register(platform: DynamicModule): DynamicModule {
    return { module: EchoModule, imports: [platform], controllers: [EchoController] };
  }
}

describe('correlation id over HTTP', () => {
  let app: NestFastifyApplication;
  const port = 3190 + Math.floor(Math.random() * 20);

  beforeAll(async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { PORT: String(port), LOG_LEVEL: 'error' });
    try {
      app = await runService({
        service: 'echo',
        defaultPort: port,
        configShape: {},
        module: (_c, platform) => EchoModule.register(platform),
      });
    } finally {
      process.env = saved;
    }
  });

  afterAll(async () => {
    await app?.close();
  });

  it('reaches the handler of a POST with a body and is echoed in the response header', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': 'corr-post-1' },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(res.headers.get('x-correlation-id')).toBe('corr-post-1');
    expect(await res.json()).toEqual({ correlationId: 'corr-post-1', body: { hello: 'world' } });
  });

  it('names the request in a problem raised before the handler (malformed JSON)', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': 'corr-bad-json' },
      body: '{"hello":',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ correlationId: 'corr-bad-json', status: 400 });
  });

  it('generates an id when the caller sends none', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const generated = res.headers.get('x-correlation-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await res.json()) as { correlationId: string }).correlationId).toBe(generated);
  });
});
