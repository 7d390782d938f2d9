/**
 * Decoding cost per stored event (what every replica pays for each watched event and each event
 * of a replay), against the raw floor measured in the same run: `JSON.parse` of the same values.
 * Also the envelope check alone, hand-written (`isEnvelope`) and zod (`envelopeSchema`), the
 * two verdicts a property test keeps in agreement.
 *
 *   npm run bench:decode            # a table
 *   npm run bench:decode -- --json  # JSON
 */
import { decodeEvent, envelopeSchema, isEnvelope } from '../src/events/decode.js';

const EVENTS = 20_000;
const ROUNDS = 7;

/** Stored envelopes of the commonest events: allocations and releases of one node. */
const values = Array.from({ length: EVENTS }, (_, k) => {
  const pod = { namespace: 'default', name: `web-${k}`, uid: `uid-${k}` };
  const allocated = k % 2 === 0;
  return JSON.stringify({
    id: `cmd-${k}:0`,
    stream: 'node/node-1',
    seq: k + 1,
    type: allocated ? 'IpAllocated' : 'IpReleased',
    v: 1,
    at: '2026-11-23T01:02:03.456Z',
    by: { replica: 'ipamd-0', term: 12 },
    cause: { commandId: `cmd-${k}`, podUid: pod.uid, containerId: `ctr-${k}` },
    // an IpReleased carries the same fields as the IpAllocated it ends
    data: {
      pod,
      containerId: `ctr-${k}`,
      ip: `10.0.${k % 200}.${(k % 250) + 2}`,
      eniId: 'eni-abcdef12',
      why: allocated ? 'least-eni' : 'CNI DEL',
    },
  });
});
const parsed = values.map((v) => JSON.parse(v) as Record<string, unknown>);

/** Median over rounds of µs per event (the first round warms the JIT and is dropped). */
const measure = (f: (i: number) => unknown): number => {
  const per: number[] = [];
  for (let r = 0; r <= ROUNDS; r++) {
    const t = performance.now();
    for (let i = 0; i < EVENTS; i++) f(i);
    if (r > 0) per.push(((performance.now() - t) * 1000) / EVENTS);
  }
  per.sort((a, b) => a - b);
  return per[Math.floor(per.length / 2)] as number;
};

// every value must decode: a refusal here is a broken bench, not a figure
for (const v of values) decodeEvent(JSON.parse(v));

const rawParse = measure((i) => JSON.parse(values[i] as string));
const decode = measure((i) => decodeEvent(JSON.parse(values[i] as string)));
const handCheck = measure((i) => isEnvelope(parsed[i]));
const zodCheck = measure((i) => envelopeSchema.safeParse(parsed[i]).success);
const r2 = (x: number) => Math.round(x * 100) / 100;
const result = {
  events: EVENTS,
  rounds: ROUNDS,
  decodeUsPerEvent: r2(decode),
  rawJsonParseUsPerEvent: r2(rawParse),
  decodeOverRaw: r2(decode / rawParse),
  envelopeHandCheckUs: r2(handCheck),
  envelopeZodUs: r2(zodCheck),
  zodOverHand: r2(zodCheck / handCheck),
};
if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
else
  console.table({
    'decodeEvent(JSON.parse(v))': { 'µs/event': result.decodeUsPerEvent },
    'raw: JSON.parse(v)': { 'µs/event': result.rawJsonParseUsPerEvent },
    'envelope, hand-written check': { 'µs/event': result.envelopeHandCheckUs },
    'envelope, zod safeParse': { 'µs/event': result.envelopeZodUs },
  });
