// Who listens on the queue: every worker keeps its code versions (sampling and training) and
// the time it last said so in one Redis hash, so a head whose shards no worker can take (each worker listens only
// on the queue of its own code version, connection.ts queueName) can say which versions the
// workers there run. A worker renews its entry while it runs; one not renewed for STALE_MS
// (a killed worker, a host gone) no longer counts.
import type { RedisClient } from 'bullmq';

const KEY = 'llc:workers';
const RENEW_MS = 10_000;
const STALE_MS = 3 * RENEW_MS;

/** Enters `worker` in the roster and keeps it there until the returned function is called. */
export async function joinRoster(redis: RedisClient, worker: string, versions: readonly string[]): Promise<() => Promise<void>> {
  const renew = () => redis.hset(KEY, { [worker]: JSON.stringify({ versions, seen: Date.now() }) });
  await renew();
  const timer = setInterval(() => void renew().catch(() => {}), RENEW_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await redis.hdel(KEY, worker).catch(() => 0);
  };
}

/** The workers seen lately, by code version. */
export async function rosterVersions(redis: RedisClient): Promise<Map<string, string[]>> {
  const byVersion = new Map<string, string[]>();
  for (const [worker, entry] of Object.entries(await redis.hgetall(KEY))) {
    const { versions, seen } = JSON.parse(entry) as { versions: string[]; seen: number };
    if (Date.now() - seen > STALE_MS) continue;
    for (const version of versions) byVersion.set(version, [...(byVersion.get(version) ?? []), worker]);
  }
  return byVersion;
}
