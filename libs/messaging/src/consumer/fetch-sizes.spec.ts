import { fetchSizes } from './exactly-once-consumer';

describe('fetchSizes (the consumer option maxBytesPerPartition)', () => {
  it("leaves kafkajs' own fetch settings alone when no size is given", () => {
    expect(fetchSizes(undefined, 4)).toEqual({});
  });

  it('sizes the whole fetch for every partition consumed at once', () => {
    const eight = 8 * 1024 * 1024;
    expect(fetchSizes(eight, 4)).toEqual({ maxBytesPerPartition: eight, maxBytes: 4 * eight });
  });

  it("never lowers the whole fetch below kafkajs' 10 MiB default", () => {
    expect(fetchSizes(2 * 1024 * 1024, 1)).toEqual({
      maxBytesPerPartition: 2 * 1024 * 1024,
      maxBytes: 10 * 1024 * 1024,
    });
  });

  it('refuses a size that is not a whole number of at least 1 KiB, naming the option', () => {
    expect(() => fetchSizes(100, 1)).toThrow(/maxBytesPerPartition/);
    expect(() => fetchSizes(1.5 * 1024 * 1024 + 0.5, 1)).toThrow(/maxBytesPerPartition/);
  });
});
