/**
 * Makes an async function run one call at a time: calls queue behind the one in progress (none is
 * dropped), so two delivery passes never deliver the same effect at once and the Lease's convergence
 * takes one step at a time.
 */
export function oneAtATime<T>(fn: () => Promise<T>): () => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return () => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}
