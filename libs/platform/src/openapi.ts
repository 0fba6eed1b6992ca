import { applyDecorators, INestApplication, Logger } from '@nestjs/common';
import { ApiResponse, DocumentBuilder, OpenAPIObject, SchemaObject, SwaggerModule } from '@nestjs/swagger';
import { CORRELATION_HEADER } from '@paystream/observability';
import { PROBLEM_BASE } from './problem';

/** Where every service serves its API description: the UI at `/docs`, the document at `/docs-json`. */
export const OPENAPI_UI_PATH = 'docs';
export const OPENAPI_JSON_PATH = 'docs-json';

const PROBLEM_SCHEMA = 'Problem';
const PROBLEM_MEDIA_TYPE = 'application/problem+json';

// The RFC 9457 body that ProblemFilter writes for every error, declared once so controllers
// can reference it instead of each describing their own error shape.
const problemSchema: SchemaObject = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', format: 'uri', example: `${PROBLEM_BASE}validation-error` },
    title: { type: 'string', example: 'The request is not valid' },
    status: { type: 'integer', example: 400 },
    detail: { type: 'string', example: 'amount: must have at most 2 decimals for EUR' },
    code: { type: 'string', description: 'Stable domain error code, when the error is a domain one' },
    correlationId: { type: 'string', description: `Also returned in the ${CORRELATION_HEADER} header` },
    errors: {
      type: 'array',
      description: 'The offending fields of a validation error',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
  additionalProperties: true,
};

/**
 * Documents error responses of a route as problem+json (the shared `Problem` schema), e.g.
 * `@ApiProblemResponses(400, 404, 422)` on a controller method.
 */
export function ApiProblemResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: `Problem (RFC 9457)`,
        content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: `#/components/schemas/${PROBLEM_SCHEMA}` } } },
      }),
    ),
  );
}

/**
 * Builds the service's OpenAPI document from the controllers' decorators (@ApiTags,
 * @ApiProperty, …) and serves it. Called by runService before the app initialises, because
 * Fastify accepts no new routes once it is ready.
 */
export function setupOpenApi(app: INestApplication, service: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(`Paystream ${service} service`)
    .setDescription(
      `The ${service} service of Paystream. Errors are ${PROBLEM_MEDIA_TYPE} (RFC 9457); every ` +
        `response carries the ${CORRELATION_HEADER} header (given by the caller or generated).`,
    )
    .setVersion('1')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, [PROBLEM_SCHEMA]: problemSchema },
  };
  const ui = staticAssetsLoadable();
  if (!ui) new Logger('OpenApi').warn(`@fastify/static cannot be loaded: serving /${OPENAPI_JSON_PATH} without the UI`);
  SwaggerModule.setup(OPENAPI_UI_PATH, app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
    ui,
    customSiteTitle: `Paystream ${service} API`,
  });
  return document;
}

// The UI's assets are served by @fastify/static, which Nest loads with a process.exit(1) when it
// fails. It fails inside Jest (one of its dependencies is ESM-only and Jest's module loader
// does not take require(esm)), so a test that boots a service in-process would die; plain
// Node loads it. Probe once here instead.
function staticAssetsLoadable(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@fastify/static');
    return true;
  } catch {
    return false;
  }
}
