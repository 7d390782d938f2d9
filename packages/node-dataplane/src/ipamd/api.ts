/**
 * The ipamd node API as the agent sees it. The contract itself lives in core (`api`), shared
 * with ipamd's HTTP server, so the two sides cannot drift; this module only re-exports the parts
 * the agent uses under their local names.
 */
import { api } from '@eni-ipam/core';

export const ModeSchema = api.ModeSchema;
export type Mode = api.Mode;
export const PodRefSchema = api.PodRefSchema;
export type PodRef = api.PodRef;
export const AllocateRequestSchema = api.AllocateRequestSchema;
export type AllocateRequest = api.AllocateRequest;
export const AllocationSchema = api.AllocationSchema;
export type Allocation = api.Allocation;
export const PodAllocationSchema = api.PodAllocationSchema;
export type PodAllocation = api.PodAllocation;
export const EniSchema = api.EniSchema;
export type Eni = api.Eni;
export const NodeStateSchema = api.NodeStateSchema;
export type NodeState = api.NodeState;
export const FeedEventSchema = api.FeedEventSchema;
export type FeedEvent = api.FeedEvent;
export const ApiErrorSchema = api.ApiErrorSchema;
export type ApiError = api.ApiError;
