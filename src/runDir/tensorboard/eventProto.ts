/**
 * The protobuf messages of a TensorBoard event file, encoded and decoded by hand. Five messages
 * with a dozen fields do not need a protobuf library: protobufjs builds its codecs with
 * Function/eval at run time, which the trainer's bundle has no reason to allow, and it is large
 * for what runs in the training loop's hot path. The field numbers are TensorFlow's
 * (tensorflow/core/util/event.proto and tensorflow/core/framework/summary.proto):
 *
 *   Event          wall_time 1 double, step 2 int64, file_version 3 string, summary 5
 *   Summary        value 1 repeated Summary.Value
 *   Summary.Value  tag 1 string, simple_value 2 float, image 4, histo 5
 *   Image          height 1 int32, width 2 int32, colorspace 3 int32, encoded_image_string 4 bytes
 *   HistogramProto min 1, max 2, num 3, sum 4, sum_squares 5 (double),
 *                  bucket_limit 6, bucket 7 (packed repeated double)
 *
 * Scalar fields at their default (0) are left out, as protobuf 3 does; members of a oneof
 * (file_version and summary, simple_value, image and histo) are always written, since their
 * presence is what says which one it is. The decoder skips fields it does not know (TensorFlow 2
 * writers put scalars in a tensor with metadata; those values read back without a simple_value).
 */

export interface TbHistogram {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  /** Right edge of each bucket. */
  bucketLimit: number[];
  /** Count of each bucket. */
  bucket: number[];
}

export interface TbImage {
  height: number;
  width: number;
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
  colorspace: number;
  /** The PNG (or JPEG) file's bytes. */
  encoded: Uint8Array;
}

/** One Summary.Value: a tag with one of a scalar, an image or a histogram. */
export interface TbValue {
  tag: string;
  simpleValue?: number;
  image?: TbImage;
  histo?: TbHistogram;
}

export interface TbEvent {
  /** Seconds since the epoch. */
  wallTime: number;
  step: number;
  /** The first event of a file: "brain.Event:2". */
  fileVersion?: string;
  /** A summary event's values. */
  values?: TbValue[];
}

export const FILE_VERSION = 'brain.Event:2';

/** A record that is not a well-formed Event. */
export class ProtoError extends Error {}

const WIRE_VARINT = 0;
const WIRE_64 = 1;
const WIRE_LEN = 2;
const WIRE_32 = 5;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: false });

/** Appends protobuf fields to a growing byte buffer. */
class ProtoWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** An unsigned varint of a non-negative integer below 2^53, or a negative one as 64-bit two's complement. */
  varint(n: number): void {
    if (n < 0) {
      this.room(10);
      let v = BigInt.asUintN(64, BigInt(Math.trunc(n)));
      while (v >= 0x80n) {
        this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
        v >>= 7n;
      }
      this.buf[this.len++] = Number(v);
      return;
    }
    this.room(8);
    let v = Math.trunc(n);
    // Division, not >>>, so that values past 2^32 (int64 steps) survive.
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  int(field: number, n: number): void {
    this.tag(field, WIRE_VARINT);
    this.varint(n);
  }

  double(field: number, x: number): void {
    this.tag(field, WIRE_64);
    this.room(8);
    this.view.setFloat64(this.len, x, true);
    this.len += 8;
  }

  float(field: number, x: number): void {
    this.tag(field, WIRE_32);
    this.room(4);
    this.view.setFloat32(this.len, x, true);
    this.len += 4;
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.varint(data.length);
    this.room(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, utf8.encode(s));
  }

  packedDoubles(field: number, xs: readonly number[]): void {
    if (xs.length === 0) return;
    this.tag(field, WIRE_LEN);
    this.varint(xs.length * 8);
    this.room(xs.length * 8);
    for (const x of xs) {
      this.view.setFloat64(this.len, x, true);
      this.len += 8;
    }
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function encodeHistogram(h: TbHistogram): Uint8Array {
  const w = new ProtoWriter();
  if (h.min !== 0) w.double(1, h.min);
  if (h.max !== 0) w.double(2, h.max);
  if (h.num !== 0) w.double(3, h.num);
  if (h.sum !== 0) w.double(4, h.sum);
  if (h.sumSquares !== 0) w.double(5, h.sumSquares);
  w.packedDoubles(6, h.bucketLimit);
  w.packedDoubles(7, h.bucket);
  return w.finish();
}

function encodeImage(img: TbImage): Uint8Array {
  const w = new ProtoWriter();
  if (img.height !== 0) w.int(1, img.height);
  if (img.width !== 0) w.int(2, img.width);
  if (img.colorspace !== 0) w.int(3, img.colorspace);
  if (img.encoded.length > 0) w.bytes(4, img.encoded);
  return w.finish();
}

function encodeValue(v: TbValue): Uint8Array {
  const w = new ProtoWriter();
  w.string(1, v.tag);
  if (v.simpleValue !== undefined) w.float(2, v.simpleValue);
  else if (v.image) w.bytes(4, encodeImage(v.image));
  else if (v.histo) w.bytes(5, encodeHistogram(v.histo));
  return w.finish();
}

/** One Event, serialized: the data of one TFRecord. */
export function encodeEvent(e: TbEvent): Uint8Array {
  const w = new ProtoWriter();
  if (e.wallTime !== 0) w.double(1, e.wallTime);
  if (e.step !== 0) w.int(2, e.step);
  if (e.fileVersion !== undefined) w.string(3, e.fileVersion);
  else if (e.values) {
    const s = new ProtoWriter();
    for (const v of e.values) s.bytes(1, encodeValue(v));
    w.bytes(5, s.finish());
  }
  return w.finish();
}

/** Reads protobuf fields from a byte range. */
class ProtoReader {
  private at = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.at >= this.buf.length;
  }

  private need(n: number): void {
    if (this.at + n > this.buf.length) throw new ProtoError(`message ends inside a field (at byte ${this.at} of ${this.buf.length})`);
  }

  /** A varint as a signed 64-bit integer (exact below 2^53). */
  varint(): number {
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      this.need(1);
      const b = this.buf[this.at++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return Number(BigInt.asIntN(64, v));
    }
    throw new ProtoError('a varint longer than 10 bytes');
  }

  /** The next field's number and wire type, or undefined at the end. */
  tag(): { field: number; wire: number } | undefined {
    if (this.done) return undefined;
    const t = this.varint();
    const field = Math.floor(t / 8);
    if (field < 1) throw new ProtoError(`field number ${field}`);
    return { field, wire: t % 8 };
  }

  double(): number {
    this.need(8);
    const x = this.view.getFloat64(this.at, true);
    this.at += 8;
    return x;
  }

  float(): number {
    this.need(4);
    const x = this.view.getFloat32(this.at, true);
    this.at += 4;
    return x;
  }

  bytes(): Uint8Array {
    const n = this.varint();
    if (n < 0) throw new ProtoError('negative length');
    this.need(n);
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_64) this.double();
    else if (wire === WIRE_LEN) this.bytes();
    else if (wire === WIRE_32) this.float();
    else throw new ProtoError(`unsupported wire type ${wire}`);
  }

  /** Asserts the wire type a known field must have. */
  expect(wire: number, want: number, what: string): void {
    if (wire !== want) throw new ProtoError(`${what}: wire type ${wire}, expected ${want}`);
  }
}

/** Repeated doubles, packed (one length-delimited field) or not (one 64-bit field each). */
function readDoubles(r: ProtoReader, wire: number, into: number[]): void {
  if (wire === WIRE_64) {
    into.push(r.double());
    return;
  }
  r.expect(wire, WIRE_LEN, 'repeated double');
  const packed = r.bytes();
  if (packed.length % 8 !== 0) throw new ProtoError('packed doubles not a multiple of 8 bytes');
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  for (let i = 0; i < packed.length; i += 8) into.push(view.getFloat64(i, true));
}

function decodeHistogram(buf: Uint8Array): TbHistogram {
  const h: TbHistogram = { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [], bucket: [] };
  const r = new ProtoReader(buf);
  for (let t = r.tag(); t; t = r.tag()) {
    const { field, wire } = t;
    if (field >= 1 && field <= 5) {
      r.expect(wire, WIRE_64, 'HistogramProto');
      const x = r.double();
      if (field === 1) h.min = x;
      else if (field === 2) h.max = x;
      else if (field === 3) h.num = x;
      else if (field === 4) h.sum = x;
      else h.sumSquares = x;
    } else if (field === 6) readDoubles(r, wire, h.bucketLimit);
    else if (field === 7) readDoubles(r, wire, h.bucket);
    else r.skip(wire);
  }
  return h;
}

function decodeImage(buf: Uint8Array): TbImage {
  const img: TbImage = { height: 0, width: 0, colorspace: 0, encoded: new Uint8Array(0) };
  const r = new ProtoReader(buf);
  for (let t = r.tag(); t; t = r.tag()) {
    const { field, wire } = t;
    if (field >= 1 && field <= 3) {
      r.expect(wire, WIRE_VARINT, 'Image');
      // int32: a negative value arrives sign-extended to 64 bits.
      const n = r.varint() | 0;
      if (field === 1) img.height = n;
      else if (field === 2) img.width = n;
      else img.colorspace = n;
    } else if (field === 4) {
      r.expect(wire, WIRE_LEN, 'Image.encoded_image_string');
      // A copy, as a plain Uint8Array (slice() of a Buffer would share its memory).
      img.encoded = new Uint8Array(r.bytes());
    } else r.skip(wire);
  }
  return img;
}

function decodeValue(buf: Uint8Array): TbValue {
  const v: TbValue = { tag: '' };
  const r = new ProtoReader(buf);
  for (let t = r.tag(); t; t = r.tag()) {
    const { field, wire } = t;
    if (field === 1) {
      r.expect(wire, WIRE_LEN, 'Summary.Value.tag');
      v.tag = fromUtf8.decode(r.bytes());
    } else if (field === 2) {
      r.expect(wire, WIRE_32, 'Summary.Value.simple_value');
      v.simpleValue = r.float();
    } else if (field === 4) {
      r.expect(wire, WIRE_LEN, 'Summary.Value.image');
      v.image = decodeImage(r.bytes());
    } else if (field === 5) {
      r.expect(wire, WIRE_LEN, 'Summary.Value.histo');
      v.histo = decodeHistogram(r.bytes());
    } else r.skip(wire);
  }
  return v;
}

/** Parses one Event; throws ProtoError when the bytes are not one. */
export function decodeEvent(buf: Uint8Array): TbEvent {
  const e: TbEvent = { wallTime: 0, step: 0 };
  const r = new ProtoReader(buf);
  for (let t = r.tag(); t; t = r.tag()) {
    const { field, wire } = t;
    if (field === 1) {
      r.expect(wire, WIRE_64, 'Event.wall_time');
      e.wallTime = r.double();
    } else if (field === 2) {
      r.expect(wire, WIRE_VARINT, 'Event.step');
      e.step = r.varint();
    } else if (field === 3) {
      r.expect(wire, WIRE_LEN, 'Event.file_version');
      e.fileVersion = fromUtf8.decode(r.bytes());
    } else if (field === 5) {
      r.expect(wire, WIRE_LEN, 'Event.summary');
      const s = new ProtoReader(r.bytes());
      const values: TbValue[] = [];
      for (let st = s.tag(); st; st = s.tag()) {
        if (st.field === 1) {
          s.expect(st.wire, WIRE_LEN, 'Summary.value');
          values.push(decodeValue(s.bytes()));
        } else s.skip(st.wire);
      }
      e.values = values;
    } else r.skip(wire);
  }
  return e;
}
