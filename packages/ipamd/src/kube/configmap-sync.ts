import { CONFIGMAP_KEYS } from '@eni-ipam/core';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { applyConfigMap, type SubnetFacts } from '../config/configmap.js';
import type { KubeEventRecorder } from './event-recorder.js';
import { KeyedQueue } from './keyed-queue.js';
import type { ConfigSink } from './ports.js';
import type { ResilientInformer } from './resilient-informer.js';

export const CONFIGMAP_NAMESPACE = 'kube-system';
export const CONFIGMAP_NAME = 'tke-eni-ipamd';
/** Event reasons on the ConfigMap. */
export const CONFIG_REJECTED_REASON = 'ConfigRejected';
export const CONFIG_APPLY_FAILED_REASON = 'ConfigApplyFailed';
export const CONFIG_APPLIED_REASON = 'ConfigApplied';

export interface ConfigMapSyncOptions {
  /** An informer on `kube-system` ConfigMaps narrowed to `metadata.name=tke-eni-ipamd`. */
  informer: ResilientInformer<V1ConfigMap>;
  sink: ConfigSink;
  events: KubeEventRecorder;
  logger?: Logger;
  /** The ConfigMap watched. Default `kube-system/tke-eni-ipamd` (`--configmap`). */
  configMap?: { namespace: string; name: string };
  /** Each version's outcome (a metric): applied, unchanged or rejected. */
  onOutcome?: (outcome: 'applied' | 'unchanged' | 'rejected') => void;
}

/**
 * ConfigMap `kube-system/tke-eni-ipamd` -> ConfigSink. Each version is validated by the pure
 * `applyConfigMap` against the configuration in force; a rejection keeps the old configuration
 * and says why in a Warning Event on the ConfigMap (every reason) and a log line. An accepted
 * change is applied, with a Normal Event; if applying fails it is retried at the next resync
 * (the configuration in force is still the old one, so the change is seen again).
 * Deleting the ConfigMap changes nothing: the configuration in force stays.
 */
export class ConfigMapSync {
  private readonly queue = new KeyedQueue();
  /** resourceVersion of the last rejected version (one Warning per version). */
  private rejectedAt: string | undefined;

  private readonly namespace: string;
  private readonly name: string;

  constructor(private readonly opts: ConfigMapSyncOptions) {
    this.namespace = opts.configMap?.namespace ?? CONFIGMAP_NAMESPACE;
    this.name = opts.configMap?.name ?? CONFIGMAP_NAME;
    opts.informer.on('add', (cm) => this.changed(cm));
    opts.informer.on('update', (cm) => this.changed(cm));
    opts.informer.on('resync', (all) => {
      for (const cm of all) this.changed(cm);
    });
    opts.informer.on('delete', () =>
      opts.logger?.warn(
        { configMap: `${this.namespace}/${this.name}` },
        'ConfigMap deleted; the configuration in force stays',
      ),
    );
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private changed(cm: V1ConfigMap): void {
    if (cm.metadata?.name !== this.name || cm.metadata.namespace !== this.namespace) return;
    void this.queue.run('configmap', () => this.apply(cm));
  }

  private async apply(cm: V1ConfigMap): Promise<void> {
    const { sink, events, logger } = this.opts;
    const rv = cm.metadata?.resourceVersion ?? '';
    const involved = {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      namespace: this.namespace,
      name: this.name,
      uid: cm.metadata?.uid,
      resourceVersion: rv,
    };
    const data = cm.data ?? {};
    // Only to say which subnets to ask about; applyConfigMap validates the list.
    const candidates = (data[CONFIGMAP_KEYS.subnets] ?? '')
      .split(':')
      .map((x) => x.trim())
      .filter((x) => x.length > 0);
    let facts: SubnetFacts;
    try {
      facts = await sink.subnetFacts(candidates);
    } catch (err) {
      logger?.error(
        { resourceVersion: rv, err },
        'subnet facts unavailable; the ConfigMap is retried at the next resync',
      );
      await events.warning(involved, CONFIG_APPLY_FAILED_REASON, `could not check the subnets: ${String(err)}`);
      return;
    }
    const result = applyConfigMap(sink.current(), data, facts);
    if (!result.ok) {
      if (this.rejectedAt === rv) return;
      this.rejectedAt = rv;
      this.opts.onOutcome?.('rejected');
      logger?.warn({ resourceVersion: rv, reasons: result.reasons }, 'ConfigMap rejected; the old configuration stays');
      await events.warning(
        involved,
        CONFIG_REJECTED_REASON,
        `rejected, the configuration in force stays: ${result.reasons.join('; ')}`,
      );
      return;
    }
    this.rejectedAt = undefined;
    if (!result.changed) {
      this.opts.onOutcome?.('unchanged');
      return;
    }
    try {
      await sink.apply(result.config, result.notes);
    } catch (err) {
      logger?.error({ resourceVersion: rv, err }, 'applying the ConfigMap failed; retried at the next resync');
      await events.warning(involved, CONFIG_APPLY_FAILED_REASON, `could not apply the configuration: ${String(err)}`);
      return;
    }
    this.opts.onOutcome?.('applied');
    logger?.info({ resourceVersion: rv, subnets: result.config.subnets, notes: result.notes }, 'ConfigMap applied');
    await events.normal(
      involved,
      CONFIG_APPLIED_REASON,
      `applied: subnets ${result.config.subnets.join(':') || '(none)'}${result.notes.length ? `; ${result.notes.join('; ')}` : ''}`,
    );
  }
}
