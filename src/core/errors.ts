/**
 * Typed errors. Every message names the op, the shapes/dtypes involved and what was expected,
 * so a user can fix the call without reading our source.
 */
export class D2LError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** Shapes that cannot be combined: broadcasting, reshape sizes, matmul inner dims... */
export class ShapeError extends D2LError {}
/** A dtype an op cannot take, or a dtype a backend cannot store. */
export class DTypeError extends D2LError {}
/** An index or axis out of range, or a malformed index string. */
export class IndexError extends D2LError {}
/** Misuse of autograd: backward on an unrecorded array, in-place writes to taped arrays... */
export class AutogradError extends D2LError {}
/** Any other bad argument (a negative size, an unknown option...). */
export class ValueError extends D2LError {}
/** Use of an array after `dispose()`. */
export class DisposedError extends D2LError {}
