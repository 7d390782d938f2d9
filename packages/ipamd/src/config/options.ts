import { Command } from 'commander';

/**
 * Every ipamd setting that has a flag: its flag, its environment variable, its default and
 * its help line. Product-compatible flags (`--clusterid`, `--claim-expired-duration`) keep the
 * product's spelling; the rest are ours. Precedence: flag > environment > default.
 */
export interface OptionSpec {
  /** commander flag syntax, e.g. `--clusterid <id>`. */
  flags: string;
  /** commander's attribute name for the flag (camelCase of the long flag). */
  key: string;
  /** Environment variable read when the flag is absent. */
  env: string;
  description: string;
  /** Default as text (parsed like any other value); absent = no default. */
  default?: string;
}

export const OPTIONS: readonly OptionSpec[] = [
  { flags: '--clusterid <id>', key: 'clusterid', env: 'ENI_IPAM_CLUSTER_ID', description: 'cluster id (required)' },
  {
    flags: '--claim-expired-duration <duration>',
    key: 'claimExpiredDuration',
    env: 'ENI_IPAM_CLAIM_EXPIRED_DURATION',
    description: 'Go duration (e.g. 10m0s) after which a kept claim whose pod is gone expires; 0 = never',
    default: '0',
  },
  {
    flags: '--replica-id <id>',
    key: 'replicaId',
    env: 'ENI_IPAM_REPLICA_ID',
    description: 'this replica in events and leader election (default: $POD_NAME, else the host name)',
  },
  {
    flags: '--listen <host:port>',
    key: 'listen',
    env: 'ENI_IPAM_LISTEN',
    description: 'HTTP API address',
    default: '0.0.0.0:9090',
  },
  {
    flags: '--tls-cert-file <path>',
    key: 'tlsCertFile',
    env: 'ENI_IPAM_TLS_CERT_FILE',
    description: 'serve HTTPS with this PEM certificate (with --tls-key-file)',
  },
  {
    flags: '--tls-key-file <path>',
    key: 'tlsKeyFile',
    env: 'ENI_IPAM_TLS_KEY_FILE',
    description: 'PEM key of the cert',
  },
  {
    flags: '--etcd-endpoints <urls>',
    key: 'etcdEndpoints',
    env: 'ENI_IPAM_ETCD_ENDPOINTS',
    description: 'comma-separated etcd client URLs',
    default: 'http://127.0.0.1:2379',
  },
  {
    flags: '--etcd-prefix <prefix>',
    key: 'etcdPrefix',
    env: 'ENI_IPAM_ETCD_PREFIX',
    description: 'key prefix of this cluster in etcd (default: /eni-ipam/<clusterid>)',
  },
  { flags: '--etcd-ca-file <path>', key: 'etcdCaFile', env: 'ENI_IPAM_ETCD_CA_FILE', description: 'etcd CA (PEM)' },
  {
    flags: '--etcd-cert-file <path>',
    key: 'etcdCertFile',
    env: 'ENI_IPAM_ETCD_CERT_FILE',
    description: 'etcd client certificate (PEM, with --etcd-key-file)',
  },
  {
    flags: '--etcd-key-file <path>',
    key: 'etcdKeyFile',
    env: 'ENI_IPAM_ETCD_KEY_FILE',
    description: 'etcd client key',
  },
  { flags: '--etcd-username <name>', key: 'etcdUsername', env: 'ENI_IPAM_ETCD_USERNAME', description: 'etcd user' },
  {
    flags: '--etcd-password-file <path>',
    key: 'etcdPasswordFile',
    env: 'ENI_IPAM_ETCD_PASSWORD_FILE',
    description: 'file holding the etcd password (or env ENI_IPAM_ETCD_PASSWORD)',
  },
  { flags: '--region <region>', key: 'region', env: 'ENI_IPAM_REGION', description: 'cloud region (required)' },
  {
    flags: '--cloud-credentials-file <path>',
    key: 'cloudCredentialsFile',
    env: 'ENI_IPAM_CLOUD_CREDENTIALS_FILE',
    description: 'JSON file {"secretId","secretKey"} (or env TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY)',
  },
  {
    flags: '--cloud-endpoint <host>',
    key: 'cloudEndpoint',
    env: 'ENI_IPAM_CLOUD_ENDPOINT',
    description: 'VPC API endpoint (host[:port], or a URL for a simulator)',
    default: 'vpc.tencentcloudapi.com',
  },
  {
    flags: '--auth-secret-file <path>',
    key: 'authSecretFile',
    env: 'ENI_IPAM_AUTH_SECRET_FILE',
    description: 'cluster secret node tokens derive from (or env ENI_IPAM_AUTH_SECRET); required with --auth-mode hmac',
  },
  {
    flags: '--auth-mode <mode>',
    key: 'authMode',
    env: 'ENI_IPAM_AUTH_MODE',
    description:
      'how agents authenticate: hmac (node tokens from the cluster secret) or tokenreview (their ServiceAccount tokens)',
    default: 'hmac',
  },
  {
    flags: '--agent-service-account <namespace/name>',
    key: 'agentServiceAccount',
    env: 'ENI_IPAM_AGENT_SERVICE_ACCOUNT',
    description: "the node agents' ServiceAccount (--auth-mode tokenreview)",
    default: 'kube-system/eni-agent',
  },
  {
    flags: '--admin-token-file <path>',
    key: 'adminTokenFile',
    env: 'ENI_IPAM_ADMIN_TOKEN_FILE',
    description: 'admin token for ipamctl and introspection (or env ENI_IPAM_ADMIN_TOKEN)',
  },
  {
    flags: '--prebind-min <n>',
    key: 'prebindMin',
    env: 'ENI_IPAM_PREBIND_MIN',
    description: 'warm pool: idle IPs/ENIs kept at least',
    default: '5',
  },
  {
    flags: '--prebind-max <n>',
    key: 'prebindMax',
    env: 'ENI_IPAM_PREBIND_MAX',
    description: 'warm pool: idle IPs/ENIs kept at most',
    default: '5',
  },
  {
    flags: '--release-interval <duration>',
    key: 'releaseInterval',
    env: 'ENI_IPAM_RELEASE_INTERVAL',
    description: 'slow release: one idle IP/ENI above the max per this Go duration',
    default: '2m0s',
  },
  {
    flags: '--pool-policy <policy>',
    key: 'poolPolicy',
    env: 'ENI_IPAM_POOL_POLICY',
    description: 'warm or on-demand',
    default: 'warm',
  },
  {
    flags: '--configmap <namespace/name>',
    key: 'configmap',
    env: 'ENI_IPAM_CONFIGMAP',
    description: 'TKE configuration ConfigMap',
    default: 'kube-system/tke-eni-ipamd',
  },
  {
    flags: '--kubeconfig <path>',
    key: 'kubeconfig',
    env: 'KUBECONFIG',
    description:
      'kubeconfig of the Kubernetes side (default: in-cluster config when running in a pod; none: no Kubernetes side)',
  },
  {
    flags: '--archive-dir <path>',
    key: 'archiveDir',
    env: 'ENI_IPAM_ARCHIVE_DIR',
    description:
      'directory of archived log segments (shared with ipamctl archive): start-up and history span it and etcd',
  },
  {
    flags: '--archive-interval <duration>',
    key: 'archiveInterval',
    env: 'ENI_IPAM_ARCHIVE_INTERVAL',
    description:
      'Go duration between log maintenance runs (leader; needs --archive-dir): snapshot, archive events older than --archive-retention, compact, defragment; 0 = off',
    default: '1h0m0s',
  },
  {
    flags: '--archive-retention <duration>',
    key: 'archiveRetention',
    env: 'ENI_IPAM_ARCHIVE_RETENTION',
    description:
      'Go duration of history kept live in etcd; older events move to --archive-dir (history still spans both)',
    default: '168h0m0s',
  },
  {
    flags: '--cloud-audit-interval <duration>',
    key: 'cloudAuditInterval',
    env: 'ENI_IPAM_CLOUD_AUDIT_INTERVAL',
    description:
      'Go duration between comparisons of the log with the cloud (leader): bound IPs gone from their ENI are recorded lost, leaks reported; 0 = off',
    default: '5m0s',
  },
  {
    flags: '--election-ttl <seconds>',
    key: 'electionTtl',
    env: 'ENI_IPAM_ELECTION_TTL',
    description: 'leader lease TTL in seconds (2..60): a dead leader is replaced after about this long',
    default: '5',
  },
  {
    flags: '--log-level <level>',
    key: 'logLevel',
    env: 'ENI_IPAM_LOG_LEVEL',
    description: 'trace, debug, info, warn, error or fatal',
    default: 'info',
  },
];

/** Secrets come only from files or the environment, never from flags (flags show in `ps`). */
export const SECRET_ENV = {
  etcdPassword: 'ENI_IPAM_ETCD_PASSWORD',
  authSecret: 'ENI_IPAM_AUTH_SECRET',
  adminToken: 'ENI_IPAM_ADMIN_TOKEN',
  cloudSecretId: 'TENCENTCLOUD_SECRET_ID',
  cloudSecretKey: 'TENCENTCLOUD_SECRET_KEY',
} as const;

/** Builds the commander program (no defaults there: precedence is applied by `loadConfig`). */
export const buildProgram = (): Command => {
  const program = new Command('ipamd')
    .description('eni-ipam service: event-sourced IPAM for VPC-CNI pods')
    .helpOption('-h, --help', 'show this help')
    .allowUnknownOption()
    .allowExcessArguments()
    .exitOverride()
    // a fixed width: the same text on every terminal (README.md quotes it, a test compares)
    .configureHelp({ helpWidth: 110 })
    .configureOutput({ writeOut: () => {}, writeErr: () => {} });
  for (const o of OPTIONS) {
    const dflt = o.default === undefined ? '' : ` [default: ${o.default}]`;
    program.option(o.flags, `${o.description}${dflt} (env ${o.env})`);
  }
  return program;
};

/** The `--help` text: every flag with its env variable and default, then the secret variables. */
export const helpText = (): string =>
  `${buildProgram().helpInformation()}
Secrets (environment only; a *-file flag takes precedence):
  ${SECRET_ENV.authSecret.padEnd(26)} cluster secret node tokens derive from (>= 32 bytes)
  ${SECRET_ENV.adminToken.padEnd(26)} admin token (>= 32 bytes)
  ${SECRET_ENV.etcdPassword.padEnd(26)} etcd password (with --etcd-username)
  ${SECRET_ENV.cloudSecretId.padEnd(26)} cloud SecretId
  ${SECRET_ENV.cloudSecretKey.padEnd(26)} cloud SecretKey
  POD_NAME                   default replica id

ConfigMap data (applied live, validated first; a bad value keeps the old configuration):
  TKE_ENI_IPAMD_SUBNET_ID    container subnet ids separated by ':' (added subnets must be empty)
  TKE_ENI_IPAMD_VPC_ID       the cluster's VPC (cannot change once set)
  TKE_ENI_IPAMD_ZONE         ignored (each subnet's zone comes from the VPC)
`;
