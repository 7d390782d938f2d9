import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AllocateRequestSchema, type Eni, type FeedEvent, type PodAllocation } from '../ipamd/api.js';

interface FakeNode {
  token: string;
  enis: Eni[];
  /** Secondary IPs bound to each shared ENI (the node's warm pool). */
  pool: Map<string, string[]>;
  allocations: Map<string, PodAllocation>;
  events: FeedEvent[];
  /** Feed requests starting below this revision get 410 Gone. */
  compactedBelow: number;
  acks: number[];
  streams: Set<ServerResponse>;
}

export interface FakeIpamdOptions {
  /** Called after an address is allocated (tests use it to program the simulated VPC). */
  onAllocated?: (node: string, a: PodAllocation) => void | Promise<void>;
}

/**
 * A small, honest ipamd for tests: it serves API.md from an in-memory table (no etcd, no
 * cloud). Allocation is idempotent per containerId; the feed streams ndjson and stays open.
 * Stands in for packages/ipamd until that exists.
 */
export class FakeIpamd {
  readonly nodes = new Map<string, FakeNode>();
  private server: Server | undefined;
  url = '';
  revision = 0;
  /** When true every call gets 503 {code: 'Unavailable'}. */
  down = false;

  constructor(private readonly opts: FakeIpamdOptions = {}) {}

  addNode(name: string, token: string): void {
    this.nodes.set(name, {
      token,
      enis: [],
      pool: new Map(),
      allocations: new Map(),
      events: [],
      compactedBelow: 0,
      acks: [],
      streams: new Set(),
    });
  }

  attachEni(node: string, eni: Eni, secondaryIps: string[] = []): void {
    const n = this.node(node);
    n.enis.push(eni);
    n.pool.set(eni.id, [...secondaryIps]);
    this.append(n, { revision: 0, type: 'EniAttached', eni });
  }

  /** Drops the node's feed history: any feed from an older revision gets 410 Gone. */
  compact(node: string): void {
    const n = this.node(node);
    n.compactedBelow = this.revision;
    n.events = [];
  }

  /** Cuts every open feed stream of the node (the agent sees a broken connection). */
  dropStreams(node: string): void {
    const n = this.node(node);
    for (const s of n.streams) s.destroy();
    n.streams.clear();
  }

  acks(node: string): number[] {
    return this.node(node).acks;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: Error) => send(res, 500, { code: 'Internal', message: e.message }));
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const n of this.nodes.values()) for (const s of n.streams) s.end();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private node(name: string): FakeNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  private append(n: FakeNode, e: FeedEvent): void {
    const event = { ...e, revision: ++this.revision } as FeedEvent;
    n.events.push(event);
    for (const s of n.streams) s.write(`${JSON.stringify(event)}\n`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/v1\/nodes\/([^/]+)\/(allocations(?:\/([^/]+))?|state|feed|acks)$/.exec(url.pathname);
    if (!m) return send(res, 404, { code: 'NotFound', message: url.pathname });
    if (this.down) return send(res, 503, { code: 'Unavailable', message: 'down' });
    const n = this.nodes.get(decodeURIComponent(m[1] ?? ''));
    if (!n) return send(res, 404, { code: 'NodeNotFound', message: 'unknown node' });
    if (req.headers.authorization !== `Bearer ${n.token}`) {
      const other = [...this.nodes.values()].some((x) => req.headers.authorization === `Bearer ${x.token}`);
      return other
        ? send(res, 403, { code: 'Forbidden', message: "another node's credentials" })
        : send(res, 401, { code: 'Unauthorized', message: 'bad token' });
    }
    const what = m[2] ?? '';
    if (req.method === 'POST' && what === 'allocations') return this.allocate(n, m[1] ?? '', await body(req), res);
    if (req.method === 'DELETE' && m[3]) {
      const id = decodeURIComponent(m[3]);
      const a = n.allocations.get(id);
      if (a) {
        n.allocations.delete(id);
        if (a.mode === 'shared') n.pool.get(a.eniId)?.push(a.ip);
        this.append(n, { revision: 0, type: 'IpReleased', containerId: id });
      }
      return send(res, 204);
    }
    if (req.method === 'GET' && what === 'state') {
      return send(res, 200, { revision: this.revision, enis: n.enis, allocations: [...n.allocations.values()] });
    }
    if (req.method === 'GET' && what === 'feed') {
      const from = Number(url.searchParams.get('from'));
      if (!Number.isInteger(from) || from < 0) return send(res, 400, { code: 'InvalidInput', message: 'bad from' });
      if (from < n.compactedBelow) return send(res, 410, { code: 'RevisionCompacted', message: 'reload state' });
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      for (const e of n.events) if (e.revision > from) res.write(`${JSON.stringify(e)}\n`);
      n.streams.add(res);
      res.on('close', () => n.streams.delete(res));
      return;
    }
    if (req.method === 'POST' && what === 'acks') {
      const b = (await body(req)) as { revision?: unknown };
      if (typeof b?.revision !== 'number') return send(res, 400, { code: 'InvalidInput', message: 'revision' });
      n.acks.push(b.revision);
      return send(res, 204);
    }
    send(res, 405, { code: 'MethodNotAllowed', message: req.method ?? '' });
  }

  private async allocate(n: FakeNode, node: string, raw: unknown, res: ServerResponse): Promise<void> {
    const parsed = AllocateRequestSchema.safeParse(raw);
    if (!parsed.success) return send(res, 400, { code: 'InvalidInput', message: parsed.error.message });
    const req = parsed.data;
    const existing = n.allocations.get(req.containerId);
    if (existing) return send(res, 200, existing);
    let a: PodAllocation | undefined;
    const base = { containerId: req.containerId, pod: req.pod, mode: req.mode };
    if (req.mode === 'shared') {
      const eni = n.enis.find((e) => e.mode === 'shared' && (n.pool.get(e.id)?.length ?? 0) > 0);
      const ip = eni && n.pool.get(eni.id)?.shift();
      if (eni && ip)
        a = { ...base, ip, eniId: eni.id, eniMac: eni.mac, gateway: eni.gateway, subnetCidr: eni.subnetCidr };
    } else {
      const used = new Set([...n.allocations.values()].map((x) => x.eniId));
      const eni = n.enis.find((e) => e.mode === 'exclusive' && !used.has(e.id));
      if (eni) {
        a = {
          ...base,
          ip: eni.primaryIp,
          eniId: eni.id,
          eniMac: eni.mac,
          gateway: eni.gateway,
          subnetCidr: eni.subnetCidr,
        };
      }
    }
    if (!a)
      return send(res, 503, { code: 'PoolExhausted', message: `no free ${req.mode} address; the pool is refilling` });
    n.allocations.set(req.containerId, a);
    this.append(n, { revision: 0, type: 'IpAllocated', allocation: a });
    await this.opts.onAllocated?.(node, a);
    send(res, 200, a);
  }
}

const body = async (req: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString() || 'null');
  } catch {
    return undefined;
  }
};

const send = (res: ServerResponse, status: number, json?: unknown): void => {
  if (res.headersSent) return void res.end();
  res.writeHead(status, json === undefined ? {} : { 'content-type': 'application/json' });
  res.end(json === undefined ? undefined : JSON.stringify(json));
};
