import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { VerifyResultDto } from '../openapi/audit.dto';
import { VerifyChainService, VerifyResult } from './verify-chain.service';

@ApiTags('audit')
@Controller('v1/audit/verify')
export class VerifyChainController {
  constructor(private readonly service: VerifyChainService) {}

  @Get()
  @ApiOperation({
    summary: 'Recompute the hash chain',
    description: '{valid, events, firstInvalid?}: firstInvalid names the first record whose link is broken and why.',
  })
  @ApiOkResponse({ type: VerifyResultDto, description: '200 whether or not the chain is valid' })
  verify(): Promise<VerifyResult> {
    return this.service.verify();
  }
}
