import { ApiProperty } from '@nestjs/swagger';

/** OpenAPI descriptions of the analytics API. */
export class StatusFiguresDto {
  @ApiProperty({ example: 42 })
  count!: number;

  @ApiProperty({ example: '1250.00', description: 'Decimal string in the currency exponent' })
  volume!: string;
}

export class ByStatusDto {
  @ApiProperty({ type: StatusFiguresDto, description: 'payment.initiated' })
  PENDING!: StatusFiguresDto;

  @ApiProperty({ type: StatusFiguresDto })
  AUTHORIZED!: StatusFiguresDto;

  @ApiProperty({ type: StatusFiguresDto })
  REJECTED!: StatusFiguresDto;

  @ApiProperty({ type: StatusFiguresDto })
  SETTLED!: StatusFiguresDto;

  @ApiProperty({ type: StatusFiguresDto })
  FAILED!: StatusFiguresDto;
}

export class LatencyDto {
  @ApiProperty({ nullable: true, type: Number, example: 1210 })
  p50!: number | null;

  @ApiProperty({ nullable: true, type: Number, example: 7480 })
  p99!: number | null;

  @ApiProperty({ description: 'Latencies in the sketch' })
  count!: number;
}

export class TopAccountDto {
  @ApiProperty()
  accountId!: string;

  @ApiProperty()
  payments!: number;

  @ApiProperty({ example: '40100.00' })
  volume!: string;
}

class FiguresDto {
  @ApiProperty({ description: 'Payments initiated in the window' })
  payments!: number;

  @ApiProperty({ example: '151234.50' })
  volume!: string;

  @ApiProperty({ type: ByStatusDto })
  byStatus!: ByStatusDto;

  @ApiProperty({ nullable: true, type: Number, example: 0.8533 })
  approvalRate!: number | null;

  @ApiProperty({ type: LatencyDto })
  settleLatencyMs!: LatencyDto;
}

export class SummaryDto extends FiguresDto {
  @ApiProperty({ example: 'EUR' })
  currency!: string;

  @ApiProperty({ format: 'date-time' })
  from!: string;

  @ApiProperty({ format: 'date-time' })
  to!: string;

  @ApiProperty({ type: [TopAccountDto] })
  topAccounts!: TopAccountDto[];
}

export class PointDto extends FiguresDto {
  @ApiProperty({ format: 'date-time' })
  minute!: string;
}

export class TimeseriesDto {
  @ApiProperty({ example: 'EUR' })
  currency!: string;

  @ApiProperty({ format: 'date-time' })
  from!: string;

  @ApiProperty({ format: 'date-time' })
  to!: string;

  @ApiProperty({ type: [PointDto] })
  points!: PointDto[];
}
