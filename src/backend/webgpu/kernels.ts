// WGSL sources of the kernel families (strided map, reductions, tiled matmul, conv, pooling,
// softmax cross-entropy), generated per shape class and cached as pipelines by the backend.
import { MAIN_1D, META_DECL, PRELUDE, type ComputeType } from './exprs.js';

/**
 * WGSL source generators. Each returns a complete compute shader; the backend caches pipelines
 * by a key naming everything the source depends on. Shapes, strides and offsets are read from the
 * uniform meta block at run time, so one pipeline serves every shape of its rank class.
 */

/** Binding declarations (binding 0 is the meta block). */
export interface BufferDecl {
  type: string;
  access: 'read' | 'read_write';
}
export function declareBuffers(decls: readonly BufferDecl[]): string {
  return decls.map((d, j) => `@group(0) @binding(${j + 1}) var<storage, ${d.access}> B${j}: array<${d.type}>;`).join('\n');
}

/**
 * A strided map over `rank` coalesced dims with `nOps` operands. Meta: [0] element count,
 * [1] scalar, [2, 2+rank) shape, then per operand k at 2+rank+k*(rank+1): offset, strides.
 * Extra words follow at index E. The body sees `p0..p{nOps-1}` (element offsets) and `gi`.
 */
export function mapSource(decls: readonly BufferDecl[], rank: number, nOps: number, body: string): string {
  const base = (k: number) => 2 + rank + k * (rank + 1);
  const E = base(nOps);
  let s = `${PRELUDE}${META_DECL}${declareBuffers(decls)}\n${MAIN_1D(256)}`;
  s += `  if (gi >= mu(0u)) { return; }\n  let E = ${E}u;\n`;
  for (let k = 0; k < nOps; k++) s += `  var p${k}: i32 = mi(${base(k)}u);\n`;
  if (rank > 0) s += '  var rem = gi;\n';
  for (let d = rank - 1; d >= 0; d--) {
    if (d > 0) s += `  { let n = mu(${2 + d}u); let c = i32(rem % n); rem = rem / n;\n`;
    else s += '  { let c = i32(rem);\n';
    for (let k = 0; k < nOps; k++) s += `    p${k} += c * mi(${base(k) + 1 + d}u);\n`;
    s += '  }\n';
  }
  return `${s}${body}\n}\n`;
}

export type ReduceKind = 'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin';

function initOf(op: ReduceKind, ct: ComputeType): string {
  switch (op) {
    case 'sum':
      return ct === 'f32' ? '0.0' : '0';
    case 'prod':
      return ct === 'f32' ? '1.0' : '1';
    case 'max':
      return ct === 'f32' ? '-f_inf()' : 'i_min()';
    case 'min':
      return ct === 'f32' ? 'f_inf()' : '2147483647';
    default:
      return ct === 'f32' ? '0.0' : '0';
  }
}

/** `acc = acc (op) v` for the accumulating reductions; NaN wins max/min as in the reference. */
function updateOf(op: ReduceKind, ct: ComputeType, acc: string, v: string): string {
  switch (op) {
    case 'sum':
      return `${acc} = ${acc} + ${v};`;
    case 'prod':
      return `${acc} = ${acc} * ${v};`;
    case 'max':
      return ct === 'f32' ? `${acc} = f_max(${v}, ${acc});` : `${acc} = max(${v}, ${acc});`;
    case 'min':
      return ct === 'f32' ? `${acc} = f_min(${v}, ${acc});` : `${acc} = min(${v}, ${acc});`;
    default:
      throw new Error(`updateOf: ${op}`);
  }
}

/** better(v, i, bv, bi): the argmax/argmin order: first NaN, else best value, ties to the lower index. */
function betterFn(op: 'argmax' | 'argmin', ct: ComputeType): string {
  const cmp = op === 'argmax' ? '>' : '<';
  const nan = ct === 'f32';
  return `fn better(v: ${ct}, i: i32, bv: ${ct}, bi: i32) -> bool {
  if (i < 0) { return false; }
  if (bi < 0) { return true; }
  ${nan ? 'let nv = f_isnan(v); let nb = f_isnan(bv);\n  if (nb) { return nv && i < bi; }\n  if (nv) { return true; }' : ''}
  if (v ${cmp} bv) { return true; }
  return v == bv && i < bi;
}\n`;
}

export interface ReduceParams {
  op: ReduceKind;
  ct: ComputeType;
  /** Kept (output) rank and reduced rank after coalescing. */
  rk: number;
  rr: number;
  decls: BufferDecl[];
  /** Element read of x at offset `q` converted to ct; store of `e` (ct) into out at `po`. */
  load: (q: string) => string;
  store: (po: string, e: string) => string;
}

/** Meta layout shared by the reduce kernels after `head` leading words. */
function reduceLayout(head: number, rk: number, rr: number) {
  const keptShape = head;
  const oBase = keptShape + rk;
  const xBase = oBase + 1 + rk;
  const rShape = xBase + 1 + rk;
  const rStride = rShape + rr;
  return { keptShape, oBase, xBase, rShape, rStride, words: rStride + rr };
}

function decomposeKept(lay: ReturnType<typeof reduceLayout>, rk: number, idx: string): string {
  let s = `  var po: i32 = mi(${lay.oBase}u);\n  var px: i32 = mi(${lay.xBase}u);\n`;
  if (rk > 0) s += `  var rem = ${idx};\n`;
  for (let d = rk - 1; d >= 0; d--) {
    s += d > 0 ? `  { let n = mu(${lay.keptShape + d}u); let c = i32(rem % n); rem = rem / n;\n` : '  { let c = i32(rem);\n';
    s += `    po += c * mi(${lay.oBase + 1 + d}u);\n    px += c * mi(${lay.xBase + 1 + d}u);\n  }\n`;
  }
  return s;
}

/** One thread per output, looping over the reduced dims in order (small or outer-axis reductions). */
export function reduceSerialSource(p: ReduceParams): string {
  const lay = reduceLayout(2, p.rk, p.rr);
  const arg = p.op === 'argmax' || p.op === 'argmin';
  let s = `${PRELUDE}${META_DECL}${declareBuffers(p.decls)}\n${arg ? betterFn(p.op as 'argmax', p.ct) : ''}${MAIN_1D(256)}`;
  s += '  if (gi >= mu(0u)) { return; }\n';
  s += decomposeKept(lay, p.rk, 'gi');
  s += arg
    ? `  var bv: ${p.ct} = ${initOf(p.op, p.ct)};\n  var bi: i32 = -1;\n  var r: i32 = 0;\n`
    : `  var acc: ${p.ct} = ${initOf(p.op, p.ct)};\n`;
  let inner = `let v = ${p.load(`q${p.rr}`)};\n`;
  inner += arg ? 'if (better(v, r, bv, bi)) { bv = v; bi = r; }\nr = r + 1;\n' : `${updateOf(p.op, p.ct, 'acc', 'v')}\n`;
  let body = inner;
  for (let d = p.rr - 1; d >= 0; d--)
    body = `for (var j${d} = 0u; j${d} < mu(${lay.rShape + d}u); j${d} = j${d} + 1u) {\nlet q${d + 1} = q${d} + i32(j${d}) * mi(${lay.rStride + d}u);\n${body}}\n`;
  s += `  let q0 = px;\n  if (mu(1u) > 0u) {\n${body}  }\n`;
  s += `  ${p.store('po', arg ? 'bi' : 'acc')}\n}\n`;
  return s;
}

/**
 * One workgroup per (output, chunk of the reduced range): a strided loop then a shared-memory
 * tree. With several chunks (P > 1) it writes partials that `reducePartialsSource` combines.
 * Meta: [0] outputs, [1] reduced length, [2] P, [3] chunk, then the reduce layout.
 */
export function reduceWorkgroupSource(p: ReduceParams, partName: string | null): string {
  const final = partName === null;
  const lay = reduceLayout(4, p.rk, p.rr);
  const arg = p.op === 'argmax' || p.op === 'argmin';
  const WG = 256;
  let s = `${PRELUDE}${META_DECL}${declareBuffers(p.decls)}\n${arg ? betterFn(p.op as 'argmax', p.ct) : ''}`;
  s += `var<workgroup> sv: array<${p.ct}, ${WG}>;\n${arg ? `var<workgroup> si: array<i32, ${WG}>;\n` : ''}`;
  s += `@compute @workgroup_size(${WG})\nfn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {\n`;
  s += '  let g = wid.x + wid.y * nwg.x;\n  let P = mu(2u);\n  let m = g / P;\n  let pc = g % P;\n  let t = lid.x;\n';
  s += '  if (m >= mu(0u)) { return; }\n';
  s += decomposeKept(lay, p.rk, 'm');
  s += arg ? `  var bv: ${p.ct} = ${initOf(p.op, p.ct)};\n  var bi: i32 = -1;\n` : `  var acc: ${p.ct} = ${initOf(p.op, p.ct)};\n`;
  s += '  let start = pc * mu(3u);\n  let end = min(start + mu(3u), mu(1u));\n';
  s += `  for (var r = start + t; r < end; r = r + ${WG}u) {\n    var q = px;\n`;
  if (p.rr > 0) s += '    var rr = r;\n';
  for (let d = p.rr - 1; d >= 0; d--) {
    s += d > 0 ? `    { let n = mu(${lay.rShape + d}u); let c = i32(rr % n); rr = rr / n;\n` : '    { let c = i32(rr);\n';
    s += `      q += c * mi(${lay.rStride + d}u);\n    }\n`;
  }
  s += `    let v = ${p.load('q')};\n`;
  s += arg ? '    if (better(v, i32(r), bv, bi)) { bv = v; bi = i32(r); }\n' : `    ${updateOf(p.op, p.ct, 'acc', 'v')}\n`;
  s += '  }\n';
  s += arg ? '  sv[t] = bv;\n  si[t] = bi;\n' : '  sv[t] = acc;\n';
  s += '  workgroupBarrier();\n';
  s += `  for (var st = ${WG / 2}u; st > 0u; st = st >> 1u) {\n    if (t < st) {\n`;
  s += arg
    ? '      if (better(sv[t + st], si[t + st], sv[t], si[t])) { sv[t] = sv[t + st]; si[t] = si[t + st]; }\n'
    : `      var a0 = sv[t];\n      let a1 = sv[t + st];\n      ${updateOf(p.op, p.ct, 'a0', 'a1')}\n      sv[t] = a0;\n`;
  s += '    }\n    workgroupBarrier();\n  }\n';
  s += '  if (t == 0u) {\n';
  if (final) s += `    ${p.store('po', arg ? 'si[0]' : 'sv[0]')}\n`;
  else {
    const part = partName;
    s += arg
      ? `    let w = 2u * (m * P + pc);\n    ${part}[w] = bitcast<u32>(sv[0]);\n    ${part}[w + 1u] = bitcast<u32>(si[0]);\n`
      : `    ${part}[m * P + pc] = bitcast<u32>(sv[0]);\n`;
  }
  s += '  }\n}\n';
  return s;
}

/** Combines the P partials of each output (thread per output). Meta: [0] outputs, [1] P, kept shape, out offset/strides. */
export function reducePartialsSource(p: Omit<ReduceParams, 'load' | 'rr'> & { partBinding: number }): string {
  const arg = p.op === 'argmax' || p.op === 'argmin';
  const part = `B${p.partBinding}`;
  let s = `${PRELUDE}${META_DECL}${declareBuffers(p.decls)}\n${arg ? betterFn(p.op as 'argmax', p.ct) : ''}${MAIN_1D(256)}`;
  s += '  if (gi >= mu(0u)) { return; }\n  let P = mu(1u);\n';
  const keptShape = 2;
  const oBase = keptShape + p.rk;
  s += `  var po: i32 = mi(${oBase}u);\n`;
  if (p.rk > 0) s += '  var rem = gi;\n';
  for (let d = p.rk - 1; d >= 0; d--) {
    s += d > 0 ? `  { let n = mu(${keptShape + d}u); let c = i32(rem % n); rem = rem / n;\n` : '  { let c = i32(rem);\n';
    s += `    po += c * mi(${oBase + 1 + d}u);\n  }\n`;
  }
  s += arg ? `  var bv: ${p.ct} = ${initOf(p.op, p.ct)};\n  var bi: i32 = -1;\n` : `  var acc: ${p.ct} = ${initOf(p.op, p.ct)};\n`;
  s += '  for (var j = 0u; j < P; j = j + 1u) {\n';
  s += arg
    ? `    let w = 2u * (gi * P + j);\n    let v = bitcast<${p.ct}>(${part}[w]);\n    let i = bitcast<i32>(${part}[w + 1u]);\n    if (better(v, i, bv, bi)) { bv = v; bi = i; }\n`
    : `    let v = bitcast<${p.ct}>(${part}[gi * P + j]);\n    ${updateOf(p.op, p.ct, 'acc', 'v')}\n`;
  s += '  }\n';
  s += `  ${p.store('po', arg ? 'bi' : 'acc')}\n}\n`;
  return s;
}

export interface MatmulConfig {
  BM: number;
  BN: number;
  BK: number;
  TM: number;
  TN: number;
}

export interface MatmulParams {
  cfg: MatmulConfig;
  ct: ComputeType;
  /** A's stride along k is 1 (row-major A) / B's stride along n is 1 (row-major B). */
  aK1: boolean;
  bN1: boolean;
  rb: number;
  decls: BufferDecl[];
  loadA: (idx: string) => string;
  loadB: (idx: string) => string;
  store: (idx: string, e: string) => string;
}

/**
 * Tiled batched matmul: a BM x BN output tile per workgroup of 256 threads, each thread a TM x TN
 * register block, BK-deep tiles of A and B staged in workgroup memory (A stored k-major so the
 * inner loop reads both tiles along contiguous rows). Strided/transposed operands are read
 * through their strides; the unit-stride case of each operand gets coalesced tile loads.
 * Meta: [0] M [1] N [2] K [3] batch base [4..9] sam sak sbk sbn som son [10..12] offsets,
 * [13..) batch shape, then batch strides of A, B, out.
 */
export function matmulSource(p: MatmulParams): string {
  const { BM, BN, BK, TM, TN } = p.cfg;
  const threads = (BM / TM) * (BN / TN);
  if (threads !== 256) throw new Error(`matmul config ${JSON.stringify(p.cfg)} needs 256 threads, has ${threads}`);
  const LA = (BM * BK) / 256;
  const LB = (BK * BN) / 256;
  const zero = p.ct === 'f32' ? '0.0' : '0';
  let s = `${PRELUDE}${META_DECL}${declareBuffers(p.decls)}\n`;
  s += `var<workgroup> As: array<${p.ct}, ${BK * BM}>;\nvar<workgroup> Bs: array<${p.ct}, ${BK * BN}>;\n`;
  s += '@compute @workgroup_size(256)\nfn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {\n';
  s += '  let t = lid.x;\n  let Mx = mu(0u);\n  let Nx = mu(1u);\n  let Kx = mu(2u);\n';
  s += `  let tx = t % ${BN / TN}u;\n  let ty = t / ${BN / TN}u;\n  let row0 = wid.y * ${BM}u;\n  let col0 = wid.x * ${BN}u;\n`;
  s += '  let sam = mi(4u);\n  let sak = mi(5u);\n  let sbk = mi(6u);\n  let sbn = mi(7u);\n  let som = mi(8u);\n  let son = mi(9u);\n';
  s += '  var pa = mi(10u);\n  var pb = mi(11u);\n  var po = mi(12u);\n';
  if (p.rb > 0) s += '  var brem = wid.z + mu(3u);\n';
  for (let d = p.rb - 1; d >= 0; d--) {
    s += d > 0 ? `  { let n = mu(${13 + d}u); let c = i32(brem % n); brem = brem / n;\n` : '  { let c = i32(brem);\n';
    s += `    pa += c * mi(${13 + p.rb + d}u);\n    pb += c * mi(${13 + 2 * p.rb + d}u);\n    po += c * mi(${13 + 3 * p.rb + d}u);\n  }\n`;
  }
  for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) s += `  var c${i}_${j}: ${p.ct} = ${zero};\n`;
  s += `  for (var k0 = 0u; k0 < Kx; k0 = k0 + ${BK}u) {\n`;
  for (let q = 0; q < LA; q++) {
    s += `    {\n      let l = t + ${256 * q}u;\n`;
    s += p.aK1 ? `      let ii = l / ${BK}u;\n      let kk = l % ${BK}u;\n` : `      let ii = l % ${BM}u;\n      let kk = l / ${BM}u;\n`;
    s += `      let gr = row0 + ii;\n      let gk = k0 + kk;\n      var v: ${p.ct} = ${zero};\n`;
    s += `      if (gr < Mx && gk < Kx) { v = ${p.loadA(`u32(pa + i32(gr) * sam + i32(gk)${p.aK1 ? '' : ' * sak'})`)}; }\n`;
    s += `      As[kk * ${BM}u + ii] = v;\n    }\n`;
  }
  for (let q = 0; q < LB; q++) {
    s += `    {\n      let l = t + ${256 * q}u;\n`;
    s += p.bN1 ? `      let kk = l / ${BN}u;\n      let jj = l % ${BN}u;\n` : `      let jj = l / ${BK}u;\n      let kk = l % ${BK}u;\n`;
    s += `      let gc = col0 + jj;\n      let gk = k0 + kk;\n      var v: ${p.ct} = ${zero};\n`;
    s += `      if (gc < Nx && gk < Kx) { v = ${p.loadB(`u32(pb + i32(gk) * sbk + i32(gc)${p.bN1 ? '' : ' * sbn'})`)}; }\n`;
    s += `      Bs[kk * ${BN}u + jj] = v;\n    }\n`;
  }
  s += '    workgroupBarrier();\n';
  s += `    for (var kk = 0u; kk < ${BK}u; kk = kk + 1u) {\n`;
  for (let i = 0; i < TM; i++) s += `      let a${i} = As[kk * ${BM}u + ty * ${TM}u + ${i}u];\n`;
  for (let j = 0; j < TN; j++) s += `      let b${j} = Bs[kk * ${BN}u + tx * ${TN}u + ${j}u];\n`;
  for (let i = 0; i < TM; i++)
    for (let j = 0; j < TN; j++)
      s += p.ct === 'f32' ? `      c${i}_${j} = fma(a${i}, b${j}, c${i}_${j});\n` : `      c${i}_${j} = c${i}_${j} + a${i} * b${j};\n`;
  s += '    }\n    workgroupBarrier();\n  }\n';
  for (let i = 0; i < TM; i++) {
    s += `  {\n    let r = row0 + ty * ${TM}u + ${i}u;\n    if (r < Mx) {\n`;
    for (let j = 0; j < TN; j++)
      s += `      { let cc = col0 + tx * ${TN}u + ${j}u; if (cc < Nx) { ${p.store(`u32(po + i32(r) * som + i32(cc) * son)`, `c${i}_${j}`)} } }\n`;
    s += '    }\n  }\n';
  }
  return `${s}}\n`;
}

/** Direct NCHW kernels. Shared meta layout (see `convMeta` in the backend). */
const CONV_HEAD = `
  let N = mi(1u); let C = mi(2u); let H = mi(3u); let W = mi(4u);
  let OC = mi(5u); let CG = mi(6u); let KH = mi(7u); let KW = mi(8u);
  let OH = mi(9u); let OW = mi(10u);
  let sh = mi(11u); let sw = mi(12u); let ph = mi(13u); let pw = mi(14u); let dh = mi(15u); let dw = mi(16u);
  let ocPerG = mi(17u);
`;
const AT = (base: number, a: string, b: string, c: string, d: string) =>
  `(mi(${base}u) + (${a}) * mi(${base + 1}u) + (${b}) * mi(${base + 2}u) + (${c}) * mi(${base + 3}u) + (${d}) * mi(${base + 4}u))`;
export const CONV_X = 18;
export const CONV_W = 23;
export const CONV_O = 28;
export const CONV_D = 33;

export interface ConvParams {
  decls: BufferDecl[];
  /** Reads (as f32 or i32 compute) and the store of the result. */
  ct: ComputeType;
  x: (off: string) => string;
  w: (off: string) => string;
  g: (off: string) => string;
  /** For gradients: read-modify-write of the destination. */
  rmw: (off: string, e: string) => string;
  store: (off: string, e: string) => string;
}

function decompose4(dims: [string, string, string, string], names: [string, string, string, string]): string {
  return `  var rem = i32(gi);\n  let ${names[3]} = rem % ${dims[3]}; rem = rem / ${dims[3]};\n  let ${names[2]} = rem % ${dims[2]}; rem = rem / ${dims[2]};\n  let ${names[1]} = rem % ${dims[1]}; rem = rem / ${dims[1]};\n  let ${names[0]} = rem;\n`;
}

export function conv2dSource(p: ConvParams): string {
  const zero = p.ct === 'f32' ? '0.0' : '0';
  let s = `${PRELUDE}${META_DECL}${declareBuffers(p.decls)}\n${MAIN_1D(256)}  if (gi >= mu(0u)) { return; }\n${CONV_HEAD}`;
  s += decompose4(['N', 'OC', 'OH', 'OW'], ['n', 'oc', 'oh', 'ow']);
  s += `  let grp = oc / ocPerG;\n  var acc: ${p.ct} = ${zero};\n`;
  s += '  for (var c = 0; c < CG; c = c + 1) {\n    let ic = grp * CG + c;\n';
  s += '    for (var kh = 0; kh < KH; kh = kh + 1) {\n      let ih = oh * sh - ph + kh * dh;\n      if (ih < 0 || ih >= H) { continue; }\n';
  s +=
    '      for (var kw = 0; kw < KW; kw = kw + 1) {\n        let iw = ow * sw - pw + kw * dw;\n        if (iw < 0 || iw >= W) { continue; }\n';
  s += `        acc = acc + ${p.x(`u32${AT(CONV_X, 'n', 'ic', 'ih', 'iw')}`)} * ${p.w(`u32${AT(CONV_W, 'oc', 'c', 'kh', 'kw')}`)};\n`;
  s += '      }\n    }\n  }\n';
  s += `  ${p.store(`u32${AT(CONV_O, 'n', 'oc', 'oh', 'ow')}`, 'acc')}\n}\n`;
  return s;
}

/** dx[n, ic, ih, iw] += sum over (oc in the group, kh, kw) hitting an output position. */
export function conv2dGradXSource(p: ConvParams): string {
  const zero = p.ct === 'f32' ? '0.0' : '0';
  let s = `${PRELUDE}${META_DECL}${declareBuffers(p.decls)}\n${MAIN_1D(256)}  if (gi >= mu(0u)) { return; }\n${CONV_HEAD}`;
  s += decompose4(['N', 'C', 'H', 'W'], ['n', 'ic', 'ih', 'iw']);
  s += `  let grp = ic / CG;\n  let c = ic % CG;\n  var acc: ${p.ct} = ${zero};\n`;
  s += '  for (var oc = grp * ocPerG; oc < (grp + 1) * ocPerG; oc = oc + 1) {\n';
  s +=
    '    for (var kh = 0; kh < KH; kh = kh + 1) {\n      let th = ih + ph - kh * dh;\n      if (th < 0 || th % sh != 0) { continue; }\n      let oh = th / sh;\n      if (oh >= OH) { continue; }\n';
  s +=
    '      for (var kw = 0; kw < KW; kw = kw + 1) {\n        let tw = iw + pw - kw * dw;\n        if (tw < 0 || tw % sw != 0) { continue; }\n        let ow = tw / sw;\n        if (ow >= OW) { continue; }\n';
  s += `        acc = acc + ${p.g(`u32${AT(CONV_O, 'n', 'oc', 'oh', 'ow')}`)} * ${p.w(`u32${AT(CONV_W, 'oc', 'c', 'kh', 'kw')}`)};\n`;
  s += '      }\n    }\n  }\n';
  s += `  ${p.rmw(`u32${AT(CONV_D, 'n', 'ic', 'ih', 'iw')}`, 'acc')}\n}\n`;
  return s;
}

/** dw[oc, c, kh, kw] += sum over (n, oh, ow) of g * x. */
export function conv2dGradWSource(p: ConvParams): string {
  const zero = p.ct === 'f32' ? '0.0' : '0';
  let s = `${PRELUDE}${META_DECL}${declareBuffers(p.decls)}\n${MAIN_1D(256)}  if (gi >= mu(0u)) { return; }\n${CONV_HEAD}`;
  s += decompose4(['OC', 'CG', 'KH', 'KW'], ['oc', 'c', 'kh', 'kw']);
  s += `  let ic = (oc / ocPerG) * CG + c;\n  var acc: ${p.ct} = ${zero};\n`;
  s += '  for (var n = 0; n < N; n = n + 1) {\n';
  s += '    for (var oh = 0; oh < OH; oh = oh + 1) {\n      let ih = oh * sh - ph + kh * dh;\n      if (ih < 0 || ih >= H) { continue; }\n';
  s +=
    '      for (var ow = 0; ow < OW; ow = ow + 1) {\n        let iw = ow * sw - pw + kw * dw;\n        if (iw < 0 || iw >= W) { continue; }\n';
  s += `        acc = acc + ${p.g(`u32${AT(CONV_O, 'n', 'oc', 'oh', 'ow')}`)} * ${p.x(`u32${AT(CONV_X, 'n', 'ic', 'ih', 'iw')}`)};\n`;
  s += '      }\n    }\n  }\n';
  s += `  ${p.rmw(`u32${AT(CONV_D, 'oc', 'c', 'kh', 'kw')}`, 'acc')}\n}\n`;
  return s;
}

/** Pool meta: conv layout with KH/KW the window and [17] countIncludePad. */
const POOL_WINDOW = `
fn window(oh: i32, ow: i32, H: i32, W: i32) -> vec4<i32> {
  let h0 = oh * mi(11u) - mi(13u);
  let w0 = ow * mi(12u) - mi(14u);
  let h1 = min(h0 + mi(7u), H + mi(13u));
  let w1 = min(w0 + mi(8u), W + mi(14u));
  return vec4<i32>(h0, w0, h1, w1);
}
fn countOf(b: vec4<i32>, H: i32, W: i32) -> i32 {
  if (mi(17u) != 0) { return max((b.z - b.x) * (b.w - b.y), 1); }
  return max((min(b.z, H) - max(b.x, 0)) * (min(b.w, W) - max(b.y, 0)), 1);
}
`;

export function pool2dSource(kind: 'max' | 'avg', p: ConvParams): string {
  let s = `${PRELUDE}${META_DECL}${declareBuffers(p.decls)}\n${POOL_WINDOW}${MAIN_1D(256)}  if (gi >= mu(0u)) { return; }\n${CONV_HEAD}`;
  s += decompose4(['N', 'C', 'OH', 'OW'], ['n', 'c', 'oh', 'ow']);
  s += '  let b = window(oh, ow, H, W);\n';
  s += `  var acc: f32 = ${kind === 'max' ? '-f_inf()' : '0.0'};\n`;
  s += '  for (var h = max(b.x, 0); h < min(b.z, H); h = h + 1) {\n    for (var w = max(b.y, 0); w < min(b.w, W); w = w + 1) {\n';
  s += `      let v = ${p.x(`u32${AT(CONV_X, 'n', 'c', 'h', 'w')}`)};\n`;
  s += kind === 'max' ? '      acc = f_max(v, acc);\n' : '      acc = acc + v;\n';
  s += '    }\n  }\n';
  if (kind === 'avg') s += '  acc = acc / f32(countOf(b, H, W));\n';
  s += `  ${p.store(`u32${AT(CONV_O, 'n', 'c', 'oh', 'ow')}`, 'acc')}\n}\n`;
  return s;
}

/**
 * Pool gradient gathered per input element (no atomics): each dx element sums the windows that
 * contain it; for max pooling only those whose first maximum (row-major scan) is this element.
 */
export function pool2dGradSource(kind: 'max' | 'avg', p: ConvParams): string {
  let s = `${PRELUDE}${META_DECL}${declareBuffers(p.decls)}\n${POOL_WINDOW}${MAIN_1D(256)}  if (gi >= mu(0u)) { return; }\n${CONV_HEAD}`;
  s += decompose4(['N', 'C', 'H', 'W'], ['n', 'c', 'ih', 'iw']);
  s += '  var acc: f32 = 0.0;\n';
  // Output rows whose window can cover ih: oh*sh - ph <= ih < oh*sh - ph + KH.
  s += '  let ohLo = max(0, (ih + ph - KH + sh) / sh);\n  let ohHi = min(OH - 1, (ih + ph) / sh);\n';
  s += '  let owLo = max(0, (iw + pw - KW + sw) / sw);\n  let owHi = min(OW - 1, (iw + pw) / sw);\n';
  s += '  for (var oh = ohLo; oh <= ohHi; oh = oh + 1) {\n    for (var ow = owLo; ow <= owHi; ow = ow + 1) {\n';
  s += '      let b = window(oh, ow, H, W);\n';
  s += '      let hs = max(b.x, 0); let ws = max(b.y, 0); let he = min(b.z, H); let we = min(b.w, W);\n';
  s += '      if (ih < hs || ih >= he || iw < ws || iw >= we) { continue; }\n';
  s += `      let gv = ${p.g(`u32${AT(CONV_O, 'n', 'c', 'oh', 'ow')}`)};\n`;
  if (kind === 'max') {
    s += '      var best = -f_inf();\n      var bh = -1;\n      var bw = -1;\n';
    s += '      for (var h = hs; h < he; h = h + 1) {\n        for (var w = ws; w < we; w = w + 1) {\n';
    s += `          let v = ${p.x(`u32${AT(CONV_X, 'n', 'c', 'h', 'w')}`)};\n`;
    s += '          if (v > best || bh < 0) { best = v; bh = h; bw = w; }\n        }\n      }\n';
    s += '      if (bh == ih && bw == iw) { acc = acc + gv; }\n';
  } else {
    s += '      acc = acc + gv / f32(countOf(b, H, W));\n';
  }
  s += '    }\n  }\n';
  s += `  ${p.rmw(`u32${AT(CONV_D, 'n', 'c', 'ih', 'iw')}`, 'acc')}\n}\n`;
  return s;
}

export interface SceParams {
  decls: BufferDecl[];
  /** Binding names of the loss (written), pred, label and prob (written; null when not wanted). */
  loss: string;
  pred: string;
  label: string;
  prob: string | null;
  /** The label element at offset `q`, as i32 (truncated toward zero, as the CPU's integer check allows). */
  loadLabel: (q: string) => string;
  /** One 256-thread workgroup per row (wide rows) instead of one thread per row. */
  wide: boolean;
}

/**
 * Fused softmax cross-entropy over contiguous [rows, C] float32 logits: per row the max (NaN wins,
 * as the reference), Σ exp(x − max), loss = log Σ − (x[label] − max), and optionally the softmax.
 * Labels outside 0..C-1 are clipped (MXNet's mode='clip'; a kernel cannot raise an error).
 * Meta: [0] rows [1] C [2] pred offset [3] label offset [4] label stride [5] loss offset
 * [6] loss stride [7] prob offset.
 */
export function sceSource(p: SceParams): string {
  const head = `${PRELUDE}${META_DECL}${declareBuffers(p.decls)}\n`;
  const label = `clamp(${p.loadLabel('mi(3u) + i32(r) * mi(4u)')}, 0, i32(C) - 1)`;
  const lossAt = `${p.loss}[u32(mi(5u) + i32(r) * mi(6u))]`;
  if (!p.wide) {
    let s = `${head}${MAIN_1D(256)}  if (gi >= mu(0u)) { return; }\n  let r = gi;\n  let C = mu(1u);\n`;
    s += '  let px = u32(mi(2u)) + r * C;\n';
    s += `  var m = -f_inf();\n  for (var j = 0u; j < C; j = j + 1u) { m = f_max(${p.pred}[px + j], m); }\n`;
    s += `  var z = 0.0;\n  for (var j = 0u; j < C; j = j + 1u) { z = z + f_exp(${p.pred}[px + j] - m); }\n`;
    s += `  let k = ${label};\n  ${lossAt} = f_log(z) - (${p.pred}[px + u32(k)] - m);\n`;
    if (p.prob)
      s += `  let pp = u32(mi(7u)) + r * C;\n  for (var j = 0u; j < C; j = j + 1u) { ${p.prob}[pp + j] = f_exp(${p.pred}[px + j] - m) / z; }\n`;
    return `${s}}\n`;
  }
  const WG = 256;
  let s = `${head}var<workgroup> sv: array<f32, ${WG}>;\n`;
  s += `@compute @workgroup_size(${WG})\nfn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {\n`;
  s += '  let r = wid.x + wid.y * nwg.x;\n  let t = lid.x;\n  let C = mu(1u);\n';
  // Every thread of a workgroup reaches the barriers: rows past the end only skip the stores.
  s += '  let live = r < mu(0u);\n  let px = u32(mi(2u)) + min(r, max(mu(0u), 1u) - 1u) * C;\n';
  s += `  var m = -f_inf();\n  if (live) { for (var j = t; j < C; j = j + ${WG}u) { m = f_max(${p.pred}[px + j], m); } }\n`;
  s += `  sv[t] = m;\n  workgroupBarrier();\n  for (var st = ${WG / 2}u; st > 0u; st = st >> 1u) {\n    if (t < st) { sv[t] = f_max(sv[t + st], sv[t]); }\n    workgroupBarrier();\n  }\n`;
  s += '  m = sv[0];\n  workgroupBarrier();\n';
  s += `  var z = 0.0;\n  if (live) { for (var j = t; j < C; j = j + ${WG}u) { z = z + f_exp(${p.pred}[px + j] - m); } }\n`;
  s += `  sv[t] = z;\n  workgroupBarrier();\n  for (var st = ${WG / 2}u; st > 0u; st = st >> 1u) {\n    if (t < st) { sv[t] = sv[t] + sv[t + st]; }\n    workgroupBarrier();\n  }\n`;
  s += '  z = sv[0];\n  if (!live) { return; }\n';
  s += `  if (t == 0u) {\n    let k = ${label};\n    ${lossAt} = f_log(z) - (${p.pred}[px + u32(k)] - m);\n  }\n`;
  if (p.prob)
    s += `  let pp = u32(mi(7u)) + r * C;\n  for (var j = t; j < C; j = j + ${WG}u) { ${p.prob}[pp + j] = f_exp(${p.pred}[px + j] - m) / z; }\n`;
  return `${s}}\n`;
}

/**
 * A statement per binding that uses it statically: the pipeline's layout is derived from the
 * shader, and a buffer the mode does not read (the plain RNN's h_prev) would drop out of it.
 */
function useAll(decls: readonly BufferDecl[]): string {
  return decls.map((_, j) => `  _ = arrayLength(&B${j});\n`).join('');
}

/** The recurrence of a fused RNN step kernel (Backend.rnnStep; src/ops/rnn.ts). */
export type RnnKernelMode = 'rnn_tanh' | 'rnn_relu' | 'gru' | 'lstm';

/**
 * The fused forward step of a recurrent layer: one thread per (row b, unit j) of the (N, H)
 * state. Operands in order (names[k]): gx, gh, bx, bh, hPrev, h, then cPrev, c (LSTM) and
 * reserve (LSTM, GRU). Meta: [0] N·H, [1] H, [2 + k] the element offset of operand k (all dense).
 */
export function rnnStepSource(mode: RnnKernelMode, decls: readonly BufferDecl[], n: readonly string[]): string {
  const G = mode === 'lstm' ? 4 : mode === 'gru' ? 3 : 1;
  let s = `${PRELUDE}${META_DECL}${declareBuffers(decls)}\n${MAIN_1D(256)}${useAll(decls)}  if (gi >= mu(0u)) { return; }\n`;
  s += `  let H = mu(1u);\n  let b = gi / H;\n  let j = gi % H;\n  let GH = ${G}u * H;\n`;
  s +=
    '  let xr = u32(mi(2u)) + b * GH + j;\n  let hr = u32(mi(3u)) + b * GH + j;\n  let bx = u32(mi(4u)) + j;\n  let bh = u32(mi(5u)) + j;\n';
  s += '  let hp = u32(mi(6u)) + gi;\n  let ho = u32(mi(7u)) + gi;\n';
  const [gx, gh, bxb, bhb, hpb, hob] = n;
  const pre = (k: number) => `${gx}[xr + ${k}u * H] + ${bxb}[bx + ${k}u * H] + ${gh}[hr + ${k}u * H] + ${bhb}[bh + ${k}u * H]`;
  if (mode === 'rnn_tanh' || mode === 'rnn_relu') {
    s += `  let a = ${pre(0)};\n  ${hob}[ho] = ${mode === 'rnn_tanh' ? 'f_tanh(a)' : 'max(a, 0.0)'};\n`;
  } else if (mode === 'lstm') {
    const [cpb, cob, rb] = n.slice(6);
    s += '  let cp = u32(mi(8u)) + gi;\n  let co = u32(mi(9u)) + gi;\n  let rr = u32(mi(10u)) + b * 5u * H + j;\n';
    s += `  let i = f_sigmoid(${pre(0)});\n  let f = f_sigmoid(${pre(1)});\n  let g = f_tanh(${pre(2)});\n  let o = f_sigmoid(${pre(3)});\n`;
    s += `  let c = f * ${cpb}[cp] + i * g;\n  ${cob}[co] = c;\n  let tc = f_tanh(c);\n  ${hob}[ho] = o * tc;\n`;
    s += `  ${rb}[rr] = i;\n  ${rb}[rr + H] = f;\n  ${rb}[rr + 2u * H] = g;\n  ${rb}[rr + 3u * H] = o;\n  ${rb}[rr + 4u * H] = tc;\n`;
  } else {
    const rb = n[6];
    s += '  let rr = u32(mi(8u)) + b * 4u * H + j;\n';
    s += `  let r = f_sigmoid(${pre(0)});\n  let z = f_sigmoid(${pre(1)});\n`;
    s += `  let hn = ${gh}[hr + 2u * H] + ${bhb}[bh + 2u * H];\n  let nn = f_tanh(${gx}[xr + 2u * H] + ${bxb}[bx + 2u * H] + r * hn);\n`;
    s += `  ${hob}[ho] = (1.0 - z) * nn + z * ${hpb}[hp];\n`;
    s += `  ${rb}[rr] = r;\n  ${rb}[rr + H] = z;\n  ${rb}[rr + 2u * H] = nn;\n  ${rb}[rr + 3u * H] = hn;\n`;
  }
  return `${s}}\n`;
}

/**
 * The fused backward step (Backend.rnnStepGrad), one thread per (b, j). Operands: dh, dhNext, h,
 * hPrev, dgx, dgh, dhPrev, then dcNext, c, cPrev, dcPrev (LSTM) and reserve (LSTM, GRU). Meta as
 * rnnStepSource's. dhPrev may be dhNext (and dcPrev dcNext): each thread reads its element first.
 */
export function rnnStepGradSource(mode: RnnKernelMode, decls: readonly BufferDecl[], n: readonly string[]): string {
  const G = mode === 'lstm' ? 4 : mode === 'gru' ? 3 : 1;
  let s = `${PRELUDE}${META_DECL}${declareBuffers(decls)}\n${MAIN_1D(256)}${useAll(decls)}  if (gi >= mu(0u)) { return; }\n`;
  s += `  let H = mu(1u);\n  let b = gi / H;\n  let j = gi % H;\n  let GH = ${G}u * H;\n`;
  s += '  let dho = u32(mi(2u)) + gi;\n  let dno = u32(mi(3u)) + gi;\n  let ho = u32(mi(4u)) + gi;\n  let hp = u32(mi(5u)) + gi;\n';
  s += '  let xr = u32(mi(6u)) + b * GH + j;\n  let hr = u32(mi(7u)) + b * GH + j;\n  let dpo = u32(mi(8u)) + gi;\n';
  const [dhb, dnb, hb, hpb, dgxb, dghb, dpb] = n;
  s += `  let dh = ${dhb}[dho] + ${dnb}[dno];\n`;
  if (mode === 'rnn_tanh' || mode === 'rnn_relu') {
    s += `  let y = ${hb}[ho];\n  let d = dh * ${mode === 'rnn_tanh' ? '(1.0 - y * y)' : 'select(0.0, 1.0, y > 0.0)'};\n`;
    s += `  ${dgxb}[xr] = d;\n  ${dghb}[hr] = d;\n  ${dpb}[dpo] = 0.0;\n`;
  } else if (mode === 'lstm') {
    const [dcnb, , cpb, dcpb, rb] = n.slice(7);
    s += '  let dcn = u32(mi(9u)) + gi;\n  let co = u32(mi(10u)) + gi;\n  let cp = u32(mi(11u)) + gi;\n  let dcp = u32(mi(12u)) + gi;\n';
    s += '  let rr = u32(mi(13u)) + b * 5u * H + j;\n';
    s += `  let i = ${rb}[rr];\n  let f = ${rb}[rr + H];\n  let g = ${rb}[rr + 2u * H];\n  let o = ${rb}[rr + 3u * H];\n`;
    s += `  let tc = ${rb}[rr + 4u * H];\n  let dc = ${dcnb}[dcn] + dh * o * (1.0 - tc * tc);\n`;
    s += `  let di = dc * g * i * (1.0 - i);\n  let df = dc * ${cpb}[cp] * f * (1.0 - f);\n  let dg = dc * i * (1.0 - g * g);\n  let dO = dh * tc * o * (1.0 - o);\n`;
    for (const [k, v] of ['di', 'df', 'dg', 'dO'].entries()) s += `  ${dgxb}[xr + ${k}u * H] = ${v};\n  ${dghb}[hr + ${k}u * H] = ${v};\n`;
    s += `  ${dcpb}[dcp] = dc * f;\n  ${dpb}[dpo] = 0.0;\n`;
  } else {
    const rb = n[7];
    s += '  let rr = u32(mi(9u)) + b * 4u * H + j;\n';
    s += `  let r = ${rb}[rr];\n  let z = ${rb}[rr + H];\n  let nn = ${rb}[rr + 2u * H];\n  let hn = ${rb}[rr + 3u * H];\n`;
    s += `  let dnp = dh * (1.0 - z) * (1.0 - nn * nn);\n  let dzp = dh * (${hpb}[hp] - nn) * z * (1.0 - z);\n  let drp = dnp * hn * r * (1.0 - r);\n`;
    s += `  ${dgxb}[xr] = drp;\n  ${dgxb}[xr + H] = dzp;\n  ${dgxb}[xr + 2u * H] = dnp;\n`;
    s += `  ${dghb}[hr] = drp;\n  ${dghb}[hr + H] = dzp;\n  ${dghb}[hr + 2u * H] = dnp * r;\n  ${dpb}[dpo] = dh * z;\n`;
  }
  return `${s}}\n`;
}
