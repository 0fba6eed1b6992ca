import { Body, Controller, Headers, Inject, Post, Res } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, ApiProblemResponses, ProblemException } from '@paystream/platform';
import type { PaymentConfig } from '../config';
import { PaymentDto, SubmitPaymentRequestDto } from '../openapi/payment.dto';
import { FieldError, validateSubmitPayment } from './submit-payment.schema';
import { SubmitPaymentService } from './submit-payment.service';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i;

interface ReplyLike {
  status(code: number): ReplyLike;
  header(name: string, value: string): ReplyLike;
}

function checkKey(key: string | undefined): FieldError[] {
  if (key === undefined || key.length === 0) return [{ field: 'Idempotency-Key', message: 'header is required' }];
  if (key.length > 255) return [{ field: 'Idempotency-Key', message: 'must be at most 255 characters' }];
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) {
    return [{ field: 'Idempotency-Key', message: 'must not contain control characters' }];
  }
  return [];
}

@ApiTags('payments')
@Controller('v1/payments')
export class SubmitPaymentController {
  constructor(
    private readonly service: SubmitPaymentService,
    @Inject(APP_CONFIG) private readonly config: PaymentConfig,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Submit a payment',
    description:
      'Idempotent by the Idempotency-Key header: the same key and body return the first response again ' +
      '(Idempotent-Replayed: true); the same key with another body is 422; while the first request with ' +
      'a key is in flight, others are 409. Keys are kept at least 24 hours.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '1-255 characters, unique per payment' })
  @ApiBody({ type: SubmitPaymentRequestDto })
  @ApiCreatedResponse({ type: PaymentDto, description: 'The payment, PENDING' })
  @ApiOkResponse({ description: 'Never: a replay repeats the first status (201)' })
  @ApiProblemResponses(400, 409, 413, 415, 422)
  async submit(
    @Headers('content-type') contentType: string | undefined,
    @Headers(IDEMPOTENCY_HEADER) key: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: ReplyLike,
  ): Promise<unknown> {
    // The adapter also parses form bodies; this endpoint takes JSON only.
    if (!JSON_MEDIA_TYPE.test(contentType ?? '')) {
      throw ProblemException.of(415, 'unsupported-media-type', 'The content type must be application/json', {
        detail: `content-type ${contentType ?? '(none)'} is not JSON`,
      });
    }
    // Nothing is stored for a request that fails validation, so the client may fix it and retry with the key.
    const keyErrors = checkKey(key);
    const validated = validateSubmitPayment(body, this.config.PAYMENT_MAX_AMOUNT);
    const errors = [...keyErrors, ...(validated.ok ? [] : validated.errors)];
    if (errors.length || !validated.ok || key === undefined) throw ProblemException.validation(errors);

    const result = await this.service.submit(key, body, validated.payment);
    switch (result.outcome) {
      case 'created':
        reply.status(result.status).header('location', `/v1/payments/${result.paymentId}`);
        return result.body;
      case 'replayed': {
        reply.status(result.status).header(REPLAYED_HEADER, 'true');
        const id = (result.body as { id?: unknown }).id;
        if (typeof id === 'string') reply.header('location', `/v1/payments/${id}`);
        return result.body;
      }
      case 'in-flight':
        throw ProblemException.of(
          409,
          'idempotency-key-in-flight',
          'A request with this Idempotency-Key is in flight',
          {
            detail: 'Retry after the first request has completed to get its response.',
          },
        );
      case 'key-reused':
        throw ProblemException.of(
          422,
          'idempotency-key-reused',
          'This Idempotency-Key was used with a different request body',
          {
            detail: `The body differs from the first request with this key in: ${result.fields.join(', ')}`,
            errors: result.fields.map((field) => ({ field, message: 'differs from the first request with this key' })),
            differingFields: result.fields,
          },
        );
    }
  }
}
