/**
 * The book's printed output for the chapter-7 sections (7.1-7.8), copied from the executed
 * notebooks of d2l-zh PR #485 (commit faa3e623, MXNet 1.4 on a GPU, unseeded; see
 * ../shared/reference/d2l-book-outputs.md §0). Blank lines are left out; the figures are not text.
 * 7.1 prints nothing (it only draws).
 *
 * @example
 * BOOK_OUTPUT_CH7['rmsprop'].split('\n')[0]; // 'epoch 20, x1 -0.010599, x2 0.000000'
 */
export const BOOK_OUTPUT_CH7: Readonly<Record<string, string>> = {
  'optimization-intro': '(three figures, no printed output)',
  'gd-sgd': [
    'epoch 10, x: 0.06046617599999997',
    'epoch 10, x: 3.4867844009999995',
    'epoch 10, x: 61.917364224000096',
    'epoch 20, x1 -0.057646, x2 -0.000073',
    'epoch 20, x1 0.046860, x2 0.107921',
  ].join('\n'),
  'minibatch-sgd': [
    '(1500, 5)',
    'loss: 0.246095, 0.023604 sec per epoch',
    'loss: 0.245881, 1.879877 sec per epoch',
    'loss: 0.247408, 0.187381 sec per epoch',
    'loss: 0.242581, 0.184328 sec per epoch',
  ].join('\n'),
  momentum: [
    'epoch 20, x1 -0.943467, x2 -0.000073',
    'epoch 20, x1 -0.387814, x2 -1673.365109',
    'epoch 20, x1 -0.062843, x2 0.001202',
    'epoch 20, x1 0.007188, x2 0.002553',
    'loss: 0.244321, 0.283691 sec per epoch',
    'loss: 0.253310, 0.299712 sec per epoch',
    'loss: 0.244320, 0.301649 sec per epoch',
    'loss: 0.243769, 0.187515 sec per epoch',
  ].join('\n'),
  adagrad: [
    'epoch 20, x1 -2.382563, x2 -0.158591',
    'epoch 20, x1 -0.002295, x2 -0.000000',
    'loss: 0.242716, 0.261210 sec per epoch',
    'loss: 0.243189, 0.299661 sec per epoch',
  ].join('\n'),
  rmsprop: ['epoch 20, x1 -0.010599, x2 0.000000', 'loss: 0.244675, 0.383483 sec per epoch', 'loss: 0.243380, 0.250981 sec per epoch'].join(
    '\n',
  ),
  adadelta: ['loss: 0.243955, 0.501521 sec per epoch', 'loss: 0.243461, 0.403651 sec per epoch'].join('\n'),
  adam: ['loss: 0.244979, 0.512036 sec per epoch', 'loss: 0.243485, 0.239465 sec per epoch'].join('\n'),
};
