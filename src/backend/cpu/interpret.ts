/**
 * The elementwise kernels without `new Function`, for pages whose Content-Security-Policy has no
 * 'unsafe-eval' (see codegen.ts): the expression (exprs.ts, and the casts, scalars and reduction
 * accumulators built from it) is parsed once into a tree of closures, and one strided loop runs
 * it per element. Each closure does what the generated code's operator does (the same JS
 * arithmetic, comparisons and Math functions on the same loaded values) and the loop loads and
 * stores the same elements in the same order, so the results are the generated kernels' exactly.
 *
 * The grammar is the expressions' JS subset: numbers, the operands a, b, c, the output's current
 * value o, the scalar s, NaN and Infinity, Math.<fn>(...), unary - + !, * / %, + -, < <= > >=,
 * === !==, && ||, ?: and parentheses. Anything else is an error naming the expression.
 */
import type { Arr, MapKernel } from './codegen.js';

/** An expression node: its value from the operands a, b, c, the output's value o and the scalar s. */
type Node = (a: number, b: number, c: number, o: number, s: number) => number | boolean;

const MATH: Record<string, (...x: number[]) => number> = {
  abs: Math.abs,
  sign: Math.sign,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  floor: Math.floor,
  ceil: Math.ceil,
  round: Math.round,
  log1p: Math.log1p,
  expm1: Math.expm1,
  pow: Math.pow,
  max: Math.max,
  min: Math.min,
  trunc: Math.trunc,
  fround: Math.fround,
};

const TOKEN = /\s*(?:(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|([A-Za-z_]\w*)|(===|!==|<=|>=|&&|\|\||[-+*/%<>!?:(),.]))/y;

/**
 * Parses an elementwise expression into a closure over (a, b, c, o, s).
 *
 * @example
 * parseExpression('(a > 0 || a !== a) ? a : 0')(-2, 0, 0, 0, 0); // 0
 */
export function parseExpression(expr: string): Node {
  if (typeof expr !== 'string') throw new TypeError(`parseExpression: expected an expression string (got ${typeof expr})`);
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expr.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(expr);
    if (!m) {
      if (/^\s*$/.test(expr.slice(start))) break;
      throw new Error(`elementwise interpreter: cannot read '${expr}' at '${expr.slice(start)}'`);
    }
    tokens.push(m[1] ?? m[2] ?? m[3]);
  }
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const fail = (what: string): never => {
    throw new Error(`elementwise interpreter: ${what} in '${expr}' (token ${i}: '${tokens[i] ?? 'end'}')`);
  };
  const expect = (t: string): void => {
    if (tokens[i] !== t) fail(`expected '${t}'`);
    i++;
  };

  const ternary = (): Node => {
    const c = or();
    if (peek() !== '?') return c;
    i++;
    const y = ternary();
    expect(':');
    const n = ternary();
    return (a, b, cc, o, s) => (c(a, b, cc, o, s) ? y(a, b, cc, o, s) : n(a, b, cc, o, s));
  };
  const or = (): Node => {
    let l = and();
    while (peek() === '||') {
      i++;
      const x = l;
      const r = and();
      l = (a, b, c, o, s) => x(a, b, c, o, s) || r(a, b, c, o, s);
    }
    return l;
  };
  const and = (): Node => {
    let l = equality();
    while (peek() === '&&') {
      i++;
      const x = l;
      const r = equality();
      l = (a, b, c, o, s) => x(a, b, c, o, s) && r(a, b, c, o, s);
    }
    return l;
  };
  const equality = (): Node => {
    let l = relational();
    for (let op = peek(); op === '===' || op === '!=='; op = peek()) {
      i++;
      const x = l;
      const r = relational();
      l =
        op === '===' ? (a, b, c, o, s) => x(a, b, c, o, s) === r(a, b, c, o, s) : (a, b, c, o, s) => x(a, b, c, o, s) !== r(a, b, c, o, s);
    }
    return l;
  };
  const relational = (): Node => {
    let l = additive();
    for (let op = peek(); op === '<' || op === '<=' || op === '>' || op === '>='; op = peek()) {
      i++;
      const x = l as (a: number, b: number, c: number, o: number, s: number) => number;
      const r = additive() as (a: number, b: number, c: number, o: number, s: number) => number;
      l =
        op === '<'
          ? (a, b, c, o, s) => x(a, b, c, o, s) < r(a, b, c, o, s)
          : op === '<='
            ? (a, b, c, o, s) => x(a, b, c, o, s) <= r(a, b, c, o, s)
            : op === '>'
              ? (a, b, c, o, s) => x(a, b, c, o, s) > r(a, b, c, o, s)
              : (a, b, c, o, s) => x(a, b, c, o, s) >= r(a, b, c, o, s);
    }
    return l;
  };
  const additive = (): Node => {
    let l = multiplicative();
    for (let op = peek(); op === '+' || op === '-'; op = peek()) {
      i++;
      const x = l as (a: number, b: number, c: number, o: number, s: number) => number;
      const r = multiplicative() as (a: number, b: number, c: number, o: number, s: number) => number;
      l = op === '+' ? (a, b, c, o, s) => x(a, b, c, o, s) + r(a, b, c, o, s) : (a, b, c, o, s) => x(a, b, c, o, s) - r(a, b, c, o, s);
    }
    return l;
  };
  const multiplicative = (): Node => {
    let l = unary();
    for (let op = peek(); op === '*' || op === '/' || op === '%'; op = peek()) {
      i++;
      const x = l as (a: number, b: number, c: number, o: number, s: number) => number;
      const r = unary() as (a: number, b: number, c: number, o: number, s: number) => number;
      l =
        op === '*'
          ? (a, b, c, o, s) => x(a, b, c, o, s) * r(a, b, c, o, s)
          : op === '/'
            ? (a, b, c, o, s) => x(a, b, c, o, s) / r(a, b, c, o, s)
            : (a, b, c, o, s) => x(a, b, c, o, s) % r(a, b, c, o, s);
    }
    return l;
  };
  const unary = (): Node => {
    const op = peek();
    if (op === '-' || op === '+' || op === '!') {
      i++;
      const x = unary() as (a: number, b: number, c: number, o: number, s: number) => number;
      return op === '-'
        ? (a, b, c, o, s) => -x(a, b, c, o, s)
        : op === '+'
          ? (a, b, c, o, s) => +x(a, b, c, o, s)
          : (a, b, c, o, s) => !x(a, b, c, o, s);
    }
    return primary();
  };
  const primary = (): Node => {
    const t = tokens[i++];
    if (t === undefined) return fail('unexpected end');
    if (t === '(') {
      const e = ternary();
      expect(')');
      return e;
    }
    if (/^[\d.]/.test(t)) {
      const v = Number(t);
      return () => v;
    }
    switch (t) {
      case 'a':
        return (a) => a;
      case 'b':
        return (_a, b) => b;
      case 'c':
        return (_a, _b, c) => c;
      case 'o':
        return (_a, _b, _c, o) => o;
      case 's':
        return (_a, _b, _c, _o, s) => s;
      case 'NaN':
        return () => NaN;
      case 'Infinity':
        return () => Infinity;
      case 'Math': {
        expect('.');
        const name = tokens[i++];
        const f = MATH[name];
        if (!f) return fail(`unknown function Math.${name}`);
        expect('(');
        const args: Node[] = [];
        if (peek() !== ')') {
          args.push(ternary());
          while (peek() === ',') {
            i++;
            args.push(ternary());
          }
        }
        expect(')');
        type Num = (a: number, b: number, c: number, o: number, s: number) => number;
        if (args.length === 1) {
          const x = args[0] as Num;
          return (a, b, c, o, s) => f(x(a, b, c, o, s));
        }
        if (args.length === 2) {
          const [x, y] = args as Num[];
          return (a, b, c, o, s) => f(x(a, b, c, o, s), y(a, b, c, o, s));
        }
        return (a, b, c, o, s) => f(...args.map((x) => x(a, b, c, o, s) as number));
      }
    }
    return fail(`unknown name '${t}'`);
  };

  const root = ternary();
  if (i !== tokens.length) fail('unexpected token');
  return root;
}

/**
 * The kernel for `expr` over `nIn` operands (0-3), with mapKernel's signature and results, built
 * without `new Function`: the expression's closure tree, run by a loop over the outer dimensions
 * (an odometer) and a tight loop over the innermost one.
 *
 * @example
 * const k = interpretedKernel('a + b', 2);
 * k(out, 0, [1], [3], 0, x, 0, [1], y, 0, [1]); // out[i] = x[i] + y[i] for i < 3
 */
export function interpretedKernel(expr: string, nIn: number): MapKernel {
  if (!Number.isInteger(nIn) || nIn < 0 || nIn > 3) throw new Error(`interpretedKernel: 0 to 3 operands (got ${nIn}) for '${expr}'`);
  const f = parseExpression(expr);
  // The generated code reads the output only when the expression names o (accumulators).
  const readsO = /\bo\b/.test(expr);
  const none: Arr = new Float64Array(1);
  const zeros: readonly number[] = [];
  return (O, oOff, os, shape, s, ...ins) => {
    const A = nIn > 0 ? (ins[0] as Arr) : none;
    const B = nIn > 1 ? (ins[3] as Arr) : none;
    const C = nIn > 2 ? (ins[6] as Arr) : none;
    let pa = nIn > 0 ? (ins[1] as number) : 0;
    let pb = nIn > 1 ? (ins[4] as number) : 0;
    let pc = nIn > 2 ? (ins[7] as number) : 0;
    const as = nIn > 0 ? (ins[2] as readonly number[]) : zeros;
    const bs = nIn > 1 ? (ins[5] as readonly number[]) : zeros;
    const cs = nIn > 2 ? (ins[8] as readonly number[]) : zeros;
    let po = oOff;
    const rank = shape.length;
    const one = (): void => {
      const a = nIn > 0 ? A[pa] : 0;
      const b = nIn > 1 ? B[pb] : 0;
      const c = nIn > 2 ? C[pc] : 0;
      O[po] = f(a, b, c, readsO ? O[po] : 0, s) as number;
    };
    if (rank === 0) {
      one();
      return;
    }
    for (let d = 0; d < rank; d++) if (shape[d] === 0) return;
    const L = rank - 1;
    const n = shape[L];
    const so = os[L];
    const sa = nIn > 0 ? as[L] : 0;
    const sb = nIn > 1 ? bs[L] : 0;
    const sc = nIn > 2 ? cs[L] : 0;
    const idx = new Array<number>(L).fill(0);
    for (;;) {
      const o0 = po;
      const a0 = pa;
      const b0 = pb;
      const c0 = pc;
      for (let i = 0; i < n; i++) {
        one();
        po += so;
        pa += sa;
        pb += sb;
        pc += sc;
      }
      po = o0;
      pa = a0;
      pb = b0;
      pc = c0;
      // The odometer over the outer dimensions, innermost first, as the generated loop nest steps.
      let d = L - 1;
      for (; d >= 0; d--) {
        po += os[d];
        if (nIn > 0) pa += as[d];
        if (nIn > 1) pb += bs[d];
        if (nIn > 2) pc += cs[d];
        if (++idx[d] < shape[d]) break;
        po -= os[d] * shape[d];
        if (nIn > 0) pa -= as[d] * shape[d];
        if (nIn > 1) pb -= bs[d] * shape[d];
        if (nIn > 2) pc -= cs[d] * shape[d];
        idx[d] = 0;
      }
      if (d < 0) return;
    }
  };
}
