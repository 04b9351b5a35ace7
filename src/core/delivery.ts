/**
 * The delivery contract between the outbox and the receivers (Discord, email, push): how a failure
 * says whether trying again can help. Pure.
 */

/**
 * Whether an HTTP status is worth retrying: 429 (rate limited) and 5xx (the receiver's trouble);
 * any other 4xx means the request itself is wrong and would fail again.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
