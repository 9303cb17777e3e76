/**
 * The `gluon.loss` namespace: the losses of loss.ts (L1, L2, softmax and sigmoid cross-entropy)
 * and of loss-extra.ts (Huber, hinge, logistic, KL divergence, cosine embedding, triplet).
 *
 * @example
 * import { gluon } from 'd2l-ts';
 * const loss = new gluon.loss.HuberLoss({ rho: 0.5 });
 */
export * from './loss.js';
export * from './loss-extra.js';
