import { isIpamError } from '@eni-ipam/core';
import { NetOpsError } from '../netops/net-ops.js';
import {
  CniCode,
  CniError,
  type CniHandlers,
  type NetConf,
  NetConfSchema,
  type PodArgs,
  renderResult,
  SUPPORTED_VERSIONS,
} from './cni-types.js';

export interface CniInvocation {
  env: Readonly<Record<string, string | undefined>>;
  stdin: string;
}

export interface CniOutcome {
  exitCode: number;
  stdout: string;
}

export interface DispatchDeps {
  handlers: CniHandlers;
  /** Whether a netns path exists (checked before anything is allocated). */
  netnsExists: (path: string) => boolean;
}

/**
 * The CNI plugin as a function: env and stdin in, exit code and stdout out, so every spec path
 * is unit-tested without exec. Validation happens before any handler runs, so bad input never
 * allocates or changes anything. Errors are converted once, here, to the spec's JSON.
 */
export const dispatch = async (inv: CniInvocation, deps: DispatchDeps): Promise<CniOutcome> => {
  let version = '1.0.0';
  try {
    const command = inv.env.CNI_COMMAND;
    if (command === 'VERSION') {
      const v = tryParse(inv.stdin)?.cniVersion;
      return ok({ cniVersion: typeof v === 'string' ? v : '1.0.0', supportedVersions: [...SUPPORTED_VERSIONS] });
    }
    if (command !== 'ADD' && command !== 'DEL' && command !== 'CHECK') {
      throw new CniError(
        CniCode.InvalidEnv,
        `CNI_COMMAND must be ADD, DEL, CHECK or VERSION, got ${command ?? 'nothing'}`,
      );
    }
    const conf = parseConf(inv.stdin);
    version = conf.cniVersion;
    if (!(SUPPORTED_VERSIONS as readonly string[]).includes(conf.cniVersion)) {
      throw new CniError(
        CniCode.IncompatibleVersion,
        `cniVersion ${conf.cniVersion} is not supported`,
        SUPPORTED_VERSIONS.join(', '),
      );
    }
    const containerId = containerIdOf(required(inv.env, 'CNI_CONTAINERID'));
    const ifname = interfaceName(required(inv.env, 'CNI_IFNAME'));
    const netns = inv.env.CNI_NETNS || undefined;
    const pod = podArgs(inv.env.CNI_ARGS);
    if (command === 'DEL') {
      await deps.handlers.del({
        conf,
        containerId,
        ifname,
        ...(netns && deps.netnsExists(netns) ? { netns } : {}),
        ...(pod ? { pod } : {}),
      });
      return { exitCode: 0, stdout: '' };
    }
    if (!netns) throw new CniError(CniCode.InvalidEnv, `CNI_NETNS is required for ${command}`);
    if (!deps.netnsExists(netns)) throw new CniError(CniCode.InvalidEnv, `CNI_NETNS ${netns} does not exist`);
    if (command === 'CHECK') {
      if (!conf.prevResult) throw new CniError(CniCode.InvalidConfig, 'CHECK needs prevResult');
      await deps.handlers.check({
        conf,
        containerId,
        ifname,
        netns,
        prevResult: conf.prevResult,
        ...(pod ? { pod } : {}),
      });
      return { exitCode: 0, stdout: '' };
    }
    if (!pod) throw new CniError(CniCode.InvalidEnv, 'CNI_ARGS must carry K8S_POD_NAMESPACE and K8S_POD_NAME');
    const result = await deps.handlers.add({ conf, containerId, ifname, netns, pod });
    return ok(renderResult(conf.cniVersion, result));
  } catch (e) {
    const err = toCniError(e);
    return {
      exitCode: 1,
      stdout: `${JSON.stringify({ cniVersion: version, code: err.code, msg: err.message, details: err.details })}\n`,
    };
  }
};

/** The one place where any failure becomes a spec error. */
export const toCniError = (e: unknown): CniError => {
  if (e instanceof CniError) return e;
  if (isIpamError(e, 'PoolExhausted') || isIpamError(e, 'IpamdUnavailable')) {
    return new CniError(CniCode.TryAgainLater, e.message, e.code);
  }
  if (isIpamError(e)) return new CniError(CniCode.IpamdRejected, e.message, e.code);
  if (e instanceof NetOpsError) return new CniError(CniCode.NetworkSetupFailed, e.message, e.line ?? '');
  return new CniError(CniCode.Internal, e instanceof Error ? e.message : String(e));
};

const ok = (body: unknown): CniOutcome => ({ exitCode: 0, stdout: `${JSON.stringify(body)}\n` });

const tryParse = (s: string): Record<string, unknown> | undefined => {
  try {
    const v = JSON.parse(s) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

const parseConf = (stdin: string): NetConf => {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin);
  } catch (e) {
    throw new CniError(CniCode.Decode, `stdin is not JSON: ${(e as Error).message}`);
  }
  const parsed = NetConfSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CniError(
      CniCode.InvalidConfig,
      `invalid network config at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  return parsed.data;
};

const required = (env: CniInvocation['env'], key: string): string => {
  const v = env[key];
  if (!v) throw new CniError(CniCode.InvalidEnv, `${key} is required`);
  return v;
};

/**
 * `CNI_IFNAME` must be a name Linux accepts, checked as libcni's `ValidateInterfaceName` does:
 * at most 15 bytes (IFNAMSIZ - 1), not `.` or `..`, no `/`, `:` or whitespace. Without this, a
 * bad name got as far as the pod's netlink calls (found by the CNI fuzz test).
 */
const interfaceName = (name: string): string => {
  if (Buffer.byteLength(name) > 15 || name === '.' || name === '..' || /[/:\s]/.test(name)) {
    throw new CniError(CniCode.InvalidEnv, `CNI_IFNAME ${JSON.stringify(name)} is not a valid interface name`);
  }
  return name;
};

/**
 * `CNI_CONTAINERID` as libcni's `ValidateContainerID` accepts it: an alphanumeric first
 * character, then alphanumerics, `_`, `.` or `-` (at most 128, ipamd's limit). Without this, an
 * id like `.` was allocated for on ADD and then refused on DEL (found by the CNI fuzz test).
 */
const containerIdOf = (id: string): string => {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id)) {
    throw new CniError(CniCode.InvalidEnv, `CNI_CONTAINERID ${JSON.stringify(id)} is not a valid container id`);
  }
  return id;
};

/** `CNI_ARGS` is `K=V;K2=V2`; Kubernetes runtimes pass K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_UID. */
const podArgs = (cniArgs: string | undefined): PodArgs | undefined => {
  const kv = new Map(
    (cniArgs ?? '')
      .split(';')
      .filter(Boolean)
      .map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as const),
  );
  const namespace = kv.get('K8S_POD_NAMESPACE');
  const name = kv.get('K8S_POD_NAME');
  if (!namespace || !name) return undefined;
  const uid = kv.get('K8S_POD_UID');
  return { namespace, name, ...(uid ? { uid } : {}) };
};
