// AssemblyScript entry of the d2l-ts CPU kernel module (see scripts/build-wasm.mjs).
export { sgemm, sgemm_batch, sgemm_scratch_bytes } from './gemm';
export { sgemm_skinny, sgemm_skinny_scratch_bytes } from './gemm-skinny';
export { unary_f32, exp_f32, tanh_f32, sigmoid_f32, binary_f32, binary_scalar_f32, binary_scalar_f64, binary_bcast_f32, unary_grad_f32 } from './elementwise';
export { reduce_rows_f32, reduce_cols_f32 } from './reduce';
export { softmax_ce_f32, softmax_ce_grad_f32 } from './softmax';
export { gather_rows } from './gather';
export { im2col_f32, col2im_f32, pool_f32, pool_grad_f32, conv_direct_f32, conv_direct_dw_f32 } from './conv';
export { binary_bcast_mid_f32, reduce_mid_sum_f32, bn_fwd_f32, bn_bwd_f32 } from './channel';
export { write_constants, constants_bytes } from './simd';
