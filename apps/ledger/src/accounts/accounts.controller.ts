import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses, parseOr400 } from '@paystream/platform';
import {
  AccountResponse,
  CreateAccountRequest,
  StatementResponse,
  accountQuerySchema,
  createAccountSchema,
  statementQuerySchema,
} from './account.dto';
import { AccountsService } from './accounts.service';

@ApiTags('accounts')
@Controller('v1/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Open an account (409 when the id exists)' })
  @ApiCreatedResponse({ type: AccountResponse })
  @ApiProblemResponses(400, 409)
  create(@Body() body: CreateAccountRequest): Promise<AccountResponse> {
    return this.accounts.create(parseOr400(createAccountSchema, body));
  }

  @Get(':id')
  @ApiOperation({ summary: 'The account with its balance, now or as of a point in time' })
  @ApiQuery({ name: 'asOf', required: false, description: 'ISO-8601 time' })
  @ApiOkResponse({ type: AccountResponse })
  @ApiProblemResponses(400, 404)
  get(@Param('id') id: string, @Query() query: Record<string, unknown>): Promise<AccountResponse> {
    const { asOf } = parseOr400(accountQuerySchema, query, 'query');
    return this.accounts.get(id, asOf);
  }

  @Get(':id/entries')
  @ApiOperation({ summary: 'The statement: postings newest first, cursor paging' })
  @ApiQuery({ name: 'limit', required: false, description: '1-500, default 50' })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOkResponse({ type: StatementResponse })
  @ApiProblemResponses(400, 404)
  entries(@Param('id') id: string, @Query() query: Record<string, unknown>): Promise<StatementResponse> {
    const { limit, cursor } = parseOr400(statementQuerySchema, query, 'query');
    return this.accounts.statement(id, limit ?? 50, cursor);
  }
}
