// The CPU's expression table: each unary and binary op as a JS expression for the generated
// reference kernels (the GPU's twin is src/backend/webgpu/exprs.ts).
import type { BinaryOp, UnaryOp } from '../backend.js';

/** Each elementwise op as a JS expression over `a` (and `b`); one table, read by codegen. */
export const UNARY_EXPR: Record<UnaryOp, string> = {
  neg: '-a',
  abs: 'Math.abs(a)',
  sign: 'Math.sign(a)',
  exp: 'Math.exp(a)',
  log: 'Math.log(a)',
  sqrt: 'Math.sqrt(a)',
  square: 'a * a',
  sin: 'Math.sin(a)',
  cos: 'Math.cos(a)',
  tanh: 'Math.tanh(a)',
  sigmoid: '1 / (1 + Math.exp(-a))',
  // NaN propagates (PyTorch; numpy's maximum(x, 0)); -0 maps to 0.
  relu: '(a > 0 || a !== a) ? a : 0',
  floor: 'Math.floor(a)',
  ceil: 'Math.ceil(a)',
  // MXNet rounds halves away from zero (numpy rounds them to even).
  round: 'a < 0 ? -Math.round(-a) : Math.round(a)',
  reciprocal: '1 / a',
  log1p: 'Math.log1p(a)',
  expm1: 'Math.expm1(a)',
  logicalNot: 'a === 0 ? 1 : 0',
  isnan: 'a !== a ? 1 : 0',
  isinf: '(a === Infinity || a === -Infinity) ? 1 : 0',
};

export const BINARY_EXPR: Record<BinaryOp, string> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  pow: 'Math.pow(a, b)',
  // NaN propagates, as in numpy and MXNet.
  maximum: '(a > b || a !== a) ? a : b',
  minimum: '(a < b || a !== a) ? a : b',
  mod: 'b === 0 ? NaN : ((a % b) + b) % b',
  equal: 'a === b ? 1 : 0',
  notEqual: 'a !== b ? 1 : 0',
  greater: 'a > b ? 1 : 0',
  greaterEqual: 'a >= b ? 1 : 0',
  lesser: 'a < b ? 1 : 0',
  lesserEqual: 'a <= b ? 1 : 0',
};
