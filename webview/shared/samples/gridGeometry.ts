/** Tile geometry of a sample grid PNG (pure, so that it is unit-tested in Node). */

/** Where the tiles sit in a grid image; the trainer may pad between tiles and scale them up. */
export interface GridGeometry {
  tileW: number;
  tileH: number;
  pad: number;
}

export function gridGeometry(width: number, height: number, rows: number, cols: number, imageShape?: [number, number, number]): GridGeometry {
  if (imageShape) {
    const [h, w] = imageShape;
    for (let k = 1; k <= 8; k++) {
      const pad = (width - cols * w * k) / (cols + 1);
      const padY = (height - rows * h * k) / (rows + 1);
      if (Number.isInteger(pad) && pad >= 0 && pad < w * k && Math.abs(pad - padY) < 1e-9) return { tileW: w * k, tileH: h * k, pad };
    }
  }
  return { tileW: width / cols, tileH: height / rows, pad: 0 };
}

export function tileRect(g: GridGeometry, r: number, c: number): [number, number, number, number] {
  return [g.pad + c * (g.tileW + g.pad), g.pad + r * (g.tileH + g.pad), g.tileW, g.tileH];
}
