/**
 * A whole recurrent sequence as one taped op: one direction of one layer of Gluon's rnn.RNN, GRU
 * or LSTM run over all T steps. Run step by step on the public ops, a 35-step RNN taped ~10 ops
 * and their intermediates per step and paid JS dispatch for each; here the forward is one GEMM for
 * the input projections of all steps (x·W_i2hᵀ over T·N rows), then per step one GEMM
 * (h·W_h2hᵀ) and the backend's fused gate kernel (Backend.rnnStep), with no intermediate arrays.
 * The backward runs back through time with the fused gate gradient (Backend.rnnStepGrad) and one
 * GEMM per step for h_prev's gradient, and forms the weight gradients, the bias sums and the
 * input's gradient with one GEMM (or reduction) each over all steps.
 *
 * The op saves, beside its inputs and its output, the gate activations of every step (N·4·H
 * each, the GRU's fourth block being h·W_hnᵀ + b_hn, which the reset gate multiplies; the LSTM's
 * tanh(c) beside them) and the LSTM's cell states. Its gradient rule is written on the backend's kernels, not on public ops,
 * so it cannot itself be differentiated (createGraph is refused with a clear error).
 */
import type { Backend, RnnCellKind, View } from '../backend/backend.js';
import { AutogradError, DTypeError, ShapeError, ValueError } from '../core/errors.js';
import { shapeStr } from '../core/shape.js';
import { recordOp, shouldRecord } from '../autograd/tape.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { composite, empty, rawView, sameContext } from './util.js';

/** The four weight arrays of one direction of one layer, with MXNet's shapes (G gates). */
export interface RnnSequenceWeights {
  /** (G·H, C) */
  i2hWeight: NDArray;
  /** (G·H, H) */
  h2hWeight: NDArray;
  /** (G·H) */
  i2hBias: NDArray;
  /** (G·H) */
  h2hBias: NDArray;
}

/** What rnnSequence returns: views of the op's one output. */
export interface RnnSequenceResult {
  /** (T, N, H): h after each step, in time order (also for a reverse direction). */
  output: NDArray;
  /** (N, H): the final h (after step T − 1, or after step 0 for a reverse direction). */
  h: NDArray;
  /** (N, H): the LSTM's final c; null for the other modes. */
  c: NDArray | null;
}

const MODES: readonly RnnCellKind[] = ['rnn_tanh', 'rnn_relu', 'gru', 'lstm'];

function gatesOf(mode: RnnCellKind): number {
  return mode === 'lstm' ? 4 : mode === 'gru' ? 3 : 1;
}

/**
 * Whether arrays on `x`'s device can take rnnSequence (its backend has the fused step kernels and
 * the dtype is float32 or float64).
 *
 * @example
 * if (rnnSequenceSupported(X)) rnnSequence('gru', X, h0, null, weights);
 */
export function rnnSequenceSupported(x: NDArray): boolean {
  const b = x.context.backend;
  return !!b.rnnStep && !!b.rnnStepGrad && (x.dtype === 'float32' || x.dtype === 'float64') && b.supportsDType(x.dtype);
}

/** A contiguous, untaped handle on `a`'s values (a copy only where `a` is strided). */
function dense(a: NDArray): NDArray {
  const d = a.detach();
  return d.isContiguous ? d : d.copy();
}

/** Row block t of a dense (T, N, W) array as an (N, W) view. */
function step(a: NDArray, t: number): View {
  const [, N, W] = a.shape;
  return rawView(a, [N, W], [W, 1], a.offset + t * N * W);
}

/** A dense array seen as a matrix (rows, cols). */
function mat(a: NDArray, rows: number, cols: number): View {
  return rawView(a, [rows, cols], [cols, 1], a.offset);
}

/** The transpose of a dense (rows, cols) array as a (cols, rows) view. */
function matT(a: NDArray, rows: number, cols: number): View {
  return rawView(a, [cols, rows], [1, cols], a.offset);
}

/** out = x · y, or out += x · y with `add` (one GEMM where the backend accumulates, else a product and an add). */
function gemm(b: Backend, x: View, y: View, out: View, add: boolean, tmp: () => View): void {
  if (!add) return b.matmul(x, y, out);
  if (b.matmulAdd?.(x, y, out)) return;
  const t = tmp();
  b.matmul(x, y, t);
  b.binary('add', out, t, out);
}

/**
 * Runs one direction of a recurrent layer over a sequence: x (T, N, C) from h0 (and, for the LSTM,
 * c0), each (N, H), with MXNet's weights and gate orders (LSTM i, f, g, o; GRU r, z, n). `reverse`
 * runs the steps from T − 1 down to 0 (a bidirectional layer's second direction); the output stays
 * in time order. Differentiable in x, h0, c0 and the four weights (once: not with createGraph).
 *
 * @example
 * const T = 35, N = 2, C = 28, H = 16;
 * const w = { i2hWeight: nd.random.normal(0, 0.1, [4 * H, C]), h2hWeight: nd.random.normal(0, 0.1, [4 * H, H]),
 *             i2hBias: nd.zeros([4 * H]), h2hBias: nd.zeros([4 * H]) };
 * const { output, h, c } = rnnSequence('lstm', nd.ones([T, N, C]), nd.zeros([N, H]), nd.zeros([N, H]), w);
 * output.shape; // [35, 2, 16]
 */
export function rnnSequence(
  mode: RnnCellKind,
  x: NDArray,
  h0: NDArray,
  c0: NDArray | null,
  w: RnnSequenceWeights,
  opts: { reverse?: boolean } = {},
): RnnSequenceResult {
  const op = 'rnnSequence';
  if (!MODES.includes(mode)) throw new ValueError(`${op}: mode must be one of ${MODES.join(', ')}, got '${String(mode)}'`);
  const lstm = mode === 'lstm';
  const gru = mode === 'gru';
  if (lstm !== (c0 !== null && c0 !== undefined))
    throw new ValueError(`${op}: ${lstm ? "mode 'lstm' needs the cell state c0" : `mode '${mode}' takes no cell state (c0 must be null)`}`);
  const reverse = opts.reverse ?? false;
  if (typeof reverse !== 'boolean') throw new ValueError(`${op}: reverse must be true or false, got ${String(reverse)}`);
  const arrays = [x, h0, ...(c0 ? [c0] : []), w.i2hWeight, w.h2hWeight, w.i2hBias, w.h2hBias];
  for (const a of arrays) a.checkAlive(op);
  const ctx = sameContext(op, ...arrays);
  const dtype = x.dtype;
  if (dtype !== 'float32' && dtype !== 'float64')
    throw new DTypeError(`${op}: expected a float32 or float64 input, got ${dtype} of shape ${shapeStr(x.shape)}`);
  for (const a of arrays)
    if (a.dtype !== dtype)
      throw new DTypeError(`${op}: every array must be ${dtype} like the input, got ${a.dtype} of shape ${shapeStr(a.shape)}`);
  const backend = ctx.backend;
  if (!backend.rnnStep || !backend.rnnStepGrad)
    throw new ValueError(
      `${op}: the ${backend.name} backend has no fused recurrent step kernel (use the layers, which fall back to step-by-step ops)`,
    );
  if (x.ndim !== 3) throw new ShapeError(`${op}: expected x of shape (T, N, C), got ${shapeStr(x.shape)}`);
  const [T, N, C] = x.shape;
  if (T < 1 || N < 1) throw new ShapeError(`${op}: x ${shapeStr(x.shape)} needs at least one step and one sequence`);
  const G = gatesOf(mode);
  if (w.h2hWeight.ndim !== 2 || w.h2hWeight.shape[1] < 1)
    throw new ShapeError(`${op}: h2h_weight must have shape (${G}·H, H) for mode '${mode}', got ${shapeStr(w.h2hWeight.shape)}`);
  const H = w.h2hWeight.shape[1];
  const GH = G * H;
  const want = (a: NDArray, name: string, s: number[]) => {
    if (a.ndim !== s.length || a.shape.some((d, i) => d !== s[i]))
      throw new ShapeError(
        `${op}: ${name} has shape ${shapeStr(a.shape)}, expected ${shapeStr(s)} (mode '${mode}', x ${shapeStr(x.shape)}, h2h_weight ${shapeStr(w.h2hWeight.shape)})`,
      );
  };
  want(w.h2hWeight, 'h2h_weight', [GH, H]);
  want(w.i2hWeight, 'i2h_weight', [GH, C]);
  want(w.i2hBias, 'i2h_bias', [GH]);
  want(w.h2hBias, 'h2h_bias', [GH]);
  want(h0, 'h0', [N, H]);
  if (c0) want(c0, 'c0', [N, H]);

  const R = lstm ? 5 : gru ? 4 : 0;
  const rows = T + (lstm ? 1 : 0);
  // The step at position i of the run, and the one before it (whose h is this step's h_prev).
  const at = (i: number) => (reverse ? T - 1 - i : i);
  const before = (t: number) => (reverse ? t + 1 : t - 1);
  // The row of c_t in the cells array: c0 sits before the first step run (row 0, or row T in reverse).
  const cRow = (t: number) => (reverse ? t : t + 1);
  const [out, reserve, cells] = composite(() => {
    const xd = dense(x);
    const h0d = dense(h0);
    const c0d = c0 ? dense(c0) : null;
    const wx = dense(w.i2hWeight);
    const wh = dense(w.h2hWeight);
    // Both biases in one array (rows b_i2h, b_h2h): one buffer binding fewer for a GPU kernel.
    const bias = empty([2, 1, GH], dtype, ctx);
    backend.copy(dense(w.i2hBias), rawView(bias, [GH], [1], bias.offset));
    backend.copy(dense(w.h2hBias), rawView(bias, [GH], [1], bias.offset + GH));
    // The input projections of every step in one GEMM: (T·N, C) · (C, G·H).
    const gx = empty([T, N, GH], dtype, ctx);
    backend.matmul(mat(xd, T * N, C), matT(wx, GH, C), mat(gx, T * N, GH));
    const gh = empty([1, N, GH], dtype, ctx);
    const out = empty([rows, N, H], dtype, ctx);
    const res = R ? empty([T, N, R * H], dtype, ctx) : null;
    // The LSTM's cells, c0 included, in time order (see cRow): c_prev of every step is a row of it.
    const cs = lstm ? empty([T + 1, N, H], dtype, ctx) : null;
    if (cs) backend.copy(c0d!, step(cs, cRow(before(at(0)))));
    const whT = matT(wh, GH, H);
    const bx = rawView(bias, [GH], [1], bias.offset);
    const bh = rawView(bias, [GH], [1], bias.offset + GH);
    for (let i = 0; i < T; i++) {
      const t = at(i);
      const hPrev = i === 0 ? mat(h0d, N, H) : step(out, before(t));
      const cPrev = cs ? step(cs, cRow(before(t))) : null;
      backend.matmul(hPrev, whT, step(gh, 0));
      const ok = backend.rnnStep!({
        mode,
        gx: step(gx, t),
        gh: step(gh, 0),
        bx,
        bh,
        hPrev,
        cPrev,
        h: step(out, t),
        c: cs ? step(cs, cRow(t)) : null,
        reserve: res ? step(res, t) : null,
      });
      if (!ok) throw new ValueError(`${op}: the ${backend.name} backend's fused step kernel did not take ${dtype} arrays`);
    }
    if (cs) backend.copy(step(cs, cRow(at(T - 1))), step(out, T));
    return [out, res, cs] as const;
  });

  if (shouldRecord(...arrays)) {
    const need = arrays.map((a) => a.requiresGrad);
    const extra = [reserve, cells].filter((a): a is NDArray => a !== null);
    recordOp(
      op,
      [...arrays, ...extra],
      out,
      (g, ins, o, sink) => {
        // A recorded backward (createGraph) is the one that calls the rule without a sink.
        if (!sink)
          throw new AutogradError(`${op}: the fused recurrent layers have a first-order gradient only (createGraph is not supported)`);
        let k = 0;
        const xs = ins[k++];
        const h0s = ins[k++];
        if (lstm) k++; // c0: its values are row cRow(-1) of the saved cells
        const [wxs, whs] = [ins[k++], ins[k++]];
        k += 2;
        const res = R ? ins[k++] : null;
        const cs = lstm ? ins[k++] : null;
        const grads = composite(() => sequenceGrad(backend, mode, dense(g), dense(o), xs, h0s, wxs, whs, res, cs, reverse, need));
        return [...grads, ...extra.map(() => null)];
      },
      'both',
    );
    for (const a of extra) a.dispose(); // the tape holds its own handles
  } else {
    reserve?.dispose();
    cells?.dispose();
  }
  return {
    output: out.get(`0:${T}`),
    h: out.get(reverse ? 0 : T - 1),
    c: lstm ? out.get(T) : null,
  };
}

/**
 * Back through time: the gradients of x, h0, (c0), W_i2h, W_h2h, b_i2h, b_h2h (null where `need`
 * says no gradient is wanted, except h0's, which the recursion computes anyway).
 */
function sequenceGrad(
  backend: Backend,
  mode: RnnCellKind,
  g: NDArray,
  out: NDArray,
  xs: NDArray,
  h0s: NDArray,
  wxs: NDArray,
  whs: NDArray,
  res: NDArray | null,
  cs: NDArray | null,
  reverse: boolean,
  need: boolean[],
): (NDArray | null)[] {
  const lstm = mode === 'lstm';
  const gru = mode === 'gru';
  const [T, N, C] = xs.shape;
  const H = whs.shape[1];
  const GH = gatesOf(mode) * H;
  const dtype = xs.dtype;
  const ctx = xs.context;
  const at = (i: number) => (reverse ? T - 1 - i : i);
  const before = (t: number) => (reverse ? t + 1 : t - 1);
  const cRow = (t: number) => (reverse ? t : t + 1);
  const xd = dense(xs);
  const h0d = dense(h0s);
  const wx = dense(wxs);
  const wh = dense(whs);
  const dgx = empty([T, N, GH], dtype, ctx);
  const dgh = gru ? empty([T, N, GH], dtype, ctx) : dgx;
  const dh = empty([N, H], dtype, ctx);
  backend.fill(dh, 0);
  const dc = lstm ? empty([N, H], dtype, ctx) : null;
  if (dc) backend.copy(step(g, T), dc);
  let tmp: NDArray | null = null;
  const tmpView = () => (tmp ??= empty([N, H], dtype, ctx));
  const whV = mat(wh, GH, H);
  // h_prev of every step, in time order: [h0, h_0 .. h_{T-2}] forward, [h_1 .. h_{T-1}, h0] reverse
  // (the backward steps read it, and W_h2h's gradient is one GEMM over it).
  const hp = empty([T, N, H], dtype, ctx);
  if (T > 1) {
    const src = rawView(out, [(T - 1) * N * H], [1], out.offset + (reverse ? N * H : 0));
    backend.copy(src, rawView(hp, [(T - 1) * N * H], [1], hp.offset + (reverse ? 0 : N * H)));
  }
  backend.copy(h0d, step(hp, reverse ? T - 1 : 0));
  for (let i = T - 1; i >= 0; i--) {
    const t = at(i);
    const ok = backend.rnnStepGrad!({
      mode,
      dh: step(g, t),
      dhNext: dh,
      dcNext: dc,
      h: step(out, t),
      hPrev: step(hp, t),
      c: cs ? step(cs, cRow(t)) : null,
      cPrev: cs ? step(cs, cRow(before(t))) : null,
      reserve: res ? step(res, t) : null,
      dgx: step(dgx, t),
      dgh: step(dgh, t),
      dhPrev: dh,
      dcPrev: dc,
    });
    if (!ok) throw new ValueError(`rnnSequence: the ${backend.name} backend's fused step gradient did not take ${dtype} arrays`);
    // h_prev's gradient through W_h2h: dh += dgh_t · W_h2h.
    gemm(backend, step(dgh, t), whV, dh, true, tmpView);
  }
  const [needX, needH0] = [need[0], need[1]];
  const needC0 = lstm && need[2];
  const wi = lstm ? 3 : 2;
  const [needWx, needWh, needBx, needBh] = need.slice(wi, wi + 4);
  let dx: NDArray | null = null;
  if (needX) {
    dx = empty([T, N, C], dtype, ctx);
    backend.matmul(mat(dgx, T * N, GH), mat(wx, GH, C), mat(dx, T * N, C));
  }
  let dwx: NDArray | null = null;
  if (needWx) {
    dwx = empty([GH, C], dtype, ctx);
    backend.matmul(matT(dgx, T * N, GH), mat(xd, T * N, C), dwx);
  }
  let dwh: NDArray | null = null;
  if (needWh) {
    dwh = empty([GH, H], dtype, ctx);
    backend.matmul(matT(dgh, T * N, GH), mat(hp, T * N, H), dwh);
  }
  const biasGrad = (d: NDArray) => {
    const s = empty([GH], dtype, ctx);
    backend.reduce('sum', mat(d, T * N, GH), [0], s);
    return s;
  };
  return [
    dx,
    needH0 ? dh : null,
    ...(lstm ? [needC0 ? dc : null] : []),
    dwx,
    dwh,
    needBx ? biasGrad(dgx) : null,
    needBh ? biasGrad(dgh) : null,
  ];
}
