/**
 * A small table of named columns for the book's Kaggle house-price section (3.16), which reads
 * its data with pandas. It does what that section needs and no more: a strict CSV reader with
 * pandas' type inference and missing-value markers, selecting by position (`iloc`), stacking
 * tables (`concat`), column statistics, `fillna`, `getDummies` (one-hot encoding), `values` for
 * `nd.array`, pandas' text rendering, and an atomic `toCsv`.
 *
 * The CSV dialect (RFC 4180): fields separated by commas, records by `\n`, `\r\n` or `\r`; a field may
 * be quoted with `"` (a quote inside written twice) and then holds commas and line breaks; the
 * first record is the header; every record has as many fields as the header, else an error names
 * the line. A column is numeric (float64) when every cell that is not missing parses as a number;
 * otherwise it is 'object' (strings). Missing cells are pandas' default markers: the empty field,
 * `NA`, `N/A`, `NaN`, `nan`, `NULL`, `null`, `#N/A` and the like (see `NA_VALUES`).
 */
import { readFileSync } from '#platform'; // Node-only: see src/platform/
import { ShapeError, ValueError, IndexError } from '../core/errors.js';
import { writeFileAtomic } from '../ndarray/safetensors.js';
import { bookFileBytes, type DataOptions } from './data-files.js';

/**
 * pandas' default missing-value markers (`pandas.read_csv`'s `na_values` when none are given), as
 * in the pandas the book ran (0.2x), which did not count 'None' as missing (later versions do).
 * It matters here: the house-price data's MasVnrType has a real category 'None' (no masonry
 * veneer); read as missing, the one-hot encoding has 330 features instead of the book's 331.
 */
export const NA_VALUES: ReadonlySet<string> = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'n/a',
  'nan',
  'null',
]);

/** A column's type, as pandas' dtypes: numbers (missing = NaN) or strings (missing = null). */
export type ColumnDType = 'float64' | 'float32' | 'object';

/**
 * A numeric column or a string column. A float32 column differs only in how `toCsv` writes its
 * numbers; `int` marks a column pandas would hold as integers (int64, or uint8 dummies), printed
 * without a decimal point.
 */
type Column =
  | { name: string; dtype: 'float64' | 'float32'; values: number[]; int?: boolean }
  | { name: string; dtype: 'object'; values: (string | null)[] };

/** A position selector: a Python slice string ('0:4', ':', '1:-1'), a list of positions (negative from the end), or one position. */
export type Positions = string | readonly number[] | number;

/**
 * Parses CSV text into records (RFC 4180; see the module comment). Throws a ValueError naming
 * the line of an unterminated quote or of a stray quote inside an unquoted field.
 *
 * @example
 * parseCsv('a,b\n1,"x,y"\n'); // [['a', 'b'], ['1', 'x,y']]
 */
export function parseCsv(text: string, source = 'the CSV text'): string[][] {
  if (typeof text !== 'string') throw new ValueError(`parseCsv: expected the text as a string, got ${typeof text}`);
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let line = 1;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // a UTF-8 byte order mark
  let atFieldStart = true;
  while (i < n) {
    const c = text[i];
    if (atFieldStart && c === '"') {
      // A quoted field: up to the closing quote; "" is one quote.
      const startLine = line;
      i++;
      for (;;) {
        if (i >= n) throw new ValueError(`${source}: line ${startLine}: a quoted field is not closed before the end of the text`);
        const q = text[i];
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (q === '\n') line++;
        field += q;
        i++;
      }
      if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r')
        throw new ValueError(
          `${source}: line ${line}: a character follows the closing quote of a quoted field (expected a comma or a line break)`,
        );
      atFieldStart = false;
      continue;
    }
    if (c === ',') {
      record.push(field);
      field = '';
      atFieldStart = true;
      i++;
      continue;
    }
    if (c === '\n' || c === '\r') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      atFieldStart = true;
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      continue;
    }
    if (c === '"')
      throw new ValueError(`${source}: line ${line}: a quote inside an unquoted field (quote the whole field and double the quote)`);
    field += c;
    atFieldStart = false;
    i++;
  }
  if (!atFieldStart || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/** Parses one cell as a number the way pandas' reader does (decimal or exponent notation, inf). */
function parseNumber(s: string): number | null {
  const t = s.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?(inf|Inf|INF|infinity|Infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  return null;
}

/** The positions a selector picks out of `n` (Python semantics: negative counts from the end). */
function positions(sel: Positions, n: number, what: string): number[] {
  if (typeof sel === 'number') sel = [sel];
  if (typeof sel === 'string') {
    const m = /^\s*(-?\d+)?\s*:\s*(-?\d+)?\s*(?::\s*(-?\d+)?\s*)?$/.exec(sel);
    if (!m) throw new IndexError(`${what}: '${sel}' is not a slice; expected 'start:stop' or 'start:stop:step', e.g. '0:4', ':', '1:-1'`);
    const step = m[3] !== undefined ? Number(m[3]) : 1;
    if (step === 0) throw new IndexError(`${what}: slice step cannot be zero`);
    const norm = (v: string | undefined, dflt: number) => {
      if (v === undefined) return dflt;
      const k = Number(v);
      return k < 0 ? Math.max(k + n, step > 0 ? 0 : -1) : Math.min(k, step > 0 ? n : n - 1);
    };
    const start = norm(m[1], step > 0 ? 0 : n - 1);
    const stop = norm(m[2], step > 0 ? n : -1);
    const out: number[] = [];
    for (let k = start; step > 0 ? k < stop : k > stop; k += step) out.push(k);
    return out;
  }
  if (!Array.isArray(sel)) throw new IndexError(`${what}: expected a slice string, a list of positions or a position, got ${typeof sel}`);
  return sel.map((k) => {
    if (!Number.isInteger(k) || k < -n || k >= n)
      throw new IndexError(`${what}: position ${String(k)} is out of range for ${n} (valid: ${-n}..${n - 1})`);
    return k < 0 ? k + n : k;
  });
}

/** The shortest decimal that reads back as the same float32 (numpy's repr of a float32). */
function float32Repr(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

/** Rendered cells of a numeric column for `toString`: integral values as `65.0`, else fixed decimals. */
function formatNumbers(values: readonly number[]): string[] {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.every((v) => Number.isInteger(v)))
    return values.map((v) => (Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? v.toFixed(1) : v > 0 ? 'inf' : '-inf'));
  // pandas: 6 significant digits, then the same number of decimals in the whole column.
  let decimals = 1;
  for (const v of finite) {
    const s = Number(v.toPrecision(6)).toString();
    const dot = s.indexOf('.');
    if (dot >= 0 && !s.includes('e')) decimals = Math.max(decimals, s.length - dot - 1);
  }
  return values.map((v) => (Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? v.toFixed(decimals) : v > 0 ? 'inf' : '-inf'));
}

/**
 * A table of named columns, each numeric (float64, missing = NaN) or of strings ('object',
 * missing = null), as much of a pandas DataFrame as the book's section 3.16 uses.
 *
 * @example
 * const trainData = d2l.readCsv('kaggle_house_pred_train.csv');
 * trainData.shape;                                          // [1460, 81]
 * console.log(trainData.iloc('0:4', [0, 1, 2, 3, -3, -2, -1]).toString());
 */
export class DataFrame {
  private readonly cols: Column[];
  private readonly nRows: number;

  private constructor(cols: Column[], nRows: number) {
    this.cols = cols;
    this.nRows = nRows;
  }

  /**
   * A table from CSV text (see the module comment for the dialect and the type inference).
   *
   * @example
   * const df = DataFrame.fromCsv('Id,Name\n1,a\n2,NA\n');
   * df.dtype('Name'); // 'object'
   */
  static fromCsv(text: string, source = 'the CSV text'): DataFrame {
    const records = parseCsv(text, source);
    if (records.length === 0) throw new ValueError(`${source}: no header line (the text is empty)`);
    const header = records[0];
    const seen = new Set<string>();
    for (const h of header) {
      if (seen.has(h)) throw new ValueError(`${source}: the column name '${h}' appears twice in the header`);
      seen.add(h);
    }
    const rows = records.slice(1);
    rows.forEach((r, k) => {
      if (r.length !== header.length)
        throw new ValueError(`${source}: record ${k + 2} has ${r.length} fields but the header has ${header.length} (a ragged CSV)`);
    });
    const cols: Column[] = header.map((name, j) => {
      const cells = rows.map((r) => r[j]);
      const nums: number[] = [];
      let numeric = true;
      for (const s of cells) {
        if (NA_VALUES.has(s)) {
          nums.push(NaN);
          continue;
        }
        const v = parseNumber(s);
        if (v === null) {
          numeric = false;
          break;
        }
        nums.push(v);
      }
      return numeric
        ? { name, dtype: 'float64', values: nums, int: nums.every((v) => Number.isInteger(v)) }
        : { name, dtype: 'object', values: cells.map((s) => (NA_VALUES.has(s) ? null : s)) };
    });
    return new DataFrame(cols, rows.length);
  }

  /**
   * A table from columns of equal length: numbers (a Float32Array makes a float32 column, which
   * `toCsv` writes as float32 numbers) or strings (null = missing).
   *
   * @example
   * DataFrame.fromColumns({ Id: [1461, 1462], SalePrice: new Float32Array([119524.86, 153201.2]) });
   */
  static fromColumns(columns: Readonly<Record<string, ArrayLike<number> | readonly (string | null)[]>>): DataFrame {
    const cols: Column[] = [];
    let n = -1;
    for (const [name, v] of Object.entries(columns)) cols.push(DataFrame.column('DataFrame.fromColumns', name, v));
    for (const c of cols) {
      if (n >= 0 && c.values.length !== n)
        throw new ShapeError(`DataFrame.fromColumns: column '${c.name}' has ${c.values.length} values, the first column ${n}`);
      n = c.values.length;
    }
    return new DataFrame(cols, Math.max(n, 0));
  }

  private static column(op: string, name: string, v: ArrayLike<number> | readonly (string | null)[]): Column {
    if (v instanceof Float32Array) return { name, dtype: 'float32', values: Array.from(v) };
    if (ArrayBuffer.isView(v)) return { name, dtype: 'float64', values: Array.from(v as ArrayLike<number>) };
    if (!Array.isArray(v)) throw new ValueError(`${op}: column '${name}' must be an array of numbers or strings, got ${typeof v}`);
    if (v.every((x) => typeof x === 'number'))
      return { name, dtype: 'float64', values: [...(v as number[])], int: (v as number[]).every((x) => Number.isInteger(x)) };
    if (v.every((x) => typeof x === 'string' || x === null)) return { name, dtype: 'object', values: [...(v as (string | null)[])] };
    throw new ValueError(`${op}: column '${name}' mixes numbers and strings; give numbers (NaN = missing) or strings (null = missing)`);
  }

  /**
   * Stacks tables row-wise (pandas' `concat` along rows); they must have the same column names in
   * the same order. A column numeric in one and of strings in another becomes strings.
   *
   * @example
   * const allFeatures = DataFrame.concat([trainData.iloc(':', '1:-1'), testData.iloc(':', '1:')]);
   */
  static concat(frames: readonly DataFrame[]): DataFrame {
    if (!Array.isArray(frames) || frames.length === 0 || !frames.every((f) => f instanceof DataFrame))
      throw new ValueError('DataFrame.concat: expected a non-empty list of DataFrames');
    const names = frames[0].columns;
    frames.forEach((f, k) => {
      const other = f.columns;
      if (other.length !== names.length || other.some((c, j) => c !== names[j]))
        throw new ShapeError(
          `DataFrame.concat: table ${k} has the columns [${other.join(', ')}], table 0 has [${names.join(', ')}]; they must match`,
        );
    });
    const cols: Column[] = names.map((name, j) => {
      const parts = frames.map((f) => f.cols[j]);
      if (parts.every((p) => p.dtype !== 'object'))
        return {
          name,
          dtype: parts.every((p) => p.dtype === 'float32') ? 'float32' : 'float64',
          values: parts.flatMap((p) => p.values as number[]),
          int: parts.every((p) => 'int' in p && p.int === true),
        };
      return {
        name,
        dtype: 'object',
        values: parts.flatMap((p) =>
          p.dtype === 'object' ? p.values : (p.values as number[]).map((v) => (Number.isNaN(v) ? null : String(v))),
        ),
      };
    });
    return new DataFrame(
      cols,
      frames.reduce((s, f) => s + f.nRows, 0),
    );
  }

  /** [rows, columns]. @example trainData.shape // [1460, 81] */
  get shape(): [number, number] {
    return [this.nRows, this.cols.length];
  }

  /** The column names, in order. @example df.columns // ['Id', 'MSSubClass', ...] */
  get columns(): string[] {
    return this.cols.map((c) => c.name);
  }

  private col(op: string, name: string): Column {
    const c = this.cols.find((x) => x.name === name);
    if (!c)
      throw new ValueError(
        `DataFrame.${op}: no column named '${name}' (columns: ${this.columns.slice(0, 12).join(', ')}${this.cols.length > 12 ? ', ...' : ''})`,
      );
    return c;
  }

  /** A column's type: 'float64'/'float32' (numbers) or 'object' (strings). @example df.dtype('MSZoning') // 'object' */
  dtype(name: string): ColumnDType {
    return this.col('dtype', name).dtype;
  }

  /**
   * A copy of a column's values: numbers (NaN = missing) or strings (null = missing).
   *
   * @example
   * const prices = trainData.get('SalePrice') as number[];
   */
  get(name: string): number[] | (string | null)[] {
    return [...this.col('get', name).values] as number[] | (string | null)[];
  }

  /**
   * Sets (or appends) a column of `shape[0]` values, as pandas' `df[name] = values`.
   *
   * @example
   * testData.set('SalePrice', preds); // preds: a Float32Array of predictions
   */
  set(name: string, values: ArrayLike<number> | readonly (string | null)[]): this {
    const c = DataFrame.column('DataFrame.set', name, values);
    if (c.values.length !== this.nRows)
      throw new ShapeError(`DataFrame.set('${name}'): ${c.values.length} values for a table of ${this.nRows} rows`);
    const j = this.cols.findIndex((x) => x.name === name);
    if (j >= 0) this.cols[j] = c;
    else this.cols.push(c);
    return this;
  }

  /**
   * The rows and columns at the given positions, as pandas' `df.iloc[rows, cols]`: a slice
   * string ('0:4', ':', '1:-1'), a list of positions (negative ones count from the end) or one
   * position.
   *
   * @example
   * trainData.iloc('0:4', [0, 1, 2, 3, -3, -2, -1]);
   * trainData.iloc(':', '1:-1'); // every row, all but the first and last columns
   */
  iloc(rows: Positions, cols: Positions = ':'): DataFrame {
    const r = positions(rows, this.nRows, 'DataFrame.iloc (rows)');
    const c = positions(cols, this.cols.length, 'DataFrame.iloc (columns)');
    return new DataFrame(
      c.map((j) => {
        const src = this.cols[j];
        return { ...src, values: r.map((i) => src.values[i]) } as Column;
      }),
      r.length,
    );
  }

  /**
   * The named columns, in the order given (pandas' `df[['Id', 'SalePrice']]`).
   *
   * @example
   * const submission = testData.select(['Id', 'SalePrice']);
   */
  select(names: readonly string[]): DataFrame {
    if (!Array.isArray(names)) throw new ValueError('DataFrame.select: expected a list of column names');
    return new DataFrame(
      names.map((n) => {
        const c = this.col('select', n);
        return { ...c, values: [...c.values] } as Column;
      }),
      this.nRows,
    );
  }

  /** The mean of a numeric column, skipping missing values (pandas' `mean`). @example df.mean('LotArea') */
  mean(name: string): number {
    const v = this.numeric('mean', name).filter((x) => !Number.isNaN(x));
    return v.length ? v.reduce((s, x) => s + x, 0) / v.length : NaN;
  }

  /** The sample standard deviation (n - 1) of a numeric column, skipping missing values (pandas' `std`). @example df.std('LotArea') */
  std(name: string): number {
    const v = this.numeric('std', name).filter((x) => !Number.isNaN(x));
    if (v.length < 2) return NaN;
    const m = v.reduce((s, x) => s + x, 0) / v.length;
    return Math.sqrt(v.reduce((s, x) => s + (x - m) * (x - m), 0) / (v.length - 1));
  }

  private numeric(op: string, name: string): number[] {
    const c = this.col(op, name);
    if (c.dtype === 'object') throw new ValueError(`DataFrame.${op}('${name}'): the column holds strings (dtype object), not numbers`);
    return c.values;
  }

  /**
   * Applies `fn` to every value of the numeric columns `names` (pandas' `df[names].apply`).
   *
   * @example
   * df.apply(['LotArea'], (x) => (x - mu) / sigma);
   */
  apply(names: readonly string[], fn: (x: number, name: string) => number): this {
    if (typeof fn !== 'function') throw new ValueError('DataFrame.apply: expected a function of (value, column name)');
    for (const n of names) {
      const c = this.col('apply', n);
      if (c.dtype === 'object') throw new ValueError(`DataFrame.apply: column '${n}' holds strings (dtype object), not numbers`);
      c.values = c.values.map((x) => fn(x, n));
      c.int = false;
    }
    return this;
  }

  /**
   * Replaces missing values in the numeric columns `names` (default: every numeric column) with
   * `value`, as pandas' `df[names].fillna(value)`.
   *
   * @example
   * allFeatures.fillna(0, numericFeatures);
   */
  fillna(value: number, names?: readonly string[]): this {
    if (typeof value !== 'number') throw new ValueError(`DataFrame.fillna: the value must be a number, got ${typeof value}`);
    const targets = names ? names.map((n) => this.col('fillna', n)) : this.cols.filter((c) => c.dtype !== 'object');
    for (const c of targets) {
      if (c.dtype === 'object') throw new ValueError(`DataFrame.fillna: column '${c.name}' holds strings (dtype object), not numbers`);
      c.values = c.values.map((x) => (Number.isNaN(x) ? value : x));
    }
    return this;
  }

  /**
   * One-hot encodes every string column, as `pandas.get_dummies(df, dummy_na)`: the numeric
   * columns first, in order, then for each string column (in order) one 0/1 column per distinct
   * value, sorted, named `column_value`, and with `dummyNa` a `column_nan` column marking the
   * missing values (present even when nothing is missing, as pandas does).
   *
   * @example
   * const dummies = allFeatures.getDummies({ dummyNa: true });
   * dummies.shape; // [2919, 331]
   */
  getDummies(opts: { dummyNa?: boolean } = {}): DataFrame {
    const cols: Column[] = this.cols
      .filter((c) => c.dtype !== 'object')
      .map((c) => ({ ...c, values: [...(c.values as number[])] }) as Column);
    for (const c of this.cols) {
      if (c.dtype !== 'object') continue;
      const levels = [...new Set(c.values.filter((v): v is string => v !== null))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const lv of levels)
        cols.push({ name: `${c.name}_${lv}`, dtype: 'float64', values: c.values.map((v) => (v === lv ? 1 : 0)), int: true });
      if (opts.dummyNa)
        cols.push({ name: `${c.name}_nan`, dtype: 'float64', values: c.values.map((v) => (v === null ? 1 : 0)), int: true });
    }
    return new DataFrame(cols, this.nRows);
  }

  /**
   * The values row by row, for `nd.array` (pandas' `.values`); every column must be numeric.
   *
   * @example
   * const trainFeatures = nd.array(allFeatures.iloc(`:${nTrain}`).values);
   */
  get values(): number[][] {
    const bad = this.cols.find((c) => c.dtype === 'object');
    if (bad)
      throw new ValueError(`DataFrame.values: column '${bad.name}' holds strings (dtype object); one-hot encode it first (getDummies)`);
    const out: number[][] = [];
    for (let i = 0; i < this.nRows; i++) out.push(this.cols.map((c) => c.values[i] as number));
    return out;
  }

  /**
   * pandas' text rendering: a left-aligned row index, then each column right-aligned under its
   * name (numbers get pandas' leading space; integral floats print as `65.0`; missing as NaN).
   *
   * @example
   * console.log(trainData.iloc('0:4', [0, 1, 2, 3, -3, -2, -1]).toString());
   * //    Id  MSSubClass MSZoning  LotFrontage SaleType SaleCondition  SalePrice
   * // 0   1          60       RL         65.0       WD        Normal     208500
   */
  toString(): string {
    const index = Array.from({ length: this.nRows }, (_, i) => String(i));
    const iw = Math.max(0, ...index.map((s) => s.length));
    const blocks = this.cols.map((c) => {
      let cells: string[];
      if (c.dtype === 'object') cells = c.values.map((v) => (v === null ? 'NaN' : v));
      else {
        // Numbers get pandas' leading space, in front of the whole column (its name too).
        cells = c.int ? c.values.map((v) => String(v)) : formatNumbers(c.values);
        const w = Math.max(c.name.length, ...cells.map((s) => s.length));
        return { head: ` ${c.name.padStart(w)}`, cells: cells.map((s) => ` ${s.padStart(w)}`) };
      }
      const w = Math.max(c.name.length, ...cells.map((s) => s.length));
      return { head: c.name.padStart(w), cells: cells.map((s) => s.padStart(w)) };
    });
    const lines = [[' '.repeat(iw), ...blocks.map((b) => b.head)].join(' ')];
    for (let i = 0; i < this.nRows; i++) lines.push([index[i].padEnd(iw), ...blocks.map((b) => b.cells[i])].join(' '));
    return lines.join('\n');
  }

  /**
   * Writes the table as CSV (pandas' `to_csv(path, index=False)`), atomically: the header, then
   * one record per row; numbers as the shortest decimal that reads back the same (float32
   * columns as float32), missing values as empty fields, and fields with commas, quotes or line
   * breaks quoted.
   *
   * @example
   * submission.toCsv('out/kaggle-house-price/predictions.csv');
   */
  toCsv(path: string): void {
    if (typeof path !== 'string' || path === '')
      throw new ValueError(`DataFrame.toCsv: the path must be a non-empty string, got ${String(path)}`);
    const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const cell = (c: Column, i: number): string => {
      if (c.dtype === 'object') return c.values[i] === null ? '' : quote(c.values[i] as string);
      const v = c.values[i];
      if (Number.isNaN(v)) return '';
      return c.dtype === 'float32' ? float32Repr(v) : String(v);
    };
    const lines = [this.cols.map((c) => quote(c.name)).join(',')];
    for (let i = 0; i < this.nRows; i++) lines.push(this.cols.map((c) => cell(c, i)).join(','));
    writeFileAtomic(path, new TextEncoder().encode(lines.join('\n') + '\n'));
  }
}

/**
 * Reads a CSV file into a DataFrame (the book's `pd.read_csv`): see the module comment for the
 * dialect, the type inference and the missing-value markers.
 *
 * @example
 * const trainData = d2l.readCsv('/usr/share/d2l/kaggle_house_pred_train.csv');
 */
export function readCsv(path: string): DataFrame {
  if (typeof path !== 'string' || path === '')
    throw new ValueError(`d2l.readCsv: the path must be a non-empty string, got ${String(path)}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ValueError(`d2l.readCsv('${path}'): cannot read the file: ${(e as Error).message}`);
  }
  return DataFrame.fromCsv(text, `d2l.readCsv('${path}')`);
}

/**
 * Reads one of the book's CSV data files (a registered name such as `kaggle_house_pred_train.csv`)
 * through the project's data resolver (data dir, D2L_DATA_DIR, cache, download; checksum
 * verified) into a DataFrame.
 *
 * @example
 * const trainData = await d2l.loadBookCsv('kaggle_house_pred_train.csv', { dataDir: '../shared/data' });
 */
export async function loadBookCsv(name: string, opts: DataOptions = {}): Promise<DataFrame> {
  if (typeof name !== 'string' || name === '')
    throw new ValueError(`d2l.loadBookCsv: the file name must be a non-empty string, got ${String(name)}`);
  const bytes = await bookFileBytes(name, opts);
  return DataFrame.fromCsv(new TextDecoder('utf-8').decode(bytes), name);
}
