/**
 * The opaque cursor of GET /v1/payments: the id of the last payment of the page (ids are
 * UUIDv7, so "older" is "smaller id"), base64url-encoded with a version tag so the format can
 * change without breaking clients that hold an old cursor for long.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(lastId: string): string {
  return Buffer.from(`v1:${lastId}`).toString('base64url');
}

/** The id to page after, or undefined for a cursor that is not one of ours. */
export function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith('v1:') ? text.slice(3) : '';
  return UUID.test(id) ? id : undefined;
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
