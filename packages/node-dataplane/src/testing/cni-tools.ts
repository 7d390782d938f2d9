import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { must, type ShResult, sh } from './sh.js';

const here = dirname(fileURLToPath(import.meta.url));
export const PACKAGE_DIR = join(here, '..', '..');
export const REFERENCE_PLUGINS = '/usr/lib/cni';

/**
 * Builds, into a fresh temp dir, the CNI shim (from shim/cni-shim.c, under both plugin names)
 * and the libcni driver (from Debian's golang-github-appc-cni-dev sources). Nothing built is
 * committed; this runs at test and benchmark set-up.
 */
export const buildCniTools = async (): Promise<{
  binDir: string;
  driver: string;
  cacheDir: string;
  workDir: string;
}> => {
  const workDir = mkdtempSync(join(tmpdir(), 'eni-cni-'));
  const binDir = join(workDir, 'bin');
  await must('bash', [join(PACKAGE_DIR, 'shim', 'build-shim.sh'), binDir]);
  const driver = join(workDir, 'cnidriver');
  await must('go', ['build', '-o', driver, join(here, 'cnidriver', 'main.go')], {
    env: {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH: '/usr/share/gocode',
      GOCACHE: join(workDir, 'gocache'),
      GOFLAGS: '',
    },
  });
  return { binDir, driver, cacheDir: join(workDir, 'cache'), workDir };
};

export interface Driver {
  /** Runs the libcni driver inside the node's namespace (where kubelet's runtime would run). */
  run(
    op: 'add' | 'check' | 'del',
    conflist: string,
    containerId: string,
    netns: string,
    ifname?: string,
  ): Promise<ShResult>;
}

export const libcniDriver = (tools: { binDir: string; driver: string; cacheDir: string }, nodeNs: string): Driver => ({
  run: (op, conflist, containerId, netns, ifname = 'eth0') =>
    sh('ip', ['netns', 'exec', nodeNs, tools.driver, op, conflist, containerId, netns, ifname], {
      env: {
        PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
        CNI_PATH: `${tools.binDir}:${REFERENCE_PLUGINS}`,
        CNI_CACHE_DIR: tools.cacheDir,
      },
    }),
});
