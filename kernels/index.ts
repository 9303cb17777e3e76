// AssemblyScript entry of the d2l-ts CPU kernel module (see scripts/build-wasm.mjs).
export { sgemm, sgemm_batch, sgemm_scratch_bytes } from './gemm';
export { unary_f32, exp_f32, tanh_f32, sigmoid_f32, binary_f32, binary_scalar_f32, binary_scalar_f64, binary_bcast_f32 } from './elementwise';
export { reduce_rows_f32, reduce_cols_f32 } from './reduce';
export { write_constants, constants_bytes } from './simd';
