/**
 * The bench items, in the order they run. Adding one is one import and one entry below; each
 * item is `bench/src/items/<id>.ts` with `export default` a BenchItem (bench/src/types.ts).
 */
import type { BenchItem } from '../types.js';
import allocThroughput from './1-alloc-throughput.js';

export const items: readonly BenchItem[] = [allocThroughput];
