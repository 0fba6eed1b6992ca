import { applyDecorators, Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { fromMinor } from '@paystream/money';
import { ApiProblemResponses, ProblemException } from '@paystream/platform';
import { SummaryDto, TimeseriesDto } from '../openapi/analytics.dto';
import { LatencySketch } from '../sketch/latency-sketch';
import { MAX_SUMMARY_WINDOW_MS, MAX_TIMESERIES_MINUTES, parseWindow } from './analytics-query.schema';
import { AnalyticsRepository } from './analytics.repository';
import { Figures, figuresOf } from './summary';

export interface SummaryView extends Figures {
  currency: string;
  from: string;
  to: string;
  /** Debtor accounts by the volume of the payments they initiated in the window. */
  topAccounts: Array<{ accountId: string; payments: number; volume: string }>;
}

export interface TimeseriesView {
  currency: string;
  from: string;
  to: string;
  /** One point per minute of the window, empty minutes included. */
  points: Array<Figures & { minute: string }>;
}

const WindowQuery = () =>
  applyDecorators(
    ApiQuery({ name: 'currency', required: true, example: 'EUR' }),
    ApiQuery({
      name: 'from',
      required: false,
      description: 'ISO-8601; default 24 h before to, rounded down to its minute',
    }),
    ApiQuery({ name: 'to', required: false, description: 'ISO-8601, exclusive; default now' }),
  );

@ApiTags('analytics')
@Controller('v1/analytics')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsRepository) {}

  @Get('summary')
  @WindowQuery()
  @ApiQuery({ name: 'top', required: false, description: 'top accounts to list, 0 to 100, default 10' })
  @ApiOkResponse({ type: SummaryDto })
  @ApiProblemResponses(400)
  async summary(@Query() query: unknown): Promise<SummaryView> {
    const parsed = parseWindow(query, MAX_SUMMARY_WINDOW_MS);
    if (!parsed.ok) throw ProblemException.validation(parsed.errors);
    const w = parsed.value;
    const [totals, latency, top] = await Promise.all([
      this.analytics.statusTotals(w),
      this.analytics.latency(w),
      this.analytics.topAccounts(w),
    ]);
    return {
      currency: w.currency,
      from: w.from.toISOString(),
      to: w.to.toISOString(),
      ...figuresOf(w.currency, totals, latency),
      topAccounts: top.map((a) => ({
        accountId: a.accountId,
        payments: Number(a.payments),
        volume: fromMinor(a.volume, w.currency),
      })),
    };
  }

  @Get('timeseries')
  @WindowQuery()
  @ApiOkResponse({ type: TimeseriesDto })
  @ApiProblemResponses(400)
  async timeseries(@Query() query: unknown): Promise<TimeseriesView> {
    const parsed = parseWindow(query, MAX_TIMESERIES_MINUTES * 60_000);
    if (!parsed.ok) throw ProblemException.validation(parsed.errors);
    const w = parsed.value;
    const [totals, latency] = await Promise.all([
      this.analytics.statusTotalsByMinute(w),
      this.analytics.latencyByMinute(w),
    ]);
    const points: TimeseriesView['points'] = [];
    for (let t = w.from.getTime(); t < w.to.getTime(); t += 60_000) {
      const minute = new Date(t).toISOString();
      points.push({
        minute,
        ...figuresOf(w.currency, totals.get(minute) ?? new Map(), latency.get(minute) ?? new LatencySketch()),
      });
    }
    return { currency: w.currency, from: w.from.toISOString(), to: w.to.toISOString(), points };
  }
}
