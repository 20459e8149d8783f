/**
 * A small seeded generator (sfc32) whose whole state fits in four integers, so a checkpoint can
 * store it and a resumed run draws exactly the numbers the uninterrupted run would have drawn.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Box–Muller makes normals in pairs; the spare one is part of the state. */
  private spare = NaN;

  constructor(seed: number) {
    // splitmix32 spreads a small seed over the four words.
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = NaN;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  fillNormal(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  fillUniform(out: Float32Array, lo: number, hi: number): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }

  /**
   * A seed for stream `k` that depends on the current state, without drawing from it: a worker
   * replica seeds its own generator with it, and this stream stays what it would be without one.
   */
  derive(k: number): number {
    let h = Math.imul(this.a ^ Math.imul(k + 1, 0x9e3779b1), 0x85ebca6b) >>> 0;
    for (const w of [this.b, this.c, this.d]) h = Math.imul((h ^ (h >>> 15)) + w, 0xc2b2ae35) >>> 0;
    return (h ^ (h >>> 16)) >>> 0;
  }

  getState(): number[] {
    return [this.a, this.b, this.c, this.d, this.spare];
  }

  setState(state: number[]): void {
    if (state.length < 4 || state.slice(0, 4).some((v) => !Number.isInteger(v))) throw new Error('invalid RNG state');
    [this.a, this.b, this.c, this.d] = state.map((v) => v >>> 0);
    this.spare = typeof state[4] === 'number' ? state[4] : NaN;
  }
}

/**
 * tfjs draws its own randomness (weight initialisers, dropout masks, random ops without a seed)
 * from Math.random. Routing Math.random through our generator makes all of it seeded and
 * checkpointable without threading seeds through every layer.
 */
export function installAsMathRandom(rng: Rng): void {
  Math.random = () => rng.next();
}
