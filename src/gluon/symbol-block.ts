/**
 * Gluon's SymbolBlock: a network loaded from the files `net.export(path)` wrote, run as a
 * HybridBlock (eagerly op by op, or compiled after hybridize()).
 */
import { ValueError } from '../core/errors.js';
import { currentContext, type Context } from '../ndarray/context.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { paramSpecs, readExport, replayJson, type SymbolJson } from '../compile/export.js';
import type { Namespace } from '../compile/namespace.js';
import { HybridBlock } from './block.js';
import type { Parameter } from './parameter.js';

/**
 * A block whose computation is an exported symbol file.
 *
 * @example
 * net.hybridize(); net.forward(x); net.export('my_mlp');
 * const back = gluon.SymbolBlock.imports('my_mlp-symbol.json', ['data'], 'my_mlp-0000.params');
 * back.forward(x); // the same values as net.forward(x)
 */
export class SymbolBlock extends HybridBlock {
  private readonly ordered: Parameter[] = [];

  constructor(
    private readonly json: SymbolJson,
    readonly inputNames: readonly string[],
    values: ReadonlyMap<string, NDArray>,
    ctx: Context,
  ) {
    super({ prefix: '' });
    for (const spec of paramSpecs(json, inputNames, values)) {
      const p = this.params.get(spec.name, { shape: spec.shape, dtype: spec.dtype });
      p.initialize(undefined, { ctx });
      p.setData(values.get(spec.name)!);
      this.ordered.push(p);
    }
    for (const v of values.values()) v.dispose();
  }

  /**
   * Loads `<path>-symbol.json` and its parameter file (safetensors, as `export` writes it).
   * `inputNames` names the symbol's inputs ('data'); the other variables are parameters.
   *
   * @example
   * const net = SymbolBlock.imports('out/my_mlp-symbol.json', ['data'], 'out/my_mlp-0000.params');
   */
  static imports(
    symbolFile: string,
    inputNames: string | readonly string[],
    paramFile: string | null = null,
    ctx: Context = currentContext(),
  ): SymbolBlock {
    const names = typeof inputNames === 'string' ? [inputNames] : [...inputNames];
    if (names.length === 0 || names.some((n) => typeof n !== 'string'))
      throw new ValueError(
        `SymbolBlock.imports: inputNames must be a name or a non-empty list of names, got ${JSON.stringify(inputNames)}`,
      );
    const { json, params } = readExport(symbolFile, paramFile, ctx);
    const vars = json.nodes.filter((n) => n.op === 'null').map((n) => n.name);
    const missing = names.filter((n) => !vars.includes(n));
    if (missing.length)
      throw new ValueError(`SymbolBlock.imports: '${symbolFile}' has no input named ${missing.join(', ')} (variables: ${vars.join(', ')})`);
    return new SymbolBlock(json, names, params, ctx);
  }

  /** Runs the symbol file's nodes: on arrays eagerly, on symbols into the trace. @example net.forward(x) */
  hybridForward(_F: Namespace, ...args: any[]): any {
    const n = this.inputNames.length;
    const inputs = args.slice(0, n);
    const params = new Map(this.ordered.map((p, i) => [p.name, args[n + i]]));
    const heads = replayJson(this.json, this.inputNames, inputs, params);
    return heads.length === 1 ? heads[0] : heads;
  }

  override toString(): string {
    return `SymbolBlock(${this.inputNames.join(', ')} -> ${this.json.heads.length} output${this.json.heads.length === 1 ? '' : 's'})`;
  }
}
