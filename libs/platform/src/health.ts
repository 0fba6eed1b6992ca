import { Controller, Get, Header, HttpCode, HttpStatus, Injectable, Res } from '@nestjs/common';
import { Metrics } from '@paystream/observability';

export type ReadinessCheck = () => Promise<void>;

/**
 * Readiness is the conjunction of what the service needs to do work: its database and its
 * Kafka cluster. Modules register their checks here at start-up; each check is bounded by a
 * timeout so a hung dependency makes the service unready instead of hanging the probe.
 */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  async evaluate(timeoutMs = 2000): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const results = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          await withTimeout(check(), timeoutMs, name);
          return [name, 'up'] as const;
        } catch (err) {
          return [name, `down: ${err instanceof Error ? err.message : String(err)}`] as const;
        }
      }),
    );
    return { ready: results.every(([, s]) => s === 'up'), checks: Object.fromEntries(results) };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} check timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface ReplyLike {
  status(code: number): ReplyLike;
  send(body: unknown): void;
}

@Controller('health')
export class HealthController {
  constructor(private readonly registry: HealthRegistry) {}

  @Get('live')
  @HttpCode(HttpStatus.OK)
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res() reply: ReplyLike): Promise<void> {
    const result = await this.registry.evaluate();
    reply.status(result.ready ? 200 : 503).send({ status: result.ready ? 'ready' : 'unready', checks: result.checks });
  }
}

@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  text(): Promise<string> {
    return this.metrics.text();
  }
}
