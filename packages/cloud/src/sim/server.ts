/**
 * The VPC simulator: an HTTP server speaking Tencent Cloud API 3.0 (TC3-HMAC-SHA256 signed JSON
 * POSTs) for the VPC 2017-03-12 actions eni-ipam uses, so the real SDK talks to it unmodified.
 * Beside the API, an unsigned control API under `/_sim/` (loopback test tool): state dump,
 * fault injection, request statistics.
 *
 * @example
 *   const sim = await startVpcSimulator({ seed, credentials: [{ secretId: 'AKID1', secretKey: 'k' }] });
 *   // ... point the adapter at sim.port ...
 *   await sim.stop();
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { dispatch } from './dispatch.js';
import {
  ActionRateLimiter,
  defaultSimRateLimits,
  type FaultConfig,
  faultConfigSchema,
  ruleFor,
  seededRandom,
} from './faults.js';
import { parseCidr, usableCount } from './ipv4.js';
import { DebouncedWriter, loadState, saveState } from './persist.js';
import { fail, SimApiError } from './sim-error.js';
import { type SimEni, type SimState, stateFromSeed } from './state.js';
import { parseAuthorization, signaturesEqual, tc3Signature, utcDate } from './tc3.js';
import { defaultTaskDurations, type ModelContext, type TaskDurations, VpcModel } from './vpc-model.js';
import { isSimAction, parseParams, type SimAction } from './wire.js';

export const API_VERSION = '2017-03-12';

export interface SimCredential {
  secretId: string;
  secretKey: string;
  /** When set, requests must carry it as X-TC-Token (temporary credentials). */
  token?: string;
}

export interface VpcSimulatorOptions {
  /** The seed (see README "Seed format"). Needed unless `statePath` already holds a state. */
  seed?: unknown;
  /** Keep the state in this file (loaded on start, written atomically after changes). */
  statePath?: string;
  credentials: readonly SimCredential[];
  /** Overrides the seed's region. */
  region?: string;
  /** Default 127.0.0.1; default port 0 (a free one). */
  host?: string;
  port?: number;
  taskDurations?: Partial<TaskDurations>;
  /** Requests per second per action (`*` for the rest); `false` for none. Default: defaultSimRateLimits. */
  rateLimits?: Readonly<Record<string, number>> | false;
  faults?: FaultConfig;
  /** Seed of the fault and id generator. */
  randomSeed?: number;
  /** Default 1 MiB. */
  maxBodyBytes?: number;
  /** Default 300 s, as the product. */
  maxClockSkewSeconds?: number;
  /** Default 50 ms. */
  persistDebounceMs?: number;
  /** How long settled tasks and their ClientToken records are kept; default one hour. */
  taskRetentionMs?: number;
  now?: () => number;
  /**
   * Called with the state after an API request changed it (or a task settled), and awaited
   * before that request is answered: a test can make the change real (a NIC hot-plugged into a
   * network namespace) before the caller learns it succeeded, as in the cloud. A change first
   * seen by a control-API dump is reported with the next API request. A throwing hook makes
   * that request answer InternalError; the change is reported again with the next request.
   */
  onChange?: (state: SimDump) => void | Promise<void>;
}

export interface SimSubnetView {
  subnetId: string;
  cidr: string;
  zone: string;
  availableIps: number;
  totalIps: number;
}

export interface SimDump {
  region: string;
  vpc: { vpcId: string; cidr: string };
  subnets: SimSubnetView[];
  instances: { instanceId: string; instanceType: string; zone: string; maxEnis: number; ipsPerEni: number }[];
  enis: SimEni[];
}

/** Calls by action, then by outcome (`OK`, an error code, `Ambiguous`, `HTTP503`). */
export type SimStats = Record<string, Record<string, number>>;

export interface VpcSimulator {
  readonly url: string;
  readonly port: number;
  readonly region: string;
  dump(tag?: { key: string; value: string }): SimDump;
  setFaults(faults: FaultConfig): void;
  stats(): SimStats;
  /** Writes pending state now (if persisting). */
  flush(): void;
  stop(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
};

export const startVpcSimulator = async (opts: VpcSimulatorOptions): Promise<VpcSimulator> => {
  const now = opts.now ?? Date.now;
  const loaded = opts.statePath ? loadState(opts.statePath) : undefined;
  if (!loaded && opts.seed === undefined) throw new Error('startVpcSimulator: a seed is needed (no saved state found)');
  const state: SimState = loaded ?? stateFromSeed(opts.seed, new Date(now()).toISOString());
  if (opts.region) state.region = opts.region;
  const model = new VpcModel(state, opts.taskRetentionMs);
  const durations = { ...defaultTaskDurations, ...opts.taskDurations };
  const limiter = new ActionRateLimiter(opts.rateLimits === false ? {} : (opts.rateLimits ?? defaultSimRateLimits));
  const random = seededRandom(opts.randomSeed ?? 1);
  let faults: FaultConfig = opts.faults ?? {};
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const maxSkew = opts.maxClockSkewSeconds ?? 300;
  const creds = new Map(opts.credentials.map((c) => [c.secretId, c]));
  const stats: SimStats = {};
  const count = (action: string, outcome: string) => {
    const a = stats[action] ?? {};
    a[outcome] = (a[outcome] ?? 0) + 1;
    stats[action] = a;
  };
  const statePath = opts.statePath;
  const writer = statePath
    ? new DebouncedWriter(() => saveState(statePath, state), opts.persistDebounceMs ?? 50)
    : undefined;
  if (writer && !loaded) writer.flush();

  const newEniId = (): string => {
    for (;;) {
      const id = `eni-${Math.floor(random() * 36 ** 8)
        .toString(36)
        .padStart(8, '0')}`;
      if (!state.enis[id]) return id;
    }
  };

  /** Tasks settled so far (with `model.changes`, tells `onChange` whether anything changed). */
  let settled = 0;
  let notified = 0;
  const settle = (at: number) => {
    if (!model.settle(at)) return;
    settled++;
    writer?.schedule();
  };
  const notify = async () => {
    if (!opts.onChange) return;
    const state = dump();
    const mark = model.changes + settled;
    if (mark === notified) return;
    await opts.onChange(state);
    notified = mark;
  };

  const dump = (tag?: { key: string; value: string }): SimDump => {
    settle(now());
    return {
      region: state.region,
      vpc: state.vpc,
      subnets: Object.values(state.subnets).map((s) => ({
        subnetId: s.subnetId,
        cidr: s.cidr,
        zone: s.zone,
        availableIps: model.availableCount(s.subnetId),
        totalIps: usableCount(parseCidr(s.cidr) ?? { base: 0, prefix: 32, size: 3 }),
      })),
      instances: Object.values(state.instances).map((i) => ({
        ...i,
        ...(state.instanceTypes[i.instanceType] ?? { maxEnis: 0, ipsPerEni: 0 }),
      })),
      enis: structuredClone(
        Object.values(state.enis).filter((e) => !tag || e.tags.some((t) => t.Key === tag.key && t.Value === tag.value)),
      ),
    };
  };

  const control = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname === '/_sim/state' && req.method === 'GET') {
      const tag = url.searchParams.get('tag');
      const [key, ...value] = tag?.split('=') ?? [];
      return json(res, 200, dump(key ? { key, value: value.join('=') } : undefined));
    }
    if (url.pathname === '/_sim/stats' && req.method === 'GET') return json(res, 200, stats);
    if (url.pathname === '/_sim/healthz') return json(res, 200, { ok: true });
    if (url.pathname === '/_sim/faults' && req.method === 'GET') return json(res, 200, faults);
    if (url.pathname === '/_sim/faults' && req.method === 'PUT') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return json(res, 400, { error: 'body is not JSON' });
      }
      const r = faultConfigSchema.safeParse(parsed);
      if (!r.success) return json(res, 400, { error: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
      faults = r.data;
      return json(res, 200, faults);
    }
    return json(res, 404, { error: `no control endpoint ${req.method} ${url.pathname}` });
  };

  /** Checks the envelope: protocol, signature, version, action, region. Returns the action. */
  const authenticate = (req: IncomingMessage, body: Buffer): SimAction => {
    if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== '/')
      fail('UnsupportedProtocol', 'Only POST / is supported by this endpoint.');
    const h = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const contentType = h('content-type') ?? '';
    if (!/^application\/json\s*(;.*)?$/i.test(contentType))
      fail('InvalidParameter', 'Content-Type must be application/json.');
    const auth = parseAuthorization(h('authorization') ?? '');
    if (!auth) fail('AuthFailure.SignatureFailure', 'The Authorization header is missing or malformed.');
    const tsRaw = h('x-tc-timestamp');
    if (!tsRaw) fail('MissingParameter', 'The request is missing a required parameter `X-TC-Timestamp`.');
    const ts = Number(tsRaw);
    if (!Number.isInteger(ts)) fail('InvalidParameter', 'X-TC-Timestamp must be an integer.');
    if (Math.abs(now() / 1000 - ts) > maxSkew)
      fail(
        'AuthFailure.SignatureExpire',
        'The signature has expired: the request timestamp is too far from server time.',
      );
    const a = auth as NonNullable<typeof auth>;
    const cred = creds.get(a.secretId) ?? fail('AuthFailure.SecretIdNotFound', 'The SecretId is not found.');
    if (a.date !== utcDate(ts) || a.service !== 'vpc' || a.signedHeaders !== 'content-type;host')
      fail('AuthFailure.SignatureFailure', 'The credential scope does not match the request.');
    const hostname = (h('host') ?? '').replace(/:\d+$/, '');
    const expected = tc3Signature({
      secretKey: cred.secretKey,
      hostname,
      contentType,
      body,
      timestamp: ts,
      service: 'vpc',
    });
    if (!signaturesEqual(expected, a.signature))
      fail('AuthFailure.SignatureFailure', 'The provided credentials could not be validated: signature mismatch.');
    if (cred.token !== undefined && h('x-tc-token') !== cred.token)
      fail('AuthFailure.TokenFailure', 'The X-TC-Token is missing or invalid.');
    const version = h('x-tc-version');
    if (!version) fail('MissingParameter', 'The request is missing a required parameter `X-TC-Version`.');
    if (version !== API_VERSION) fail('NoSuchVersion', `The API version \`${version}\` does not exist.`);
    const action = h('x-tc-action');
    if (!action) fail('MissingParameter', 'The request is missing a required parameter `X-TC-Action`.');
    if (!action || !isSimAction(action)) return fail('InvalidAction', `The action \`${action}\` is not supported.`);
    const region = h('x-tc-region');
    if (!region) fail('MissingParameter', 'The request is missing a required parameter `X-TC-Region`.');
    if (region !== state.region) fail('UnsupportedRegion', `The region \`${region}\` is not supported.`);
    return action;
  };

  const api = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const requestId = randomUUID();
    let action = String(req.headers['x-tc-action'] ?? '(none)');
    const answer = (fields: Record<string, unknown>) =>
      json(res, 200, { Response: { ...fields, RequestId: requestId } });
    const changesBefore = model.changes;
    try {
      const simAction = authenticate(req, body);
      action = simAction;
      if (!limiter.admit(action, now()))
        fail('RequestLimitExceeded', `The request rate of ${action} exceeds its limit.`);
      const rule = ruleFor(faults, action);
      if (rule.latencyMs) await sleep(rule.latencyMs);
      if (rule.errorRate && random() < rule.errorRate) {
        const code = rule.errorCode ?? 'RequestLimitExceeded';
        fail(code, `Injected fault: ${code}.`);
      }
      if (rule.http5xxRate && random() < rule.http5xxRate) {
        count(action, 'HTTP503');
        return json(res, 503, { message: 'Service Unavailable (injected)' });
      }
      let params: unknown;
      try {
        params = JSON.parse(body.toString('utf8'));
      } catch {
        fail('InvalidParameter', 'The request body is not valid JSON.');
      }
      const parsed = parseParams(simAction, params);
      const ctx: ModelContext = {
        now: now(),
        requestId,
        durations,
        taskFails: rule.taskFailRate !== undefined && random() < rule.taskFailRate,
        newEniId,
      };
      settle(ctx.now);
      const fields = dispatch(model, simAction, parsed, ctx);
      await notify();
      if (rule.ambiguousRate && random() < rule.ambiguousRate) {
        count(action, 'Ambiguous');
        res.socket?.destroy();
        return;
      }
      count(action, 'OK');
      answer(fields);
    } catch (e) {
      let err = e instanceof SimApiError ? e : new SimApiError('InternalError', 'An internal error occurred.');
      // an API error after a settle (a task finished before this call was refused) is reported too
      await notify().catch(() => {
        err = new SimApiError('InternalError', 'An internal error occurred.');
      });
      count(action, err.code);
      answer({ Error: { Code: err.code, Message: err.message } });
    } finally {
      if (model.changes !== changesBefore) writer?.schedule();
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = Number(req.headers['content-length'] ?? 0) > maxBody;
    const tooLarge = () =>
      json(res, 200, {
        Response: {
          Error: { Code: 'RequestSizeLimitExceeded', Message: `The request body exceeds ${maxBody} bytes.` },
          RequestId: randomUUID(),
        },
      });
    if (tooBig) {
      res.setHeader('connection', 'close');
      tooLarge();
      req.resume();
      return;
    }
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody && !tooBig) {
        tooBig = true;
        res.setHeader('connection', 'close');
        tooLarge();
      }
      if (!tooBig) chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (tooBig) return;
      const body = Buffer.concat(chunks);
      const handler = (req.url ?? '').startsWith('/_sim/') ? control : api;
      handler(req, res, body).catch(() => res.destroy());
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    region: state.region,
    dump,
    setFaults: (f) => {
      faults = faultConfigSchema.parse(f);
    },
    stats: () => structuredClone(stats),
    flush: () => writer?.flush(),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (writer?.pending) writer.flush();
    },
  };
};
