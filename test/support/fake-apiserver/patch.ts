/**
 * PATCH bodies by content type, applied to a copy of the stored object.
 *
 * - `application/json-patch+json`: RFC 6902 (add, remove, replace, move, copy, test; `~0`/`~1`
 *   escapes) through fast-json-patch. A failing operation (a `test` that does not hold, a path
 *   that does not resolve) is 422 Invalid, as in the apiserver's patch handler.
 * - `application/merge-patch+json`: RFC 7386 through json-merge-patch (`null` deletes a key,
 *   objects merge, everything else replaces).
 * - `application/strategic-merge-patch+json`: treated as a merge patch. That is exact for maps
 *   (labels, annotations, capacity, allocatable), but lists are replaced whole instead of merged by
 *   their patch-merge key (for example `status.conditions` by `type`), and `$patch` directives are
 *   not understood. Send the whole list, or use a JSON patch, when that matters.
 * - `application/apply-patch+yaml` (server-side apply) is not served: 415.
 */
import jsonPatch from 'fast-json-patch';
import mergePatch from 'json-merge-patch';
import type { KubeObject } from './resources.js';
import { ApiStatusError, badRequest, invalid } from './status.js';

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;

export type PatchType = keyof typeof PATCH_TYPES;

/** Maps a Content-Type header (parameters ignored) to a patch type, or throws 415. */
export const patchTypeOf = (contentType: string | undefined): PatchType => {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  for (const [type, mime] of Object.entries(PATCH_TYPES)) if (mime === media) return type as PatchType;
  throw new ApiStatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${Object.values(PATCH_TYPES).join(', ')}`,
  );
};

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Returns the patched copy; `current` is never modified. */
export const applyPatch = (type: PatchType, current: KubeObject, patch: unknown, plural: string): KubeObject => {
  const name = current.metadata.name ?? '';
  const copy = structuredClone(current);
  let result: unknown;
  if (type === 'json') {
    if (!Array.isArray(patch)) throw badRequest('json patch body must be an array of operations');
    try {
      result = jsonPatch.applyPatch(copy, patch, true, true, true).newDocument;
    } catch (err) {
      throw invalid(plural, name, err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err));
    }
  } else {
    if (!isPlainObject(patch)) throw badRequest('merge patch body must be a JSON object');
    result = mergePatch.apply(copy, patch);
  }
  if (!isPlainObject(result) || !isPlainObject(result.metadata)) {
    throw invalid(plural, name, 'the patched object has no metadata');
  }
  return result as KubeObject;
};
