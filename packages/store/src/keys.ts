import { IpamError, type StreamName } from '@eni-ipam/core';

/**
 * The key layout of DESIGN section 3, under a configurable prefix:
 * ```
 * <prefix>/log/<stream>/<seq, 12 digits>   one event per key, never rewritten
 * <prefix>/head/<stream>                   the stream's last seq (decimal): the compare target
 * <prefix>/snap/<name>                     a projection snapshot (or a pointer to its chunks)
 * <prefix>/snapchunks/<name>#/<gen>/<i>    chunks of a snapshot over one request (snapshot-chunks.ts)
 * <prefix>/leader/<election>/<lease hex>   election keys
 * <prefix>/archive/manifest                archived segments
 * ```
 */
export const SEQ_DIGITS = 12;

const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SUBNET_ID = /^subnet-[a-z0-9]{8}$/;

/** True for `cluster`, `node/<dns-1123 subdomain>` and `subnet/subnet-xxxxxxxx`. */
export const isValidStreamName = (stream: unknown): stream is StreamName => {
  if (typeof stream !== 'string') return false;
  if (stream === 'cluster') return true;
  if (stream.startsWith('node/')) return DNS1123_SUBDOMAIN.test(stream.slice(5));
  if (stream.startsWith('subnet/')) return SUBNET_ID.test(stream.slice(7));
  return false;
};

export const assertStreamName = (stream: unknown): StreamName => {
  if (!isValidStreamName(stream)) {
    throw new IpamError(
      'InvalidStreamName',
      `invalid stream name ${JSON.stringify(stream)}: expected cluster, node/<dns-1123 name> or subnet/subnet-xxxxxxxx`,
      { stream: String(stream) },
    );
  }
  return stream;
};

export const padSeq = (seq: number): string => String(seq).padStart(SEQ_DIGITS, '0');

/** The exclusive end of a prefix range: the prefix with its last byte incremented. */
export const prefixEnd = (prefix: string): string => {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if ((b[i] as number) < 0xff) {
      b[i] = (b[i] as number) + 1;
      return b.subarray(0, i + 1).toString('latin1');
    }
  }
  return '\0';
};

export class KeyLayout {
  readonly root: string;
  constructor(prefix: string) {
    this.root = prefix.replace(/\/+$/, '');
  }
  get logPrefix(): string {
    return `${this.root}/log/`;
  }
  log(stream: StreamName, seq: number): string {
    return `${this.root}/log/${stream}/${padSeq(seq)}`;
  }
  /** Every log key of one stream: `[start, end)`. */
  streamRange(stream: StreamName, fromSeq = 1): { start: string; end: string } {
    return { start: this.log(stream, fromSeq), end: prefixEnd(`${this.root}/log/${stream}/`) };
  }
  head(stream: StreamName): string {
    return `${this.root}/head/${stream}`;
  }
  snap(name: string): string {
    return `${this.root}/snap/${name}`;
  }
  /** Prefix of every chunk generation of a big snapshot (`#` is not allowed in names). */
  snapChunks(name: string): string {
    return `${this.root}/snapchunks/${name}#/`;
  }
  leaderPrefix(election: string): string {
    return `${this.root}/leader/${election}/`;
  }
  get manifest(): string {
    return `${this.root}/archive/manifest`;
  }
  /** Parses `<prefix>/log/<stream>/<seq>`; undefined for keys of another shape. */
  parseLog(key: string): { stream: string; seq: number } | undefined {
    if (!key.startsWith(this.logPrefix)) return undefined;
    const rest = key.slice(this.logPrefix.length);
    const slash = rest.lastIndexOf('/');
    if (slash <= 0) return undefined;
    const digits = rest.slice(slash + 1);
    if (!/^\d+$/.test(digits)) return undefined;
    return { stream: rest.slice(0, slash), seq: Number(digits) };
  }
}
