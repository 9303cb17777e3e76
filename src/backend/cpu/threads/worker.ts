/**
 * A kernel worker thread under Node (worker_threads): serves the pool's jobs (serve.ts) with the
 * start-up data the pool passed as workerData.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerInit } from './protocol.js';
import { serveKernels } from './serve.js';

serveKernels(workerData as WorkerInit, (m) => parentPort?.postMessage(m));
