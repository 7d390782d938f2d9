import { randomBytes } from 'node:crypto';
import { stringifyChunked } from '@discoveryjs/json-ext';
import { IpamError, type Snapshot } from '@eni-ipam/core';
import type { Etcd3 } from 'etcd3';
import { mapEtcdError } from './etcd-errors.js';
import type { KeyLayout } from './keys.js';
import { timeSlicer } from './time-slice.js';

/**
 * Snapshots larger than one etcd request. A snapshot of a big cluster (the projection of 5,000
 * nodes x 110 pods is ~100 MB of JSON) is over etcd's request limit (1.5 MiB by default), so it
 * is written in chunks under `<prefix>/snapchunks/<name>#/<generation>/<i>` and then the snapshot
 * key `<prefix>/snap/<name>` is pointed at them, in one transaction that also deletes every older
 * generation: until that transaction, the previous snapshot stays in force (a crash between chunks
 * leaves only orphan chunks, deleted by the next save). A reader reads the pointer, then the chunks at the pointer's revision, so a save
 * running meanwhile cannot tear what it reads. Small snapshots stay one key holding the snapshot
 * itself (the layout existing logs have, which still reads).
 */
export const CHUNK_BYTES = 1024 * 1024;
/** Characters of JSON built per step of the serializer (a fraction of a millisecond of work). */
const PIECE_CHARS = 64 * 1024;
/** Serialization time after which the save lets the event loop serve what waits. */
const SLICE_MS = 2;

interface ChunkPointer {
  chunked: { generation: string; chunks: number; bytes: number };
}

const isPointer = (v: unknown): v is ChunkPointer =>
  typeof v === 'object' && v !== null && 'chunked' in v && typeof (v as ChunkPointer).chunked?.generation === 'string';

const chunkKey = (keys: KeyLayout, name: string, generation: string, i: number) =>
  `${keys.snapChunks(name)}${generation}/${String(i).padStart(6, '0')}`;

export const saveSnapshotChunked = async (
  client: Etcd3,
  keys: KeyLayout,
  snapshot: Snapshot,
  chunkBytes = CHUNK_BYTES,
): Promise<void> => {
  const name = snapshot.name;
  // time-ordered (fixed-width base 36 millis), so a save deletes only OLDER generations
  const generation = `${Date.now().toString(36).padStart(9, '0')}-${randomBytes(4).toString('hex')}`;
  let chunks = 0;
  let bytes = 0;
  const putChunk = async (chunk: Buffer) => {
    await client
      .put(chunkKey(keys, name, generation, chunks))
      .value(chunk)
      .exec();
    chunks++;
    bytes += chunk.length;
  };
  try {
    // The JSON is built in pieces, the event loop served between them, and each full chunk is
    // written as soon as it is complete: one JSON.stringify of a big cluster's projection (about
    // 100 MB for 5,000 nodes x 110 pods) held the replica's loop for the whole of it, and the
    // leader answers allocations on that loop.
    const pause = timeSlicer(SLICE_MS);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for (const piece of stringifyChunked(snapshot, { highWaterMark: PIECE_CHARS })) {
      const b = Buffer.from(piece);
      pending.push(b);
      pendingBytes += b.length;
      while (pendingBytes > chunkBytes) {
        const all = Buffer.concat(pending, pendingBytes);
        await putChunk(all.subarray(0, chunkBytes));
        pending = [all.subarray(chunkBytes)];
        pendingBytes -= chunkBytes;
      }
      await pause();
    }
    const rest = Buffer.concat(pending, pendingBytes);
    if (chunks === 0) {
      // small: one key holding the snapshot itself
      await client.put(keys.snap(name)).value(rest).exec();
      await client.delete().prefix(keys.snapChunks(name)).exec();
      return;
    }
    if (rest.length > 0) await putChunk(rest);
    const pointer: ChunkPointer = { chunked: { generation, chunks, bytes } };
    const all = keys.snapChunks(name);
    const mine = `${all}${generation}/`;
    // The pointer lands only if our first chunk still exists: a newer save that landed meanwhile
    // deleted this (older) generation in one txn, and its snapshot must stay in force. Landing
    // deletes the older generations, never a newer one still being written.
    await client.kv.txn({
      compare: [
        {
          key: Buffer.from(chunkKey(keys, name, generation, 0)),
          target: 'Version',
          result: 'Greater',
          version: 0,
        },
      ],
      success: [
        { request_put: { key: Buffer.from(keys.snap(name)), value: Buffer.from(JSON.stringify(pointer)) } },
        { request_delete_range: { key: Buffer.from(all), range_end: Buffer.from(mine) } },
      ],
      failure: [],
    });
  } catch (e) {
    throw mapEtcdError(e, `save snapshot ${name}`);
  }
};

const corrupt = (key: string, why: string, cause?: unknown) =>
  new IpamError('CorruptLog', `corrupt snapshot at ${key}: ${why}`, { key }, cause ? { cause } : undefined);

export const loadSnapshotChunked = async <S>(
  client: Etcd3,
  keys: KeyLayout,
  name: string,
): Promise<Snapshot<S> | undefined> => {
  const key = keys.snap(name);
  let value: Buffer;
  let revision: string;
  try {
    const res = await client.kv.range({ key: Buffer.from(key) });
    const kv = res.kvs[0];
    if (!kv) return undefined;
    value = kv.value;
    revision = res.header.revision;
  } catch (e) {
    throw mapEtcdError(e, `load snapshot ${name}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
  } catch (e) {
    throw corrupt(key, 'not JSON', e);
  }
  if (!isPointer(parsed)) return parsed as Snapshot<S>;
  const { generation, chunks, bytes } = parsed.chunked;
  const parts: Buffer[] = [];
  for (let i = 0; i < chunks; i++) {
    const ck = chunkKey(keys, name, generation, i);
    try {
      // at the pointer's revision: a newer save deleting this generation cannot tear the read
      const res = await client.kv.range({ key: Buffer.from(ck), revision });
      const kv = res.kvs[0];
      if (!kv) throw corrupt(key, `chunk ${ck} missing`);
      parts.push(kv.value);
    } catch (e) {
      if (e instanceof IpamError) throw e;
      const mapped = mapEtcdError(e, `load snapshot ${name}`);
      // compacted past the pointer's revision while we read: a newer save may have replaced it
      if (mapped.code === 'RevisionCompacted') return loadSnapshotChunked<S>(client, keys, name);
      throw mapped;
    }
  }
  const json = Buffer.concat(parts);
  if (json.length !== bytes) throw corrupt(key, `chunks hold ${json.length} bytes, pointer says ${bytes}`);
  try {
    return JSON.parse(json.toString()) as Snapshot<S>;
  } catch (e) {
    throw corrupt(key, 'chunks are not JSON', e);
  }
};
