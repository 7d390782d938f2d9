/**
 * Label and field selectors with the apiserver's grammar and semantics.
 *
 * Hand-written: no maintained npm package parses Kubernetes selectors (the grammar lives in
 * k8s.io/apimachinery/pkg/labels/selector.go and pkg/fields/selector.go). Supported:
 * labels `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, `k>n`, `k<n`;
 * fields `f=v`, `f==v`, `f!=v` with `\,` `\=` `\\` escapes, for the fields the resource registers.
 */
import { type FieldGetter, fieldGetter, type KubeObject, type ResourceDef } from './resources.js';
import { badRequest } from './status.js';

export type Matcher = (obj: KubeObject) => boolean;

type LabelOp = '=' | '!=' | 'in' | 'notin' | 'exists' | '!' | '>' | '<';
export type LabelRequirement = { key: string; op: LabelOp; values: string[] };

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits a label selector into identifier and operator tokens. */
const tokenize = (input: string): string[] => {
  const tokens: string[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (input.startsWith('==', i) || input.startsWith('!=', i)) {
      tokens.push(input.slice(i, i + 2));
      i += 2;
    } else if ('=!(),<>'.includes(c)) {
      tokens.push(c);
      i++;
    } else {
      let j = i;
      while (j < input.length && !/[\s=!(),<>]/.test(input[j] as string)) j++;
      tokens.push(input.slice(i, j));
      i = j;
    }
  }
  return tokens;
};

/** Parses a label selector into requirements (all must hold). Throws a 400 Status on bad syntax. */
export const parseLabelSelector = (selector: string): LabelRequirement[] => {
  const tokens = tokenize(selector);
  const fail = (why: string) => badRequest(`unable to parse requirement: ${why} in label selector "${selector}"`);
  const reqs: LabelRequirement[] = [];
  let i = 0;
  const next = () => tokens[i++];
  const key = (k: string | undefined): string => {
    if (k === undefined || !KEY.test(k)) throw fail(`invalid label key "${k ?? ''}"`);
    return k;
  };
  const value = (v: string | undefined): string => {
    if (v === undefined || !VALUE.test(v)) throw fail(`invalid label value "${v ?? ''}"`);
    return v;
  };
  while (i < tokens.length) {
    let req: LabelRequirement;
    if (tokens[i] === '!') {
      i++;
      req = { key: key(next()), op: '!', values: [] };
    } else {
      const k = key(next());
      const op = tokens[i];
      if (op === undefined || op === ',') req = { key: k, op: 'exists', values: [] };
      else if (op === '=' || op === '==' || op === '!=') {
        i++;
        // An empty value is legal (`k=`): the next token is then a comma or nothing.
        const v = tokens[i] === ',' || tokens[i] === undefined ? '' : (next() as string);
        req = { key: k, op: op === '!=' ? '!=' : '=', values: [value(v)] };
      } else if (op === 'in' || op === 'notin') {
        i++;
        if (next() !== '(') throw fail(`expected "(" after ${op}`);
        const values: string[] = [];
        for (;;) {
          const t = next();
          if (t === ')') break;
          if (t === ',') continue;
          if (t === undefined) throw fail('missing ")"');
          values.push(value(t));
        }
        if (values.length === 0) throw fail(`for '${op}' the values set can't be empty`);
        req = { key: k, op, values };
      } else if (op === '>' || op === '<') {
        i++;
        const v = next();
        if (v === undefined || !/^-?\d+$/.test(v)) throw fail(`"${op}" needs an integer`);
        req = { key: k, op, values: [v] };
      } else throw fail(`unexpected "${op}"`);
    }
    reqs.push(req);
    const sep = next();
    if (sep !== undefined && sep !== ',') throw fail(`expected "," but found "${sep}"`);
    if (sep === ',' && i >= tokens.length) throw fail('trailing ","');
  }
  return reqs;
};

const holds = (req: LabelRequirement, labels: Record<string, string>): boolean => {
  const has = Object.hasOwn(labels, req.key);
  const v = labels[req.key];
  switch (req.op) {
    case '=':
    case 'in':
      return has && req.values.includes(v as string);
    case '!=':
    case 'notin':
      return !has || !req.values.includes(v as string);
    case 'exists':
      return has;
    case '!':
      return !has;
    case '>':
    case '<': {
      if (!has || !/^-?\d+$/.test(v as string)) return false;
      const [a, b] = [Number(v), Number(req.values[0])];
      return req.op === '>' ? a > b : a < b;
    }
  }
};

/** Compiles a label selector; an empty or absent selector matches everything. */
export const labelMatcher = (selector: string | undefined): Matcher => {
  if (!selector?.trim()) return () => true;
  const reqs = parseLabelSelector(selector);
  return (obj) => reqs.every((r) => holds(r, obj.metadata.labels ?? {}));
};

/** Splits on separators not escaped with a backslash. */
const splitUnescaped = (s: string, sep: string): string[] => {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
};

const unescapeField = (s: string) => s.replace(/\\(.)/g, '$1');

export type FieldRequirement = { field: string; op: '=' | '!='; value: string; get: FieldGetter };

/** Parses a field selector for a resource. Throws a 400 Status for bad syntax or an unsupported field. */
export const parseFieldSelector = (def: ResourceDef, selector: string): FieldRequirement[] =>
  splitUnescaped(selector, ',')
    .filter((term) => term.trim() !== '')
    .map((term) => {
      const m = /^([^=!]+)(!=|==|=)(.*)$/.exec(term.trim());
      if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
      const field = (m[1] as string).trim();
      const get = fieldGetter(def, field);
      if (!get) throw badRequest(`field label not supported: ${field}`);
      return { field, op: m[2] === '!=' ? '!=' : '=', value: unescapeField(m[3] as string), get };
    });

/** Compiles a field selector; an empty or absent selector matches everything. */
export const fieldMatcher = (def: ResourceDef, selector: string | undefined): Matcher => {
  if (!selector?.trim()) return () => true;
  const reqs = parseFieldSelector(def, selector);
  return (obj) => reqs.every((r) => (r.get(obj) === r.value) === (r.op === '='));
};
