/**
 * deploy/kubernetes/*.yaml against the Kubernetes API types of @kubernetes/client-node (a round
 * trip through the typed model must not drop a field: a misspelt or misplaced key fails), and
 * against the code: RBAC covers exactly the API calls ipamd makes, probe paths are ipamd routes,
 * container args parse with ipamd's parser, the agent config and conflists parse with the
 * dataplane's schemas, and ports and names line up.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIGMAP_KEYS, defaultClusterConfig } from '@eni-ipam/core';
import { applyConfigMap } from '@eni-ipam/ipamd';
import { NetConfSchema } from '@eni-ipam/node-dataplane';
import * as k8s from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { afterAll, describe, expect, it } from 'vitest';
import {
  agentConfigSchema,
  exists,
  flag,
  ipamdGetStatus,
  parseIpamd,
  readText,
  readYamlDocs,
  repoPath,
} from './support.js';

/** The placeholder node-init.sh replaces in the agent config template (a shell variable, not a JS template). */
const NODE_NAME_VAR = ['$', '{NODE_NAME}'].join('');
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } & Record<
  string,
  unknown
>;
const files = readdirSync(repoPath('deploy/kubernetes')).filter((f) => f.endsWith('.yaml'));
const objects = files.flatMap((f) => readYamlDocs(`deploy/kubernetes/${f}`).map((o) => ({ file: f, obj: o as Obj })));
const find = <T>(kind: string, name: string): T => {
  const o = objects.find((x) => x.obj.kind === kind && x.obj.metadata.name === name)?.obj;
  if (!o) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return ObjectSerializer.deserialize(o, `V1${kind}`) as T;
};

describe('every manifest is a valid Kubernetes object', () => {
  it('the manifests hold what a deployment needs', () => {
    expect(objects.map((o) => `${o.obj.kind}/${o.obj.metadata.name}`).sort()).toEqual(
      [
        'ClusterRole/eni-ipamd',
        'ClusterRoleBinding/eni-ipamd',
        'ConfigMap/eni-agent-config',
        'ConfigMap/tke-eni-ipamd',
        'DaemonSet/eni-agent',
        'Deployment/eni-ipamd',
        'PodDisruptionBudget/eni-ipamd',
        'Role/eni-ipamd-config',
        'RoleBinding/eni-ipamd-config',
        'Service/eni-ipamd',
        'ServiceAccount/eni-agent',
        'ServiceAccount/eni-ipamd',
      ].sort(),
    );
  });

  it.each(
    objects.map((o) => ({ name: `${o.file}: ${o.obj.kind}/${o.obj.metadata.name}`, obj: o.obj })),
  )('$name round-trips through its client-node type without losing a field', ({ obj }) => {
    const type = `V1${obj.kind}`;
    const typed = ObjectSerializer.deserialize(obj, type);
    expect(typed).toBeDefined();
    expect(ObjectSerializer.serialize(typed, type)).toEqual(obj);
    if (obj.kind !== 'ClusterRole' && obj.kind !== 'ClusterRoleBinding') {
      expect(obj.metadata.namespace).toBe('kube-system');
    }
  });

  it('every container runs the image of this version (README: docker build -t eni-ipam:<version> .)', () => {
    const version = (JSON.parse(readText('package.json')) as { version: string }).version;
    const images = [...JSON.stringify(objects.map((o) => o.obj)).matchAll(/"image":"([^"]+)"/g)].map((m) => m[1]);
    expect(images.length).toBe(3);
    for (const image of images) expect(image).toBe(`eni-ipam:${version}`);
    expect(readText('README.md')).toContain(`docker build -t eni-ipam:${version} .`);
  });

  it('a misspelt field would fail the round trip', () => {
    const dep = objects.find((o) => o.obj.kind === 'Deployment')?.obj as Obj;
    const bad = structuredClone(dep) as unknown as { spec: { replica?: number } };
    bad.spec.replica = 3;
    expect(ObjectSerializer.serialize(ObjectSerializer.deserialize(bad, 'V1Deployment'), 'V1Deployment')).not.toEqual(
      bad,
    );
  });
});

describe('RBAC: least privilege for what ipamd calls', () => {
  /** Each Kubernetes API call of ipamd, where it is made, and the permission it needs. */
  const CALLS = [
    { call: 'listNode', file: 'kube/kube-sync.ts', rule: 'nodes list watch', why: 'node informer' },
    { call: 'listPodForAllNamespaces', file: 'kube/kube-sync.ts', rule: 'pods list watch', why: 'pod informer' },
    {
      call: 'listNamespacedConfigMap',
      file: 'kube/kube-sync.ts',
      rule: 'kube-system configmaps/tke-eni-ipamd list watch',
      why: 'ConfigMap informer',
    },
    {
      call: 'patchNodeStatus',
      file: 'kube/node-status-publisher.ts',
      rule: 'nodes/status patch',
      why: 'extended resources',
    },
    { call: 'createNamespacedEvent', file: 'kube/event-recorder.ts', rule: 'events create', why: 'Events' },
    { call: 'patchNamespacedEvent', file: 'kube/event-recorder.ts', rule: 'events patch', why: 'Event counts' },
    { call: 'listNamespacedEvent', file: 'kube/event-recorder.ts', rule: 'events list', why: 'Events after a restart' },
    {
      call: 'createTokenReview',
      file: 'auth/tokenreview-authenticator.ts',
      rule: 'authentication.k8s.io/tokenreviews create',
      why: '--auth-mode tokenreview',
    },
  ] as const;

  /** Every client-node API method name (CoreV1Api, AuthenticationV1Api, ... prototypes). */
  const apiMethods = new Set(
    Object.entries(k8s)
      .filter(([name, v]) => /^[A-Z][A-Za-z0-9]*Api$/.test(name) && typeof v === 'function')
      .flatMap(([, v]) => Object.getOwnPropertyNames((v as { prototype: object }).prototype))
      .filter((m) => /^(list|read|create|patch|replace|delete|connect)[A-Z]/.test(m)),
  );
  const sources = (dir: string): string[] =>
    readdirSync(repoPath(dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !/(^|\/)testing(\.ts|\/)/.test(f))
      .map((f) => join(dir, f));

  it('every Kubernetes API call in ipamd is in the table (so RBAC is reviewed when one is added)', () => {
    expect(apiMethods.has('listNode') && apiMethods.has('createNamespacedEvent')).toBe(true);
    const known = new Set<string>(CALLS.map((c) => c.call));
    const found = new Set<string>();
    for (const f of sources('packages/ipamd/src')) {
      for (const m of readText(f).matchAll(/\.([a-z][A-Za-z0-9]*)\(/g)) {
        const name = m[1] as string;
        if (!apiMethods.has(name)) continue;
        found.add(name);
        expect(known.has(name), `${f} calls ${name}: add it to CALLS and deploy/kubernetes/rbac.yaml`).toBe(true);
      }
    }
    for (const c of CALLS) {
      expect(readText(`packages/ipamd/src/${c.file}`), `${c.file} no longer calls ${c.call}`).toContain(`.${c.call}(`);
    }
    expect([...found].sort()).toEqual(CALLS.map((c) => c.call).sort());
  });

  it('the ClusterRole and Role grant exactly those permissions', () => {
    const granted: string[] = [];
    const cr = find<k8s.V1ClusterRole>('ClusterRole', 'eni-ipamd');
    for (const r of cr.rules ?? []) {
      expect(r.apiGroups).toHaveLength(1);
      expect(r.resourceNames).toBeUndefined();
      const group = r.apiGroups?.[0] ? `${r.apiGroups[0]}/` : '';
      for (const res of r.resources ?? []) granted.push(`${group}${res} ${(r.verbs ?? []).join(' ')}`);
    }
    const role = find<k8s.V1Role>('Role', 'eni-ipamd-config');
    for (const r of role.rules ?? []) {
      for (const res of r.resources ?? []) {
        for (const n of r.resourceNames ?? []) granted.push(`kube-system ${res}/${n} ${(r.verbs ?? []).join(' ')}`);
      }
    }
    const needed = new Map<string, Set<string>>();
    for (const c of CALLS) {
      const words = c.rule.split(' ');
      const verbs = words.filter((w) => /^[a-z]+$/.test(w) && ['list', 'watch', 'patch', 'create', 'get'].includes(w));
      const subject = words.filter((w) => !verbs.includes(w)).join(' ');
      needed.set(subject, new Set([...(needed.get(subject) ?? []), ...verbs]));
    }
    const want = [...needed].map(([s, v]) => `${s} ${[...v].join(' ')}`);
    const norm = (xs: string[]) =>
      xs.map((x) => {
        const w = x.split(' ');
        const verbs = w.filter((v) => ['list', 'watch', 'patch', 'create', 'get'].includes(v)).sort();
        return [...w.filter((v) => !verbs.includes(v)), ...verbs].join(' ');
      });
    expect(norm(granted).sort()).toEqual(norm(want).sort());
    expect(readText('packages/ipamd/src/kube/configmap-sync.ts')).toMatch(/CONFIGMAP_NAME = 'tke-eni-ipamd'/);
    // the informer asks by name, which a resourceNames-restricted list/watch requires
    expect(readText('packages/ipamd/src/kube/kube-sync.ts')).toMatch(/fieldSelector = `metadata\.name=\$\{cm\.name\}`/);
  });

  it('the bindings give the roles to ipamd’s ServiceAccount, and the agent has no API access', () => {
    const sa = find<k8s.V1ServiceAccount>('ServiceAccount', 'eni-ipamd');
    for (const [kind, name] of [
      ['ClusterRoleBinding', 'eni-ipamd'],
      ['RoleBinding', 'eni-ipamd-config'],
    ] as const) {
      const b = find<k8s.V1RoleBinding>(kind, name);
      expect(b.subjects).toEqual([
        { kind: 'ServiceAccount', name: sa.metadata?.name, namespace: sa.metadata?.namespace },
      ]);
    }
    expect(find<k8s.V1ClusterRoleBinding>('ClusterRoleBinding', 'eni-ipamd').roleRef.name).toBe('eni-ipamd');
    expect(find<k8s.V1RoleBinding>('RoleBinding', 'eni-ipamd-config').roleRef.name).toBe('eni-ipamd-config');
    expect(find<k8s.V1ServiceAccount>('ServiceAccount', 'eni-agent').automountServiceAccountToken).toBe(false);
    const bound = objects.filter((o) => o.obj.kind.endsWith('Binding')).flatMap((o) => JSON.stringify(o.obj));
    expect(bound.join()).not.toContain('eni-agent');
  });
});

describe('ipamd Deployment, PDB and Service', () => {
  const dep = find<k8s.V1Deployment>('Deployment', 'eni-ipamd');
  const pod = dep.spec?.template.spec as k8s.V1PodSpec;
  const labels = dep.spec?.template.metadata?.labels ?? {};
  const c = pod.containers[0] as k8s.V1Container;
  /** The container's environment, with downward-API values as a pod would see them. */
  const env = Object.fromEntries(
    (c.env ?? []).map((e) => [e.name, e.value ?? (e.valueFrom?.fieldRef ? 'eni-ipamd-7d9f-abcde' : undefined)]),
  );
  const matches = (sel: k8s.V1LabelSelector | undefined) =>
    Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
    Object.keys(sel?.matchLabels ?? {}).length > 0;

  it('runs 3 replicas on 3 different nodes, at most one disrupted', () => {
    expect(dep.spec?.replicas).toBe(3);
    expect(matches(dep.spec?.selector)).toBe(true);
    const anti = pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
    expect(anti.some((t) => t.topologyKey === 'kubernetes.io/hostname' && matches(t.labelSelector))).toBe(true);
    const pdb = find<k8s.V1PodDisruptionBudget>('PodDisruptionBudget', 'eni-ipamd');
    expect(matches(pdb.spec?.selector)).toBe(true);
    expect(pdb.spec?.minAvailable).toBe(2);
    expect(pod.serviceAccountName).toBe('eni-ipamd');
  });

  it('runs the image’s ipamd entry with args ipamd’s own parser accepts', () => {
    expect(c.command).toEqual(['node', 'deploy/docker/bin/ipamd.mjs']);
    expect(exists(c.command?.[1] as string)).toBe(true);
    const r = parseIpamd(c.args ?? [], env);
    expect(r.ok ? [] : r.problems).toEqual([]);
    const bad = parseIpamd([...(c.args ?? []), '--cluster-id=x'], env);
    expect(bad.ok).toBe(false);
  });

  it('reads every secret file from a mounted Secret item, and names the ConfigMap of configmap.yaml', () => {
    const mounts = new Map((c.volumeMounts ?? []).map((m) => [m.name, m.mountPath]));
    const items = (pod.volumes ?? []).flatMap((v) =>
      (v.secret?.items ?? []).map((i) => `${mounts.get(v.name)}/${i.path}`),
    );
    const fileFlags = (c.args ?? []).filter((a) => /^--[a-z-]+-file=/.test(a));
    expect(fileFlags.length).toBeGreaterThanOrEqual(6);
    for (const a of fileFlags) expect(items, a).toContain(a.split('=')[1]);
    const cm = find<k8s.V1ConfigMap>('ConfigMap', 'tke-eni-ipamd');
    expect(flag(c.args ?? [], 'configmap')).toBe(`${cm.metadata?.namespace}/${cm.metadata?.name}`);
    for (const m of c.volumeMounts ?? []) expect(m.readOnly).toBe(true);
  });

  it('probes ipamd’s /healthz and /readyz on the port it listens on', async () => {
    const r = parseIpamd(c.args ?? [], env);
    if (!r.ok) throw new Error(r.problems.join('; '));
    const ports = new Map((c.ports ?? []).map((p) => [p.name, p.containerPort]));
    expect([...ports.values()]).toEqual([r.config.listen.port]);
    expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
    for (const probe of [c.livenessProbe, c.readinessProbe]) {
      expect(ports.get(String(probe?.httpGet?.port))).toBe(r.config.listen.port);
    }
    const status = await ipamdGetStatus(['/healthz', '/readyz', '/metrics']);
    for (const [path, code] of status) expect(code, path).not.toBe(404);
    const ann = dep.spec?.template.metadata?.annotations ?? {};
    expect(Number(ann['prometheus.io/port'])).toBe(r.config.listen.port);
  });

  it('the Service selects the ipamd pods and targets their port', () => {
    const svc = find<k8s.V1Service>('Service', 'eni-ipamd');
    expect(Object.entries(svc.spec?.selector ?? {}).every(([k, v]) => labels[k] === v)).toBe(true);
    const names = (c.ports ?? []).map((p) => p.name);
    for (const p of svc.spec?.ports ?? []) expect(names).toContain(p.targetPort);
  });
});

describe('eni-agent DaemonSet', () => {
  const ds = find<k8s.V1DaemonSet>('DaemonSet', 'eni-agent');
  const pod = ds.spec?.template.spec as k8s.V1PodSpec;
  const init = pod.initContainers?.[0] as k8s.V1Container;
  const agent = pod.containers[0] as k8s.V1Container;
  const cfg = find<k8s.V1ConfigMap>('ConfigMap', 'eni-agent-config').data ?? {};
  const initEnv = Object.fromEntries((init.env ?? []).map((e) => [e.name, e.value]));
  const mountOf = (c: k8s.V1Container, volume: string) => c.volumeMounts?.find((m) => m.name === volume)?.mountPath;
  const volume = (name: string) => pod.volumes?.find((v) => v.name === name);
  const tmp = mkdtempSync(join(tmpdir(), 'eni-ipam-node-init-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('runs privileged on the host network, and the init container installs onto host paths', () => {
    expect(pod.hostNetwork).toBe(true);
    expect(agent.securityContext?.privileged).toBe(true);
    expect(init.command).toEqual(['sh', 'deploy/docker/bin/node-init.sh']);
    expect(exists(init.command?.[1] as string)).toBe(true);
    expect(volume('cni-bin')?.hostPath?.path).toBe('/opt/cni/bin');
    expect(volume('cni-net')?.hostPath?.path).toBe('/etc/cni/net.d');
    expect(mountOf(init, 'cni-bin')).toBe(initEnv.CNI_BIN_DIR);
    expect(mountOf(init, 'cni-net')).toBe(initEnv.CNI_NET_DIR);
    expect(mountOf(init, 'config')).toBe(initEnv.CONFIG_DIR);
    expect(mountOf(init, 'tokens')).toBe(initEnv.TOKENS_DIR);
    expect(mountOf(init, 'agent-config')).toBe(initEnv.RUN_DIR);
    expect(mountOf(agent, 'agent-config')).toBe(initEnv.RUN_DIR);
    expect(initEnv.PLUGIN_DIR).toBe('/opt/eni-ipam/cni/bin');
    expect(readText('Dockerfile')).toContain(`/out/cni/bin ${initEnv.PLUGIN_DIR}`);
    expect(init.env?.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('spec.nodeName');
  });

  it('the agent config parses with AgentConfigSchema and points at the Service, the token and the socket', async () => {
    const schema = (await agentConfigSchema()).strict();
    const config = schema.parse(JSON.parse((cfg['agent.json.template'] ?? '').replaceAll(NODE_NAME_VAR, 'node-a')));
    expect(config.node).toBe('node-a');
    const svc = find<k8s.V1Service>('Service', 'eni-ipamd');
    const url = new URL(String(config.ipamdUrl));
    expect(url.hostname).toBe(`${svc.metadata?.name}.${svc.metadata?.namespace}.svc`);
    expect(Number(url.port)).toBe(svc.spec?.ports?.[0]?.port);
    expect(String(config.tokenFile).startsWith(`${initEnv.RUN_DIR}/`)).toBe(true);
    const socketDir = String(config.socketPath).replace(/\/[^/]+$/, '');
    expect(mountOf(agent, 'agent-socket')).toBe(socketDir);
    expect(volume('agent-socket')?.hostPath?.path).toBe(socketDir);
    expect(agent.command).toEqual([
      'node',
      'packages/node-dataplane/dist/agent/main.js',
      `${initEnv.RUN_DIR}/config.json`,
    ]);
    expect(exists('packages/node-dataplane/src/agent/main.ts')).toBe(true);
  });

  it('the conflists hold our plugins as the dataplane parses them, on the agent’s socket', async () => {
    const schema = await agentConfigSchema();
    const socket = String(
      schema.parse(JSON.parse((cfg['agent.json.template'] ?? '').replaceAll(NODE_NAME_VAR, 'n'))).socketPath,
    );
    const lists = Object.entries(cfg).filter(([k]) => k.endsWith('.conflist'));
    expect(lists.map(([k]) => k).sort()).toEqual(['10-tke-route-eni.conflist', 'tke-direct-eni.conflist']);
    for (const [name, text] of lists) {
      const list = JSON.parse(text) as { cniVersion: string; name: string; plugins: Record<string, unknown>[] };
      const ours = list.plugins[0] as Record<string, unknown>;
      const conf = NetConfSchema.parse({ ...ours, cniVersion: list.cniVersion, name: list.name });
      expect(`${conf.type}.conflist`).toBe(name.replace(/^\d+-/, ''));
      expect(conf.agentSocket).toBe(socket);
    }
  });

  it('node-init.sh installs plugins and conflists, renders the config and copies the node token', async () => {
    const dirs = Object.fromEntries(
      ['PLUGIN_DIR', 'CONFIG_DIR', 'TOKENS_DIR', 'CNI_BIN_DIR', 'CNI_NET_DIR', 'RUN_DIR'].map((k) => [k, join(tmp, k)]),
    );
    for (const d of ['PLUGIN_DIR', 'CONFIG_DIR', 'TOKENS_DIR']) mkdirSync(dirs[d] as string);
    for (const p of ['tke-route-eni', 'tke-direct-eni'])
      writeFileSync(join(dirs.PLUGIN_DIR as string, p), `#!/bin/sh\n# ${p}\n`);
    for (const [k, v] of Object.entries(cfg)) writeFileSync(join(dirs.CONFIG_DIR as string, k), v);
    writeFileSync(join(dirs.TOKENS_DIR as string, 'node-a'), 'node-a:token\n');
    const run = (node: string) =>
      spawnSync('sh', [repoPath('deploy/docker/bin/node-init.sh')], {
        env: { PATH: process.env.PATH, NODE_NAME: node, ...dirs },
        encoding: 'utf8',
      });
    const ok = run('node-a');
    expect(ok.status, ok.stderr).toBe(0);
    expect(readdirSync(dirs.CNI_BIN_DIR as string).sort()).toEqual(['tke-direct-eni', 'tke-route-eni']);
    expect(statSync(join(dirs.CNI_BIN_DIR as string, 'tke-route-eni')).mode & 0o777).toBe(0o755);
    expect(readdirSync(dirs.CNI_NET_DIR as string).sort()).toEqual([
      '10-tke-route-eni.conflist',
      'tke-direct-eni.conflist',
    ]);
    expect(statSync(join(dirs.RUN_DIR as string, 'token')).mode & 0o777).toBe(0o600);
    const schema = (await agentConfigSchema()).strict();
    const config = schema.parse(JSON.parse(readFileSync(join(dirs.RUN_DIR as string, 'config.json'), 'utf8')));
    expect(config.node).toBe('node-a');
    const missing = run('node-b');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no token for node node-b');
  });
});

describe('ConfigMap tke-eni-ipamd', () => {
  it('holds only the product’s keys, and ipamd accepts its values', () => {
    const data = find<k8s.V1ConfigMap>('ConfigMap', 'tke-eni-ipamd').data ?? {};
    const keys = Object.values(CONFIGMAP_KEYS) as string[];
    for (const k of Object.keys(data)) expect(keys, k).toContain(k);
    const vpc = data[CONFIGMAP_KEYS.vpcId] as string;
    const r = applyConfigMap(defaultClusterConfig(vpc), data, { boundIps: () => 0, isEmptyInVpc: () => true });
    expect(r).toMatchObject({ ok: true, notes: [] });
  });
});
