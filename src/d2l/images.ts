/**
 * Image grids with titles (the book's `show_images` / `show_fashion_mnist`): every image becomes a
 * PNG data URL placed by a Vega-Lite image mark, and the grid is rendered headless to a PNG file.
 */
import { PNG } from '#platform'; // Node-only: see src/platform/
import type { TopLevelSpec } from 'vega-lite';
import { ValueError } from '../core/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { renderVegaLite, type Figure } from './plot.js';

/** Pixels of one image: height x width x channels (1 gray or 3 RGB), values 0..255. */
interface Pixels {
  h: number;
  w: number;
  c: 1 | 3;
  data: Uint8Array;
}

/** Works out (N, H, W, C) and the channel layout from an image batch's shape. */
function layout(shape: readonly number[]): { n: number; h: number; w: number; c: 1 | 3; chw: boolean } {
  const chan = (c: number): 1 | 3 => {
    if (c !== 1 && c !== 3) throw new ValueError(`showImages: images need 1 or 3 channels, got ${c}`);
    return c;
  };
  if (shape.length === 2) {
    const side = Math.round(Math.sqrt(shape[1]));
    if (side * side !== shape[1]) throw new ValueError(`showImages: rows of ${shape[1]} pixels are not square images`);
    return { n: shape[0], h: side, w: side, c: 1, chw: false };
  }
  if (shape.length === 3) return { n: shape[0], h: shape[1], w: shape[2], c: 1, chw: false };
  if (shape.length === 4) {
    // (N, C, H, W) when the second axis looks like channels and the last does not, else (N, H, W, C).
    if ((shape[1] === 1 || shape[1] === 3) && shape[3] !== 1 && shape[3] !== 3)
      return { n: shape[0], h: shape[2], w: shape[3], c: chan(shape[1]), chw: true };
    return { n: shape[0], h: shape[1], w: shape[2], c: chan(shape[3]), chw: false };
  }
  throw new ValueError(`showImages: expected images of shape (N, H, W), (N, H, W, C), (N, C, H, W) or (N, H*W), got (${shape.join(', ')})`);
}

async function toPixels(images: NDArray | readonly NDArray[]): Promise<Pixels[]> {
  if (!(images instanceof NDArray)) {
    const out: Pixels[] = [];
    for (const img of images) out.push(...(await toPixels(img.reshape([1, ...img.shape]))));
    return out;
  }
  const { n, h, w, c, chw } = layout(images.shape);
  const raw = await images.data();
  let scale = 1;
  if (images.dtype !== 'uint8') {
    // float images in [0, 1] (ToTensor) are scaled to 0..255; anything larger is taken as 0..255.
    let max = 0;
    for (let i = 0; i < raw.length; i++) if (raw[i] > max) max = raw[i];
    scale = max <= 1 ? 255 : 1;
  }
  const per = h * w * c;
  const result: Pixels[] = [];
  for (let k = 0; k < n; k++) {
    const data = new Uint8Array(per);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) {
          const src = chw ? k * per + ch * h * w + y * w + x : k * per + (y * w + x) * c + ch;
          const v = Math.round(Number(raw[src]) * scale);
          data[(y * w + x) * c + ch] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
    result.push({ h, w, c, data });
  }
  return result;
}

/**
 * Encodes pixels (H x W x C, C = 1 or 3, row-major uint8) as a PNG.
 *
 * @example
 * const png = d2l.encodePng(new Uint8Array(28 * 28), 28, 28, 1);
 */
export function encodePng(data: Uint8Array, width: number, height: number, channels: 1 | 3 = 1): Buffer {
  if (data.length !== width * height * channels)
    throw new ValueError(`encodePng: ${data.length} bytes do not fill ${width}x${height}x${channels}`);
  return PNG.sync.write({ width, height, data: Buffer.from(data.buffer, data.byteOffset, data.length) } as PNG, {
    colorType: channels === 1 ? 0 : 2,
    inputColorType: channels === 1 ? 0 : 2,
    inputHasAlpha: false,
  });
}

export interface ShowImagesOptions {
  /** One title per image; a title may hold several lines separated by '\n'. */
  titles?: readonly string[];
  /** Pixels on screen per image pixel (default 2, as the book's scale 2 for 28x28 images). */
  scale?: number;
  /** Where to write the grid (`.png` or `.svg`). */
  file?: string;
}

/**
 * A grid of `numRows` x `numCols` images with optional titles (d2lzh `show_images`), rendered to a
 * PNG. `imgs` is a batch (N, H, W), (N, H, W, C), (N, C, H, W) or (N, H*W), or a list of images;
 * uint8 or float in [0, 1].
 *
 * @example
 * await d2l.showImages(X.get(':8'), 2, 4, { titles: labels, file: 'out/grid.png' });
 */
export async function showImages(
  imgs: NDArray | readonly NDArray[],
  numRows: number,
  numCols: number,
  opts: ShowImagesOptions = {},
): Promise<Figure> {
  if (!(numRows > 0 && numCols > 0)) throw new ValueError(`showImages: numRows and numCols must be positive, got ${numRows}, ${numCols}`);
  const pixels = (await toPixels(imgs)).slice(0, numRows * numCols);
  if (pixels.length === 0) throw new ValueError('showImages: no images to show');
  const titles = opts.titles ?? [];
  const scale = opts.scale ?? 2;
  const cells = pixels.map((p, i) => {
    const width = p.w * scale;
    const height = p.h * scale;
    const url = `data:image/png;base64,${encodePng(p.data, p.w, p.h, p.c).toString('base64')}`;
    const title = titles[i];
    return {
      width,
      height,
      ...(title !== undefined ? { title: { text: title.split('\n'), fontSize: 11, offset: 4 } } : {}),
      data: { values: [{ url }] },
      mark: { type: 'image' as const, width, height, smooth: false },
      encoding: { url: { field: 'url', type: 'nominal' as const }, x: { value: width / 2 }, y: { value: height / 2 } },
    };
  });
  const spec = { concat: cells, columns: numCols, spacing: 8 } as TopLevelSpec;
  return renderVegaLite(spec, opts.file);
}

/**
 * One row of Fashion-MNIST images with their (text) labels as titles (d2lzh `show_fashion_mnist`).
 *
 * @example
 * const [X, y] = firstBatch;
 * await d2l.showFashionMnist(X.get(':9'), d2l.getFashionMnistLabels(y.get(':9')), 'out/fashion.png');
 */
export async function showFashionMnist(images: NDArray | readonly NDArray[], labels: readonly string[], file?: string): Promise<Figure> {
  const n = images instanceof NDArray ? images.shape[0] : images.length;
  return showImages(images, 1, n, { titles: labels, scale: 2, ...(file ? { file } : {}) });
}
