/**
 * Persistence of the simulator's state: written atomically (temp file, then rename) a short
 * while after each change, so a crash leaves either the old or the new state, never half.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { SimState } from './state.js';

export const loadState = (path: string): SimState | undefined => {
  if (!existsSync(path)) return undefined;
  const s = JSON.parse(readFileSync(path, 'utf8')) as SimState;
  if (s.version !== 1) throw new Error(`${path}: unknown simulator state version ${String(s.version)}`);
  return s;
};

export const saveState = (path: string, state: SimState): void => {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, path);
};

/** Coalesces bursts of changes into one write per `delayMs`. */
export class DebouncedWriter {
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly write: () => void,
    private readonly delayMs: number,
  ) {}
  schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.write();
  }
  get pending(): boolean {
    return this.timer !== undefined;
  }
}
