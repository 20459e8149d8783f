/**
 * TFRecord framing, the container of TensorBoard event files. Each record is
 *
 *   u64 LE  length of the data
 *   u32 LE  masked CRC-32C of those 8 length bytes
 *   bytes   the data (one serialized Event)
 *   u32 LE  masked CRC-32C of the data
 *
 * The mask is LevelDB's (a CRC of bytes that hold CRCs is weak otherwise). The CRC itself comes
 * from the crc-32 package; only the framing and the mask are ours.
 */
import * as CRC32C from 'crc-32/crc32c';

const HEADER_BYTES = 12;
const FOOTER_BYTES = 4;
const MASK_DELTA = 0xa282ead8;

/** LevelDB's masking of a CRC: rotate right by 15 bits, add a constant (mod 2^32). */
export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}

/** The masked CRC-32C (Castagnoli) of `bytes`, as an unsigned 32-bit number. */
export function maskedCrc32c(bytes: Uint8Array): number {
  return maskCrc(CRC32C.buf(bytes) >>> 0);
}

/** Frames one record: header, data, footer. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + data.length + FOOTER_BYTES);
  const view = new DataView(out.buffer);
  // Records here are far below 2^32 bytes; the high word of the u64 stays 0.
  view.setUint32(0, data.length, true);
  view.setUint32(4, Math.floor(data.length / 2 ** 32), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, HEADER_BYTES);
  view.setUint32(HEADER_BYTES + data.length, maskedCrc32c(data), true);
  return out;
}

/** Frames many records back to back. */
export function frameRecords(records: readonly Uint8Array[]): Uint8Array {
  const framed = records.map(frameRecord);
  const out = new Uint8Array(framed.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of framed) {
    out.set(r, at);
    at += r.length;
  }
  return out;
}

/** One record as read, whether or not its data passed its checksum. */
export interface TfRecord {
  /** Byte offset of the record's header in the file. */
  offset: number;
  /** Byte offset just past its footer. */
  end: number;
  data: Uint8Array;
  /** The data matches its CRC. A record that does not is corrupt; readers skip it. */
  dataCrcOk: boolean;
}

export interface TfRecordScan {
  records: TfRecord[];
  /**
   * Bytes at the end that do not make a whole record: a writer was killed (or is still writing)
   * mid-record. TensorBoard waits for the rest; a reader of a finished file ignores them.
   */
  truncatedBytes: number;
  /**
   * Offset of a header whose length fails its CRC. Nothing after it can be framed, so the scan
   * stops there (TensorBoard gives up on the file at the same point).
   */
  badLengthAt?: number;
}

/** Splits a file's bytes into records, checking both CRCs of each. */
export function scanRecords(bytes: Uint8Array): TfRecordScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: TfRecord[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < HEADER_BYTES) return { records, truncatedBytes: bytes.length - at };
    const lengthCrc = view.getUint32(at + 8, true);
    if (maskedCrc32c(bytes.subarray(at, at + 8)) !== lengthCrc) return { records, truncatedBytes: 0, badLengthAt: at };
    const length = view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
    const end = at + HEADER_BYTES + length + FOOTER_BYTES;
    if (end > bytes.length) return { records, truncatedBytes: bytes.length - at };
    const data = bytes.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length);
    const dataCrc = view.getUint32(at + HEADER_BYTES + length, true);
    records.push({ offset: at, end, data, dataCrcOk: maskedCrc32c(data) === dataCrc });
    at = end;
  }
  return { records, truncatedBytes: 0 };
}
