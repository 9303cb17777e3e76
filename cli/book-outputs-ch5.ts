/**
 * The book's printed output for the chapter-5 sections that `record-results` records (5.1-5.5,
 * 5.10), copied from the executed notebooks of d2l-zh PR #485 (commit faa3e623, MXNet 1.4 on a
 * GPU, unseeded; see ../shared/reference/d2l-book-outputs.md §0). Blank lines are left out.
 *
 * @example
 * BOOK_OUTPUT_CH5['padding-and-strides']; // '(8, 8)\n(8, 8)\n(4, 4)\n(2, 2)'
 */
export const BOOK_OUTPUT_CH5: Readonly<Record<string, string>> = {
  'conv-layer':
    '[[19. 25.]\n [37. 43.]]\n<NDArray 2x2 @cpu(0)>\n[[1. 1. 0. 0. 0. 0. 1. 1.]\n [1. 1. 0. 0. 0. 0. 1. 1.]\n [1. 1. 0. 0. 0. 0. 1. 1.]\n [1. 1. 0. 0. 0. 0. 1. 1.]\n [1. 1. 0. 0. 0. 0. 1. 1.]\n [1. 1. 0. 0. 0. 0. 1. 1.]]\n<NDArray 6x8 @cpu(0)>\n[[ 0.  1.  0.  0.  0. -1.  0.]\n [ 0.  1.  0.  0.  0. -1.  0.]\n [ 0.  1.  0.  0.  0. -1.  0.]\n [ 0.  1.  0.  0.  0. -1.  0.]\n [ 0.  1.  0.  0.  0. -1.  0.]\n [ 0.  1.  0.  0.  0. -1.  0.]]\n<NDArray 6x7 @cpu(0)>\nbatch 2, loss 4.949\nbatch 4, loss 0.831\nbatch 6, loss 0.140\nbatch 8, loss 0.024\nbatch 10, loss 0.004\n[[ 0.9895    -0.9873705]]\n<NDArray 1x2 @cpu(0)>',
  'padding-and-strides': '(8, 8)\n(8, 8)\n(4, 4)\n(2, 2)',
  channels:
    '[[ 56.  72.]\n [104. 120.]]\n<NDArray 2x2 @cpu(0)>\n(3, 2, 2, 2)\n[[[ 56.  72.]\n  [104. 120.]]\n [[ 76. 100.]\n  [148. 172.]]\n [[ 96. 128.]\n  [192. 224.]]]\n<NDArray 3x2x2 @cpu(0)>\nTrue',
  pooling:
    '[[4. 5.]\n [7. 8.]]\n<NDArray 2x2 @cpu(0)>\n[[2. 3.]\n [5. 6.]]\n<NDArray 2x2 @cpu(0)>\n[[[[ 0.  1.  2.  3.]\n   [ 4.  5.  6.  7.]\n   [ 8.  9. 10. 11.]\n   [12. 13. 14. 15.]]]]\n<NDArray 1x1x4x4 @cpu(0)>\n[[[[10.]]]]\n<NDArray 1x1x1x1 @cpu(0)>\n[[[[ 5.  7.]\n   [13. 15.]]]]\n<NDArray 1x1x2x2 @cpu(0)>\n[[[[ 0.  3.]\n   [ 8. 11.]\n   [12. 15.]]]]\n<NDArray 1x1x3x2 @cpu(0)>\n[[[[ 0.  1.  2.  3.]\n   [ 4.  5.  6.  7.]\n   [ 8.  9. 10. 11.]\n   [12. 13. 14. 15.]]\n  [[ 1.  2.  3.  4.]\n   [ 5.  6.  7.  8.]\n   [ 9. 10. 11. 12.]\n   [13. 14. 15. 16.]]]]\n<NDArray 1x2x4x4 @cpu(0)>\n[[[[ 5.  7.]\n   [13. 15.]]\n  [[ 6.  8.]\n   [14. 16.]]]]\n<NDArray 1x2x2x2 @cpu(0)>',
  lenet:
    'conv0 output shape:\t (1, 6, 24, 24)\npool0 output shape:\t (1, 6, 12, 12)\nconv1 output shape:\t (1, 16, 8, 8)\npool1 output shape:\t (1, 16, 4, 4)\ndense0 output shape:\t (1, 120)\ndense1 output shape:\t (1, 84)\ndense2 output shape:\t (1, 10)\ngpu(0)\ntraining on gpu(0)\nepoch 1, loss 2.3202, train acc 0.102, test acc 0.100, time 2.1 sec\nepoch 2, loss 1.9571, train acc 0.249, test acc 0.566, time 1.9 sec\nepoch 3, loss 0.9643, train acc 0.618, test acc 0.668, time 1.8 sec\nepoch 4, loss 0.7567, train acc 0.705, test acc 0.733, time 1.8 sec\nepoch 5, loss 0.6704, train acc 0.733, test acc 0.754, time 1.8 sec',
  'batch-norm':
    'training on gpu(0)\nepoch 1, loss 0.6517, train acc 0.768, test acc 0.776, time 4.3 sec\nepoch 2, loss 0.3935, train acc 0.858, test acc 0.819, time 3.9 sec\nepoch 3, loss 0.3444, train acc 0.875, test acc 0.840, time 4.0 sec\nepoch 4, loss 0.3213, train acc 0.884, test acc 0.862, time 4.0 sec\nepoch 5, loss 0.3051, train acc 0.890, test acc 0.870, time 3.9 sec\n(\n [2.1226501 1.292941  1.5101597 1.1348758 1.055588  1.7578343]\n <NDArray 6 @gpu(0)>, \n [ 1.2503185  -0.07907069 -0.08835004  0.19420697 -0.38282204 -1.9728434 ]\n <NDArray 6 @gpu(0)>)\ntraining on gpu(0)\nepoch 1, loss 0.6395, train acc 0.775, test acc 0.778, time 2.1 sec\nepoch 2, loss 0.4005, train acc 0.855, test acc 0.837, time 2.2 sec\nepoch 3, loss 0.3592, train acc 0.869, test acc 0.872, time 2.2 sec\nepoch 4, loss 0.3283, train acc 0.881, test acc 0.884, time 2.1 sec\nepoch 5, loss 0.3071, train acc 0.889, test acc 0.881, time 2.1 sec',
};
