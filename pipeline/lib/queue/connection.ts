// Where the queue lives: a redis://HOST:PORT[/db] URL (from --queue or $PIPELINE_QUEUE),
// turned into the connection options BullMQ hands to ioredis.
import type { ConnectionOptions } from 'bullmq';

/** The environment variable `pipeline run --queue` sets for its stage processes. */
export const QUEUE_ENV = 'PIPELINE_QUEUE';

/** BullMQ's queue of the shards of one code version (versions.ts); it
 * serves every run and stage of that version. A worker listens only on the queue of its
 * own version, so a worker of another version never sees a shard it could not reproduce. */
export function queueName(version: string): string {
  return `llc-shards-${version}`;
}

export interface QueueAddress {
  url: string;
  connection: ConnectionOptions;
}

export function parseQueueUrl(url: string): QueueAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`queue "${url}" is not a URL; expected redis://HOST:PORT[/db]`);
  }
  if (u.protocol !== 'redis:') throw new Error(`queue "${url}": expected redis://HOST:PORT[/db], not ${u.protocol}//`);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new Error(`queue "${url}": the database "${db}" is not a number`);
  return {
    url: redacted(u),
    connection: {
      host: u.hostname || '127.0.0.1',
      port: u.port ? Number(u.port) : 6379,
      db: db === '' ? 0 : Number(db),
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    },
  };
}

/** The URL without its password, for logs and manifests. */
function redacted(u: URL): string {
  const copy = new URL(u.href);
  if (copy.password) copy.password = '***';
  return copy.href;
}
