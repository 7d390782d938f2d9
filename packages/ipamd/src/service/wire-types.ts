/**
 * The wire shapes the service returns, under short local names: the contract is core's `api`
 * module (shared with the node agent's client) and the HTTP layer's `IpamService` interface.
 */
import type { api } from '@eni-ipam/core';

export type { IpamService, RequestContext } from '../api/service.js';
export type { Principal } from '../auth/authenticator.js';
export type Mode = api.Mode;
export type PodRef = api.PodRef;
export type AllocateRequest = api.AllocateRequest;
export type Allocation = api.Allocation;
export type PodAllocation = api.PodAllocation;
export type Eni = api.Eni;
export type NodeState = api.NodeState;
export type FeedEvent = api.FeedEvent;
export type NodeSummary = api.NodeSummary;
export type NodeList = api.NodeList;
export type NodeDetail = api.NodeDetail;
export type EniView = api.EniView;
export type EniList = api.EniList;
export type ClaimView = api.ClaimView;
export type ClaimList = api.ClaimList;
export type Probe = api.Probe;
