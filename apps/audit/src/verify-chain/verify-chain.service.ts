import { DataSource } from 'typeorm';
import { ChainBreak, ChainVerifier } from '../chain/audit-record';
import { AuditTrailRepository } from '../persistence/audit-trail.repository';

export interface VerifyResult {
  valid: boolean;
  /** Records checked (up to and including the first invalid one). */
  events: number;
  firstInvalid?: ChainBreak;
}

const PAGE = 1000;

/** Recomputes the whole chain from the stored records. */
export class VerifyChainService {
  constructor(
    private readonly db: DataSource,
    private readonly trail: AuditTrailRepository,
  ) {}

  verify(): Promise<VerifyResult> {
    // One snapshot for the pages and the head: appends committing meanwhile are not half seen.
    return this.db.transaction('REPEATABLE READ', async (tx) => {
      await tx.query('SET TRANSACTION READ ONLY');
      const head = await this.trail.readHead(tx);
      const verifier = new ChainVerifier();
      let after = 0;
      for (;;) {
        const page = await this.trail.page(tx, after, PAGE);
        for (const record of page) {
          const broken = verifier.check(record);
          if (broken) return { valid: false, events: verifier.count, firstInvalid: broken };
        }
        if (page.length < PAGE) break;
        after = page[page.length - 1].sequence;
      }
      const broken = verifier.finish(head);
      return broken
        ? { valid: false, events: verifier.count, firstInvalid: broken }
        : { valid: true, events: verifier.count };
    });
  }
}
