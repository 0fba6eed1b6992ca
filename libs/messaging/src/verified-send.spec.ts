import { VerifiedSend } from './verified-send';

describe(VerifiedSend.name, () => {
  const targets = new Map([
    ['payment-events', new Set([0, 2])],
    ['ledger-results', new Set([1])],
  ]);

  it('accepts a response that acknowledges every targeted partition', () => {
    expect(() =>
      VerifiedSend.verify(targets, [
        { topicName: 'payment-events', partition: 0, errorCode: 0 },
        { topicName: 'payment-events', partition: 2, errorCode: 0 },
        { topicName: 'ledger-results', partition: 1, errorCode: 0 },
      ]),
    ).not.toThrow();
  });

  it('fails a send whose response lacks a partition (the kafkajs failover loss) and names it', () => {
    expect(() =>
      VerifiedSend.verify(targets, [
        { topicName: 'payment-events', partition: 0, errorCode: 0 },
        { topicName: 'ledger-results', partition: 1, errorCode: 0 },
      ]),
    ).toThrow('broker acknowledged the send without partitions payment-events:2; retrying');
  });

  it('counts a partition answered with an error code as not written', () => {
    expect(() =>
      VerifiedSend.verify(new Map([['t', new Set([0])]]), [{ topicName: 't', partition: 0, errorCode: 6 }]),
    ).toThrow(/t:0/);
  });
});
