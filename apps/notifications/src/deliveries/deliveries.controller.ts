import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiProblemResponses, ProblemException } from '@paystream/platform';
import { ApiAcceptedResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DeliveryDto, DeliveryPageDto } from '../openapi/notifications.dto';
import { assertUuid, notFound } from '../http/not-found';
import { WebhookRepository } from '../webhooks/webhook.repository';
import { DeliveryRepository, DeliveryView } from './delivery.repository';

@ApiTags('webhooks')
@Controller('v1/webhooks/:id/deliveries')
export class DeliveriesController {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly deliveries: DeliveryRepository,
  ) {}

  /** Every delivery of the webhook, newest first, each with its full attempt log. */
  @Get()
  @ApiOkResponse({ type: DeliveryPageDto })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 500, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiProblemResponses(400, 404)
  async list(
    @Param('id') id: string,
    @Query('limit') limitRaw?: string,
    @Query('cursor') cursor?: string,
  ): Promise<{ items: DeliveryView[]; nextCursor: string | null }> {
    assertUuid(id, 'webhook');
    const limit = limitRaw === undefined ? 50 : Number(limitRaw);
    const errors = [];
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      errors.push({ field: 'limit', message: 'must be a whole number from 1 to 500' });
    }
    if (cursor !== undefined && !/^\d{1,18}$/.test(cursor))
      errors.push({ field: 'cursor', message: 'is not a cursor' });
    if (errors.length) throw ProblemException.validation(errors);
    if (!(await this.webhooks.find(id))) throw notFound('webhook');
    const page = await this.deliveries.list(id, limit, cursor === undefined ? undefined : BigInt(cursor));
    return { items: page.items, nextCursor: page.next ?? null };
  }

  @Get(':deliveryId')
  @ApiOkResponse({ type: DeliveryDto })
  @ApiProblemResponses(404)
  async get(@Param('id') id: string, @Param('deliveryId') deliveryId: string): Promise<DeliveryView> {
    assertUuid(id, 'webhook');
    assertUuid(deliveryId, 'delivery');
    const delivery = await this.deliveries.find(id, deliveryId);
    if (!delivery) throw notFound('delivery');
    return delivery;
  }

  /** Manual redelivery: one more attempt as soon as the dispatcher polls, also for dead ones. */
  @Post(':deliveryId/redeliver')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: DeliveryDto })
  @ApiProblemResponses(404)
  async redeliver(@Param('id') id: string, @Param('deliveryId') deliveryId: string): Promise<DeliveryView> {
    assertUuid(id, 'webhook');
    assertUuid(deliveryId, 'delivery');
    if (!(await this.webhooks.find(id)) || !(await this.deliveries.redeliver(id, deliveryId))) {
      throw notFound('delivery');
    }
    return (await this.deliveries.find(id, deliveryId))!;
  }
}
