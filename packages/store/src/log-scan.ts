import type { Etcd3, IKeyValue } from 'etcd3';
import { mapEtcdError } from './etcd-errors.js';

export interface ScanPage {
  kvs: IKeyValue[];
  /** The revision every page of this scan is read at. */
  revision: number;
}

/**
 * Paginated key-order range read of `[start, end)`, every page pinned to the first page's
 * revision so the whole scan is one consistent snapshot. Pages come in key order with etcd's
 * limit honoured (a mod-revision filter or a sort would make etcd load the whole range for each
 * page). If the pinned revision is compacted mid-scan, the scan restarts at the current one.
 */
export async function* scanRange(
  client: Etcd3,
  start: string,
  end: string,
  pageSize = 1000,
  what = 'scan',
): AsyncGenerator<ScanPage> {
  let revision: number | undefined;
  let size = pageSize;
  const fetch = (key: Buffer) =>
    client.kv.range({ key, range_end: Buffer.from(end), limit: size, ...(revision ? { revision } : {}) });
  let key = Buffer.from(start);
  let pending = fetch(key);
  for (;;) {
    let res: Awaited<ReturnType<Etcd3['kv']['range']>>;
    try {
      res = await pending;
    } catch (e) {
      const mapped = mapEtcdError(e, what);
      if (mapped.code === 'RequestTooLarge' && size > 1) {
        // a page of big events went over the client's receive limit: smaller pages
        size = Math.max(1, Math.floor(size / 4));
      } else if (mapped.code === 'RevisionCompacted' && revision !== undefined) {
        // the snapshot we pinned is gone; keys are live, so continuing at the current revision
        // only adds newer writes, which callers filter or sort anyway
        revision = undefined;
      } else {
        throw mapped;
      }
      pending = fetch(key);
      continue;
    }
    revision ??= Number(res.header.revision);
    const last = res.kvs[res.kvs.length - 1];
    const more = res.more && last !== undefined;
    if (more) {
      // prefetch the next page while the caller decodes this one
      key = Buffer.concat([last.key, Buffer.from([0])]);
      pending = fetch(key);
      pending.catch(() => {}); // handled when awaited
    }
    yield { kvs: res.kvs, revision };
    if (!more) return;
  }
}
