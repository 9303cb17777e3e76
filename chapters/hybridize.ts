/**
 * # 8.1 Hybrid imperative and symbolic programming (命令式和符号式混合编程)
 *
 * The book's 8.1: imperative `fancyFunc`, the same program built as a string and compiled
 * (`new Function` for Python's `compile`/`exec`), then Gluon's hybridize(): an MLP in a
 * HybridSequential prints the same output before and after hybridize(), the 1000-call
 * benchmark prints both timings, `net.export('my_mlp')` writes `my_mlp-symbol.json` and
 * `my_mlp-0000.params` (safetensors, not MXNet's binary format), and the HybridNet whose
 * hybridForward prints F and x shows `nd` and arrays eagerly, and the symbol namespace and
 * `<Symbol data>` once, at the trace; later calls print nothing (they run the compiled program).
 *
 * Run it: `d2l-ts run hybridize`. `--limit N` runs the benchmark loops N times (the book: 1000).
 * The timings are this machine's; what hybridize() compiles is described in docs/COMPILE.md.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { nd, gluon, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

const { nn } = gluon;

export const meta = {
  slug: 'hybridize',
  title: '8.1 命令式和符号式混合编程 (hybridize)',
};

export interface HybridizeResult {
  lines: string[];
  /** Seconds of the benchmark before and after hybridize(). */
  times: [number, number];
  /** The files net.export wrote. */
  exported: [string, string];
}

/** The book's get_net: a HybridSequential MLP 512 -> 256 -> 128 -> 2, initialised. @example getNet().forward(x) */
export function getNet(): gluon.HybridSequential {
  const net = new nn.HybridSequential();
  net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(128, { activation: 'relu' }), new nn.Dense(2));
  net.initialize();
  return net;
}

/**
 * Runs 8.1 and returns its printed lines, the two timings and the exported files.
 *
 * @example
 * const { lines, times } = await run({ limit: 20 });
 */
export async function run(opts: ChapterOptions = {}): Promise<HybridizeResult> {
  const { print, lines } = startRun(opts);
  const loops = opts.limit ?? 1000;
  if (!Number.isInteger(loops) || loops < 1) throw new Error(`hybridize: limit must be a positive integer, got ${String(opts.limit)}`);
  const outDir = opts.outDir ?? join('out', 'hybridize');

  // ## Hybrid programming: imperative first
  const add = (a: number, b: number) => a + b;
  const fancyFunc = (a: number, b: number, c: number, d: number) => {
    const e = add(a, b);
    const f = add(c, d);
    return add(e, f);
  };
  print(fancyFunc(1, 2, 3, 4));

  // The symbolic version: the program is a string, compiled once, then run.
  const addStr = () => '\nfunction add(a, b) {\n  return a + b;\n}\n';
  const fancyFuncStr = () =>
    '\nfunction fancyFunc(a, b, c, d) {\n  const e = add(a, b);\n  const f = add(c, d);\n  const g = add(e, f);\n  return g;\n}\n';
  const evokeStr = () => addStr() + fancyFuncStr() + '\nprint(fancyFunc(1, 2, 3, 4));\n';
  const prog = evokeStr();
  print(prog);
  const y = new Function('print', prog) as (p: typeof print) => void;
  y(print);

  // ## HybridSequential
  const x = nd.random.normal(0, 1, [1, 512]);
  let net = getNet();
  print(net.forward(x).toString());
  net.hybridize();
  print(net.forward(x).toString());

  // ### Computation performance
  const benchmark = async (n: gluon.HybridSequential, v: NDArray): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < loops; i++) n.forward(v); // as the book: `for _ in range(1000): _ = net(x)`
    await nd.waitall(); // wait for all computation to finish, so the time is honest
    return (performance.now() - start) / 1000;
  };
  net = getNet();
  const before = await benchmark(net, x);
  print(`before hybridizing: ${before.toFixed(4)} sec`);
  net.hybridize();
  const after = await benchmark(net, x);
  print(`after hybridizing: ${after.toFixed(4)} sec`);

  // ### Getting the symbolic program
  mkdirSync(outDir, { recursive: true });
  const exported = net.export(join(outDir, 'my_mlp'));

  // ## HybridBlock: printing F and x shows when hybridForward runs
  class HybridNet extends nn.HybridBlock {
    hidden = new nn.Dense(10);
    output = new nn.Dense(2);
    hybridForward(F: any, h: any): any {
      print('F: ', F);
      print('x: ', h);
      h = F.relu(this.hidden.forward(h));
      print('hidden: ', h);
      return this.output.forward(h);
    }
  }
  const hnet = new HybridNet();
  hnet.initialize();
  const x2 = nd.random.normal(0, 1, [1, 4]);
  print(hnet.forward(x2).toString());
  print(hnet.forward(x2).toString());
  hnet.hybridize();
  print(hnet.forward(x2).toString());
  print(hnet.forward(x2).toString());
  return { lines, times: [before, after], exported };
}

runIfMain(import.meta.url, run);
