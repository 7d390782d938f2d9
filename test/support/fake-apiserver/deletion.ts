/**
 * What a DELETE does to a stored object, as the apiserver's registry decides it:
 * - an object with finalizers is only marked (deletionTimestamp set, MODIFIED); it goes once an
 *   update removes its last finalizer;
 * - with graceful pod deletion on, a pod bound to a node is marked with a grace period (default
 *   its `spec.terminationGracePeriodSeconds`, else 30) and goes when deleted again with
 *   `gracePeriodSeconds: 0`, which is what the kubelet does once the containers have stopped;
 * - anything else goes at once.
 */
import type { KubeObject, ResourceDef } from './resources.js';

export type DeletePlan =
  | { readonly kind: 'remove' }
  | { readonly kind: 'mark'; readonly deletionTimestamp: string; readonly deletionGracePeriodSeconds: number }
  | { readonly kind: 'unchanged' };

export type DeletionInput = {
  readonly def: ResourceDef;
  readonly existing: KubeObject;
  /** From DeleteOptions or the `gracePeriodSeconds` query parameter. */
  readonly gracePeriodSeconds: number | undefined;
  readonly gracefulPods: boolean;
  readonly now: Date;
};

const isPod = (def: ResourceDef) => def.group === '' && def.plural === 'pods';
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');

export const planDeletion = ({ def, existing, gracePeriodSeconds, gracefulPods, now }: DeletionInput): DeletePlan => {
  const meta = existing.metadata;
  const finalizers = Array.isArray(meta.finalizers) ? meta.finalizers.length : 0;
  const spec = existing.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
  const grace =
    gracefulPods && isPod(def) && spec?.nodeName ? (gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30) : 0;
  if (meta.deletionTimestamp !== undefined) {
    // Already terminating: only a zero grace period (the kubelet's final delete) can finish it;
    // with finalizers left, that zero grace period is recorded and the finalizers are waited for.
    if (grace !== 0) return { kind: 'unchanged' };
    if (finalizers === 0) return { kind: 'remove' };
    return meta.deletionGracePeriodSeconds === 0
      ? { kind: 'unchanged' }
      : { kind: 'mark', deletionTimestamp: String(meta.deletionTimestamp), deletionGracePeriodSeconds: 0 };
  }
  if (grace === 0 && finalizers === 0) return { kind: 'remove' };
  return {
    kind: 'mark',
    deletionTimestamp: rfc3339(new Date(now.getTime() + grace * 1000)),
    deletionGracePeriodSeconds: grace,
  };
};

/** After an update: a marked object whose last finalizer is gone, and whose grace period is over, goes. */
export const finishedTerminating = (next: KubeObject): boolean => {
  const meta = next.metadata;
  const finalizers = Array.isArray(meta.finalizers) ? meta.finalizers.length : 0;
  return meta.deletionTimestamp !== undefined && finalizers === 0 && meta.deletionGracePeriodSeconds === 0;
};
