import { Controller, Get, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses, setupOpenApi } from './openapi';

class WidgetDto {
  @ApiProperty({ example: 'w-1' })
  id!: string;
}

@ApiTags('widgets')
@Controller('v1/widgets')
class WidgetController {
  @Get(':id')
  @ApiOkResponse({ type: WidgetDto })
  @ApiProblemResponses(404)
  get(@Param('id') id: string): WidgetDto {
    return { id };
  }
}

@Module({ controllers: [WidgetController] })
class WidgetModule {}

describe(setupOpenApi.name, () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(WidgetModule, new FastifyAdapter(), { logger: false });
    setupOpenApi(app, 'widget');
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app.close();
  });

  it('serves the document at /docs-json with the routes, their tags and the shared Problem schema', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs-json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{
      info: { title: string };
      paths: Record<string, { get: { tags: string[]; responses: Record<string, { content?: object }> } }>;
      components: { schemas: Record<string, { required?: string[] }> };
    }>();
    expect(doc.info.title).toBe('Paystream widget service');
    const op = doc.paths['/v1/widgets/{id}'].get;
    expect(op.tags).toEqual(['widgets']);
    expect(op.responses['404'].content).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
    });
    expect(doc.components.schemas.Problem.required).toEqual(['type', 'title', 'status']);
    expect(doc.components.schemas.WidgetDto).toBeDefined();
  });
});
