/**
 * ipamd's Kubernetes side: resilient informers on Nodes, Pods and the ConfigMap, their ports
 * (NodeLifecycle, PodLifecycle, ConfigSink), node extended-resource publishing and Events.
 */
export * from './backoff.js';
export * from './configmap-sync.js';
export * from './event-recorder.js';
export * from './kube-error.js';
export * from './kube-sync.js';
export * from './node-facts.js';
export * from './node-status-publisher.js';
export * from './node-sync.js';
export * from './pod-event-recorder.js';
export * from './pod-info.js';
export * from './pod-sync.js';
export * from './ports.js';
export * from './resilient-informer.js';
