/**
 * The hello-world baseline: a bare Nest application on Fastify with one GET route, no platform
 * module, no logging. Run as its own process by `helloWorld()`; prints `{"port": n}` when listening.
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';

@Controller()
class HelloController {
  @Get('hello')
  hello(): { hello: string } {
    return { hello: 'world' };
  }
}

@Module({ controllers: [HelloController] })
class HelloModule {}

async function serve(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(HelloModule, new FastifyAdapter(), { logger: false });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(JSON.stringify({ port }) + '\n');
}

serve().catch((err: unknown) => {
  process.stderr.write(`hello-world server failed: ${String(err)}\n`);
  process.exit(1);
});
