import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiProblemResponses, APP_CONFIG, ProblemException } from '@paystream/platform';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { NotificationsConfig } from '../config';
import { assertUuid, notFound } from '../http/not-found';
import {
  CreateWebhookRequestDto,
  RotateSecretRequestDto,
  WebhookDto,
  WebhookListDto,
} from '../openapi/notifications.dto';
import { checkWebhookUrl } from './url-guard';
import { generateSecret, Webhook } from './webhook';
import { createWebhookBody, parseBody, rotateSecretBody } from './webhook-request.schema';
import { WebhookRepository } from './webhook.repository';

export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  createdAt: string;
  /** While a rotation is in progress: when the previous secret stops signing. */
  previousSecretExpiresAt: string | null;
  /** Only in the answers of create and rotate-secret. */
  secret?: string;
}

function view(w: Webhook, withSecret = false): WebhookView {
  const rotating = w.previousSecretExpiresAt && w.previousSecretExpiresAt > new Date();
  return {
    id: w.id,
    url: w.url,
    events: w.events,
    createdAt: w.createdAt.toISOString(),
    previousSecretExpiresAt: rotating ? w.previousSecretExpiresAt!.toISOString() : null,
    ...(withSecret ? { secret: w.secret } : {}),
  };
}

@ApiTags('webhooks')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhookRepository,
    @Inject(APP_CONFIG) private readonly config: NotificationsConfig,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiBody({ type: CreateWebhookRequestDto })
  @ApiCreatedResponse({ type: WebhookDto })
  @ApiProblemResponses(400, 422)
  async create(@Body() body: unknown): Promise<WebhookView> {
    const parsed = parseBody(createWebhookBody, body);
    if (!parsed.ok) throw ProblemException.validation(parsed.errors);
    const { url, events, secret } = parsed.value;
    const problem = await checkWebhookUrl(url, this.config.NOTIFICATIONS_ALLOW_PRIVATE_URLS);
    if (problem) {
      throw ProblemException.of(
        problem.code === 'WEBHOOK_URL_INVALID' ? 400 : 422,
        kebab(problem.code),
        problem.message,
        {
          code: problem.code,
          errors: [{ field: 'url', message: problem.message }],
        },
      );
    }
    const webhook = await this.webhooks.create(url, [...new Set(events)], secret ?? generateSecret());
    return view(webhook, true);
  }

  @Get()
  @ApiOkResponse({ type: WebhookListDto })
  async list(): Promise<{ items: WebhookView[] }> {
    return { items: (await this.webhooks.list()).map((w) => view(w)) };
  }

  @Get(':id')
  @ApiOkResponse({ type: WebhookDto })
  @ApiProblemResponses(404)
  async get(@Param('id') id: string): Promise<WebhookView> {
    assertUuid(id, 'webhook');
    const webhook = await this.webhooks.find(id);
    if (!webhook) throw notFound('webhook');
    return view(webhook);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiProblemResponses(404)
  async delete(@Param('id') id: string): Promise<void> {
    assertUuid(id, 'webhook');
    if (!(await this.webhooks.delete(id))) throw notFound('webhook');
  }

  /** A new secret signs from now on; the old one keeps signing (a second v1=) until it expires. */
  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiBody({ type: RotateSecretRequestDto, required: false })
  @ApiOkResponse({ type: WebhookDto })
  @ApiProblemResponses(400, 404)
  async rotate(@Param('id') id: string, @Body() body: unknown): Promise<WebhookView> {
    assertUuid(id, 'webhook');
    const parsed = parseBody(rotateSecretBody, body);
    if (!parsed.ok) throw ProblemException.validation(parsed.errors);
    const grace = parsed.value.previousSecretTtlSeconds ?? this.config.NOTIFICATIONS_SECRET_GRACE_SECONDS;
    const webhook = await this.webhooks.rotate(id, parsed.value.secret ?? generateSecret(), grace);
    if (!webhook) throw notFound('webhook');
    return view(webhook, true);
  }
}

function kebab(code: string): string {
  return code.toLowerCase().replace(/_/g, '-');
}
