// The IDX format of MNIST and Fashion-MNIST (raw or gzip-compressed): a magic number whose third
// byte is the element type (0x08 = unsigned byte) and fourth the number of dimensions, then the
// dimensions as big-endian uint32, then the data.
import { DataError, gunzipData, readDataFile } from './dataset.js';

export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

export function readIdxFile(file: string): IdxArray {
  let buf: Buffer = readDataFile(file);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipData(file, buf);
  return parseIdx(file, buf);
}

export function parseIdx(file: string, buf: Uint8Array): IdxArray {
  if (buf.length < 4) throw new DataError(file, `too short for an IDX header (${buf.length} bytes)`);
  if (buf[0] !== 0 || buf[1] !== 0)
    throw new DataError(file, 'not an IDX file (the magic number must start with two zero bytes)');
  if (buf[2] !== 0x08)
    throw new DataError(
      file,
      `IDX element type 0x${buf[2]!.toString(16)} is not supported (expected 0x08, unsigned bytes)`,
    );
  const rank = buf[3]!;
  const header = 4 + 4 * rank;
  if (rank === 0 || buf.length < header) throw new DataError(file, `truncated IDX header (rank ${rank})`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = buf.length - header;
  if (actual < expected)
    throw new DataError(
      file,
      `truncated: the header promises ${expected} bytes of data for dims [${dims.join(', ')}], the file has ${actual}`,
      'download the file again',
    );
  if (actual > expected)
    throw new DataError(file, `${actual - expected} unexpected bytes after the data for dims [${dims.join(', ')}]`);
  return { dims, data: buf.subarray(header) };
}

/** An images file ([N, H, W] bytes) and its labels file ([N]) as one data set's arrays. */
export function readIdxPair(
  imagesFile: string,
  labelsFile: string,
): { images: Float32Array; labels: Int32Array; h: number; w: number } {
  const im = readIdxFile(imagesFile);
  const lb = readIdxFile(labelsFile);
  if (im.dims.length !== 3)
    throw new DataError(imagesFile, `expected images of rank 3 [N, H, W], got dims [${im.dims.join(', ')}]`);
  if (lb.dims.length !== 1)
    throw new DataError(labelsFile, `expected labels of rank 1 [N], got dims [${lb.dims.join(', ')}]`);
  if (im.dims[0] !== lb.dims[0])
    throw new DataError(
      labelsFile,
      `${lb.dims[0]} labels for ${im.dims[0]} images in ${imagesFile}`,
      'the images and labels files must come from the same split',
    );
  const images = new Float32Array(im.data.length);
  for (let i = 0; i < images.length; i++) images[i] = im.data[i]! / 255;
  return { images, labels: Int32Array.from(lb.data), h: im.dims[1]!, w: im.dims[2]! };
}
