import { testKafka, TEST_BROKERS } from '@paystream/testing';
import { patchKafkajsRequestQueue } from './kafkajs-request-queue.patch';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as {
  prototype: { checkPendingRequests(this: unknown): void };
};

describe('kafkajs request queue patch (real broker)', () => {
  it('applies to the kafkajs in node_modules', () => {
    expect(patchKafkajsRequestQueue()).toBe(true);
  });

  it('leaves no timer loop behind on an idle connection', async () => {
    const original = RequestQueue.prototype.checkPendingRequests;
    let checks = 0;
    RequestQueue.prototype.checkPendingRequests = function (this: unknown) {
      checks++;
      return original.call(this);
    };
    const admin = testKafka('paystream-test-request-queue', TEST_BROKERS).admin();
    try {
      await admin.connect();
      // A few requests, each answered: every answer checks the queue once.
      for (let i = 0; i < 5; i++) await admin.listTopics();
      const afterRequests = checks;
      expect(afterRequests).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Unpatched kafkajs re-checks about every millisecond here (~300 more).
      expect(checks - afterRequests).toBeLessThanOrEqual(2);
    } finally {
      RequestQueue.prototype.checkPendingRequests = original;
      await admin.disconnect();
    }
  });
});
