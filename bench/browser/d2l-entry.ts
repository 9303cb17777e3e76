/**
 * W3 as the d2l-ts-browser peer runs it (bench/browser-peers.ts): the same workload code as
 * `node dist/bench/w3-softmax-regression.js`, in a page's dedicated Worker, after `ready()`
 * (the Wasm kernels compiled, the kernel Web Workers started in an isolated page), on
 * Fashion-MNIST fetched from the page's folder `fmnist/`.
 */
import { ready } from '../../src/index.js';
import { fetchFashionMnist } from '../w3-w4-classifier.js';
import { w3_softmax_regression } from '../w3-softmax-regression.js';

await ready();
const data = await fetchFashionMnist(new URL('./fmnist/', import.meta.url).href);
w3_softmax_regression(process.argv.slice(2), data);
process.exit(0);
