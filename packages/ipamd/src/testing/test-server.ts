import type { FastifyInstance } from 'fastify';
import { buildApiServer, listen } from '../api/server.js';
import type { LeaderRouter } from '../api/service.js';
import { HmacAuthenticator, nodeToken } from '../auth/hmac-authenticator.js';
import { createLogger } from '../observability/logger.js';
import { IpamdMetrics } from '../observability/metrics.js';
import { RecordingIpamService } from './recording-service.js';

export const TEST_SECRET = 'test-cluster-secret-0123456789abcdef';
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef-xyz';

export interface TestServer {
  url: string;
  app: FastifyInstance;
  service: RecordingIpamService;
  metrics: IpamdMetrics;
  /** Every log line written so far (JSON text). */
  logs: string[];
  /** `Authorization` header value for a node. */
  nodeAuth(node: string): string;
  adminAuth: string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  nodes?: string[];
  router?: LeaderRouter;
  replicaId?: string;
  feedHeartbeatMs?: number;
  tls?: { cert: string; key: string };
}

/** An API server on 127.0.0.1 (random port) over a RecordingIpamService, logs captured. */
export const startTestServer = async (opts: TestServerOptions = {}): Promise<TestServer> => {
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void logs.push(s) } });
  const service = new RecordingIpamService(opts.nodes ?? ['node-a', 'node-b']);
  const metrics = new IpamdMetrics();
  const app = buildApiServer({
    service,
    authenticator: new HmacAuthenticator({ clusterSecret: TEST_SECRET, adminToken: TEST_ADMIN_TOKEN }),
    metrics,
    logger,
    replicaId: opts.replicaId ?? 'replica-test',
    ...(opts.router ? { router: opts.router } : {}),
    ...(opts.feedHeartbeatMs ? { feedHeartbeatMs: opts.feedHeartbeatMs } : {}),
    ...(opts.tls ? { tls: opts.tls } : {}),
  });
  const url = await listen(app, '127.0.0.1', 0);
  return {
    url,
    app,
    service,
    metrics,
    logs,
    nodeAuth: (node) => `Bearer ${nodeToken(TEST_SECRET, node)}`,
    adminAuth: `Bearer ${TEST_ADMIN_TOKEN}`,
    close: () => app.close(),
  };
};
