/**
 * The book's `Residual` block (d2lzh, 5.11 ResNet): two 3x3 convolutions with batch norm, and the
 * input added back before the last ReLU, through a 1x1 convolution when the channels or the
 * stride change; and `resnet18`, the ResNet-18 of 8.5 built from it.
 */
import { ShapeError, ValueError } from '../core/errors.js';
import { shapeStr } from '../core/shape.js';
import { NDArray } from '../ndarray/ndarray.js';
import * as nd from '../ndarray/nd.js';
import { Block, Sequential, type BlockOptions } from '../gluon/block.js';
import { Activation } from '../gluon/nn/activations.js';
import { BatchNorm, Dense } from '../gluon/nn/basic-layers.js';
import { Conv2D, GlobalAvgPool2D } from '../gluon/nn/conv-layers.js';

/**
 * The book's `Residual(num_channels, use_1x1conv=False, strides=1)`: `conv1` (3x3, padding 1,
 * `strides`), `bn1`, ReLU, `conv2` (3x3, padding 1), `bn2`, plus the input, then ReLU. With
 * `useConv1x1` the input first goes through `conv3` (1x1, `strides`), so that the block may change
 * the number of channels and halve the height and width; without it the input must already have
 * `numChannels` channels and `strides` must be 1. The layers are created outside a name scope, as
 * the book's are, so they take the global names (conv0, batchnorm0, ...).
 *
 * @example
 * const blk = new d2l.Residual(6, true, 2);
 * blk.initialize();
 * blk.forward(nd.random.uniform(0, 1, [4, 3, 6, 6])).shape; // [4, 6, 3, 3]
 */
export class Residual extends Block {
  conv1: Conv2D;
  conv2: Conv2D;
  conv3: Conv2D | null;
  bn1: BatchNorm;
  bn2: BatchNorm;
  readonly numChannels: number;
  readonly useConv1x1: boolean;
  readonly strides: number;

  constructor(numChannels: number, useConv1x1 = false, strides = 1, opts: BlockOptions = {}) {
    if (!Number.isInteger(numChannels) || numChannels <= 0)
      throw new ValueError(`d2l.Residual: numChannels must be a positive integer, got ${String(numChannels)}`);
    if (typeof useConv1x1 !== 'boolean') throw new ValueError(`d2l.Residual: useConv1x1 must be a boolean, got ${String(useConv1x1)}`);
    if (!Number.isInteger(strides) || strides <= 0)
      throw new ValueError(`d2l.Residual: strides must be a positive integer, got ${String(strides)}`);
    if (!useConv1x1 && strides !== 1)
      throw new ValueError(
        `d2l.Residual: strides ${strides} changes the height and width, so the shortcut needs useConv1x1 = true (got false)`,
      );
    super(opts);
    this.numChannels = numChannels;
    this.useConv1x1 = useConv1x1;
    this.strides = strides;
    this.conv1 = new Conv2D(numChannels, 3, { padding: 1, strides });
    this.conv2 = new Conv2D(numChannels, 3, { padding: 1 });
    this.conv3 = useConv1x1 ? new Conv2D(numChannels, 1, { strides }) : null;
    this.bn1 = new BatchNorm();
    this.bn2 = new BatchNorm();
  }

  override forward(X: NDArray): NDArray {
    if (!(X instanceof NDArray)) throw new ValueError(`d2l.Residual '${this.name}': expected an NDArray input, got ${String(X)}`);
    if (X.ndim !== 4)
      throw new ShapeError(`d2l.Residual '${this.name}': expected a 4-D (batch, channels, h, w) input, got shape ${shapeStr(X.shape)}`);
    if (!this.conv3 && X.shape[1] !== this.numChannels)
      throw new ShapeError(
        `d2l.Residual '${this.name}': without the 1x1 convolution the input must have ${this.numChannels} channels, ` +
          `got shape ${shapeStr(X.shape)} (use useConv1x1 = true to change the channels)`,
      );
    let Y = nd.relu(this.bn1.forward(this.conv1.forward(X)));
    Y = this.bn2.forward(this.conv2.forward(Y));
    if (this.conv3) X = this.conv3.forward(X);
    return nd.relu(Y.add(X));
  }
}

/**
 * The book's `resnet18(num_classes)` (d2lzh, 8.5): ResNet-18 for small images such as
 * Fashion-MNIST's 28x28 or CIFAR's 32x32 — a 3x3 convolution with stride 1 and padding 1, batch
 * norm and ReLU (no 7x7 stem, no max pooling), four modules of two residual blocks (64, 128, 256,
 * 512 channels; every module but the first halves the height and width), global average pooling
 * and a Dense layer of `numClasses`.
 *
 * @example
 * const net = d2l.resnet18(10);
 * net.initialize();
 * net.forward(nd.random.uniform(0, 1, [2, 1, 28, 28])).shape; // [2, 10]
 */
export function resnet18(numClasses: number): Sequential {
  if (!Number.isInteger(numClasses) || numClasses <= 0)
    throw new ValueError(`d2l.resnet18: numClasses must be a positive integer, got ${String(numClasses)}`);
  const resnetBlock = (numChannels: number, numResiduals: number, firstBlock = false): Sequential => {
    const blk = new Sequential();
    for (let i = 0; i < numResiduals; i++) {
      if (i === 0 && !firstBlock) blk.add(new Residual(numChannels, true, 2));
      else blk.add(new Residual(numChannels));
    }
    return blk;
  };
  const net = new Sequential();
  // A smaller kernel, stride and padding than 5.11's ResNet, and no max pooling.
  net.add(new Conv2D(64, 3, { strides: 1, padding: 1 }), new BatchNorm(), new Activation('relu'));
  net.add(resnetBlock(64, 2, true), resnetBlock(128, 2), resnetBlock(256, 2), resnetBlock(512, 2));
  net.add(new GlobalAvgPool2D(), new Dense(numClasses));
  return net;
}
