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
  let key = Buffer.from(start);
  let revision: number | undefined;
  for (;;) {
    let res: Awaited<ReturnType<Etcd3['kv']['range']>>;
    try {
      res = await client.kv.range({
        key,
        range_end: Buffer.from(end),
        limit: pageSize,
        ...(revision ? { revision } : {}),
      });
    } catch (e) {
      const mapped = mapEtcdError(e, what);
      if (mapped.code === 'RequestTooLarge' && pageSize > 1) {
        // a page of big events went over the client's receive limit: smaller pages
        pageSize = Math.max(1, Math.floor(pageSize / 4));
        continue;
      }
      if (mapped.code === 'RevisionCompacted' && revision !== undefined) {
        // the snapshot we pinned is gone; keys are live, so continuing at the current revision
        // only adds newer writes, which callers filter or sort anyway
        revision = undefined;
        continue;
      }
      throw mapped;
    }
    revision ??= Number(res.header.revision);
    yield { kvs: res.kvs, revision };
    const last = res.kvs[res.kvs.length - 1];
    if (!res.more || !last) return;
    key = Buffer.concat([last.key, Buffer.from([0])]);
  }
}
