import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import { CORRELATION_HEADER, JsonLogger, currentCorrelationId } from '@paystream/observability';

/** An RFC 9457 problem. `type` is a stable URI-like code clients can switch on. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { field: string; message: string }[];
  [extension: string]: unknown;
}

export const PROBLEM_BASE = 'https://paystream.dev/problems/';

export class ProblemException extends HttpException {
  constructor(readonly problem: ProblemBody) {
    super(problem, problem.status);
  }

  static of(status: number, code: string, title: string, extra: Partial<ProblemBody> = {}): ProblemException {
    return new ProblemException({ type: PROBLEM_BASE + code, title, status, ...extra });
  }

  static validation(errors: { field: string; message: string }[], detail?: string): ProblemException {
    return ProblemException.of(400, 'validation-error', 'The request is not valid', {
      detail: detail ?? errors.map((e) => `${e.field}: ${e.message}`).join('; '),
      errors,
    });
  }
}

/**
 * A domain error carries a stable code and knows nothing of HTTP; services map their codes to
 * statuses through this table when they register the filter.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

interface ReplyLike {
  status(code: number): ReplyLike;
  header(name: string, value: string): ReplyLike;
  send(body: unknown): void;
}

// Errors the HTTP server raises before a route runs (body parser, content type, size limits).
const FRAMEWORK_ERRORS: Record<string, [number, string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload-too-large', 'The request body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported-media-type', 'The content type must be application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'malformed-request', 'The content length does not match the body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'malformed-json', 'The body is empty but the content type is JSON'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed-json', 'The body is not valid JSON'],
};

@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(
    private readonly logger: JsonLogger,
    private readonly domainStatus: Record<string, number> = {},
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const reply = host.switchToHttp().getResponse<ReplyLike>();
    const request = host.switchToHttp().getRequest<{ headers?: Record<string, unknown> }>();
    // Errors raised before the handler (body parser, 415, 413) run outside the correlation scope;
    // the id stamped on the request by the onRequest hook still names them.
    const fromRequest = request?.headers?.[CORRELATION_HEADER];
    const correlationId = currentCorrelationId() ?? (typeof fromRequest === 'string' ? fromRequest : undefined);
    const problem = this.toProblem(exception);
    if (problem.status >= 500)
      this.logger.error(exception instanceof Error ? exception : String(exception), 'ProblemFilter');
    reply
      .status(problem.status)
      .header('content-type', 'application/problem+json')
      .send({ ...problem, correlationId });
  }

  private toProblem(exception: unknown): ProblemBody {
    if (exception instanceof ProblemException) return exception.problem;
    if (exception instanceof DomainError) {
      const status = this.domainStatus[exception.code] ?? 422;
      return {
        type: PROBLEM_BASE + exception.code.toLowerCase().replace(/_/g, '-'),
        title: exception.message,
        status,
        code: exception.code,
        ...exception.details,
      };
    }
    const code = (exception as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && FRAMEWORK_ERRORS[code]) {
      const [status, slug, title] = FRAMEWORK_ERRORS[code];
      return { type: PROBLEM_BASE + slug, title, status };
    }
    if (exception instanceof SyntaxError) {
      return { type: PROBLEM_BASE + 'malformed-json', title: 'The body is not valid JSON', status: 400 };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      // Nest hands Fastify's parser errors over as plain HttpExceptions (status and message, no code).
      if (status === 415) return { type: PROBLEM_BASE + 'unsupported-media-type', title: exception.message, status };
      if (status === 400 && /not valid JSON|content-type is set to 'application\/json'/.test(exception.message)) {
        return { type: PROBLEM_BASE + 'malformed-json', title: exception.message, status };
      }
      const slug =
        status === 404
          ? 'not-found'
          : status === 405
            ? 'method-not-allowed'
            : status === 413
              ? 'payload-too-large'
              : 'http-error';
      return { type: PROBLEM_BASE + slug, title: exception.message, status };
    }
    return {
      type: PROBLEM_BASE + 'internal-error',
      title: 'Internal server error',
      status: HttpStatus.INTERNAL_SERVER_ERROR,
    };
  }
}
