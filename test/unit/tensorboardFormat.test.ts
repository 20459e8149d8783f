/**
 * The TensorBoard event file format (src/runDir/tensorboard/): the masked CRC-32C and TFRecord
 * framing against the byte vectors of TensorBoard's own tests, the hand-written protobuf encoder
 * against protobufjs (an independent decoder, given TensorBoard's messages by reflection), and our
 * reader: round trips, a torn last record, corrupt records.
 *
 * Golden vectors, copied byte for byte:
 *  - tensorflow/tensorboard, tensorboard/data/server/masked_crc.rs, `test_compute`;
 *  - tensorflow/tensorboard, tensorboard/data/server/tf_record.rs, `test_success` (an event file
 *    of `tf.summary.scalar("accuracy", 0.99, step=77)`), `test_length_crc_mismatch`,
 *    `test_data_crc_mismatch`;
 *  - tensorflow/tensorboard, tensorboard/data/server/event_file.rs, `test` (records that are not
 *    Events, or fail their checksum);
 *  - tensorflow/tensorboard, tensorboard/backend/event_processing/event_file_loader_test.py,
 *    `RECORD` (a brain.Event:1 file_version event of wall time 1440183447) and
 *    `testMultipleWritesWithBadWrite` (a partial record at the end is ignored).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import * as protobuf from 'protobufjs';
import { decodeEvent, encodeEvent, FILE_VERSION, ProtoError, type TbEvent } from '../../src/runDir/tensorboard/eventProto';
import { listEventFiles, readEventFile, readEvents, TbWriter, tbDirOf } from '../../src/runDir/tensorboard/eventWriter';
import { binnedHistogram, pngImage } from '../../src/runDir/tensorboard/runEvents';
import { frameRecord, frameRecords, maskCrc, maskedCrc32c, scanRecords } from '../../src/runDir/tensorboard/tfRecord';
import { tmp } from '../helpers/cli';

/** A byte string as Rust and Python write it: each character one byte (\xNN escapes). */
const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const f64 = (bytes: Uint8Array): number => new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, true);

// tf_record.rs, test_success.
const RS_HEADER_1 = b('\x18\x00\x00\x00\x00\x00\x00\x00\xa3\x7f\x4b\x22');
const RS_RECORD_1 = cat(b('\x09\x00\x00\x80\x38\x99'), b('\xd6\xd7\x41\x1a\x0dbrain.Event:2'));
const RS_FOOTER_1 = b('\x12\x4b\x36\xab');
const RS_HEADER_2 = b('\x32\x00\x00\x00\x00\x00\x00\x00\x24\x19\x56\xec');
const RS_RECORD_2 = b(
  '\x09\xc4\x05\xb7\x3d\x99\xd6\xd7\x41' +
    '\x10\x4d\x2a\x25' +
    '\x0a\x23\x0a\x08accuracy' +
    '\x42\x0a\x08\x01\x12\x00\x22\x04\xa4\x70\x7d\x3f\x4a' +
    '\x0b\x0a\x09\x0a\x07scalars',
);
const RS_FOOTER_2 = b('\xa5\x5b\x64\x33');
const RS_FILE = cat(RS_HEADER_1, RS_RECORD_1, RS_FOOTER_1, RS_HEADER_2, RS_RECORD_2, RS_FOOTER_2);

// event_file_loader_test.py, EventFileLoaderTest.RECORD.
const PY_RECORD = b('\x18\x00\x00\x00\x00\x00\x00\x00\xa3\x7fK"\t\x00\x00\xc0%\xddu\xd5A\x1a\rbrain.Event:1\xec\xf32\x8d');

describe('masked CRC-32C', () => {
  test('matches rustboard masked_crc.rs', () => {
    // RFC 3720 (iSCSI) B.4: 32 zero bytes have CRC-32C 0x8a9136aa.
    assert.equal(maskedCrc32c(new Uint8Array(32)), maskCrc(0x8a9136aa));
    // A real TFRecord's file_version event, masked by TensorFlow.
    assert.equal(maskedCrc32c(b('\x1a\x11CRC test, one two')), 0x5794d08a);
  });

  test('the length and data checksums of the tf_record.rs records', () => {
    assert.equal(maskedCrc32c(RS_HEADER_1.subarray(0, 8)), 0x224b7fa3);
    assert.equal(maskedCrc32c(RS_RECORD_1), 0xab364b12);
    assert.equal(maskedCrc32c(RS_RECORD_2), 0x33645ba5);
    assert.equal(maskedCrc32c(RS_HEADER_2.subarray(0, 8)), 0xec561924);
  });
});

describe('TFRecord framing', () => {
  test('frames the tf_record.rs records byte for byte', () => {
    assert.deepEqual(frameRecord(RS_RECORD_1), cat(RS_HEADER_1, RS_RECORD_1, RS_FOOTER_1));
    assert.deepEqual(frameRecords([RS_RECORD_1, RS_RECORD_2]), RS_FILE);
  });

  test('reads the tf_record.rs file, and every prefix of it as whole records plus a torn rest', () => {
    const scan = scanRecords(RS_FILE);
    assert.equal(scan.records.length, 2);
    assert.deepEqual(scan.records[0].data, RS_RECORD_1);
    assert.deepEqual(scan.records[1].data, RS_RECORD_2);
    assert.ok(scan.records.every((r) => r.dataCrcOk));
    assert.equal(scan.truncatedBytes, 0);
    assert.equal(scan.badLengthAt, undefined);
    const firstEnd = RS_HEADER_1.length + RS_RECORD_1.length + RS_FOOTER_1.length;
    for (let n = 0; n < RS_FILE.length; n++) {
      const part = scanRecords(RS_FILE.subarray(0, n));
      const whole = n >= firstEnd ? 1 : 0;
      assert.equal(part.records.length, whole, `prefix of ${n} bytes`);
      assert.equal(part.truncatedBytes, n - (whole ? firstEnd : 0), `prefix of ${n} bytes`);
      assert.equal(part.badLengthAt, undefined);
    }
  });

  test('a length that fails its CRC stops the scan (test_length_crc_mismatch)', () => {
    const file = cat(b('\x18\x00\x00\x00\x00\x00\x00\x00'), b('\x99\x7f\x4b\x55'), b('123456789abcdef012345678'), b('\x00\x00\x00\x00'));
    const scan = scanRecords(file);
    assert.equal(scan.records.length, 0);
    assert.equal(scan.badLengthAt, 0);
  });

  test('data that fails its CRC is reported (test_data_crc_mismatch)', () => {
    const file = cat(b('\x18\x00\x00\x00\x00\x00\x00\x00'), b('\xa3\x7f\x4b\x22'), b('123456789abcdef012345678'), b('\xdf\x9b\x57\x13'));
    const scan = scanRecords(file);
    assert.equal(scan.records.length, 1);
    assert.deepEqual(scan.records[0].data, b('123456789abcdef012345678'));
    assert.equal(scan.records[0].dataCrcOk, false);
    assert.notEqual(maskedCrc32c(scan.records[0].data), 0x13579bdf);
  });
});

describe('Event protobuf', () => {
  test('encodes the file_version events of TensorBoard’s tests byte for byte', () => {
    const wallTime = f64(RS_RECORD_1.subarray(1));
    assert.deepEqual(encodeEvent({ wallTime, step: 0, fileVersion: FILE_VERSION }), RS_RECORD_1);
    assert.deepEqual(frameRecord(encodeEvent({ wallTime: 1440183447, step: 0, fileVersion: 'brain.Event:1' })), PY_RECORD);
  });

  test('decodes a TensorFlow 2 scalar event, skipping the fields it does not know', () => {
    const e = decodeEvent(RS_RECORD_2);
    assert.equal(e.step, 77);
    assert.equal(e.wallTime, f64(RS_RECORD_2.subarray(1)));
    assert.equal(e.fileVersion, undefined);
    // The value is in a tensor (field 8) with plugin metadata (field 9): no simple_value.
    assert.deepEqual(e.values, [{ tag: 'accuracy' }]);
  });

  test('event_file_loader_test: two records and a partial write read as two events', () => {
    const r = readEvents(cat(PY_RECORD, PY_RECORD, b('123')));
    assert.equal(r.events.length, 2);
    assert.deepEqual(r.events[0], { wallTime: 1440183447, step: 0, fileVersion: 'brain.Event:1' });
    assert.equal(r.truncatedBytes, 3);
    assert.equal(r.corrupt, 0);
    assert.equal(readEvents(new Uint8Array(0)).events.length, 0);
  });

  test('event_file.rs: records that are not Events, or fail their checksum, are skipped and counted', () => {
    const good = encodeEvent({ wallTime: 1234.5, step: 0, fileVersion: 'good event' });
    const badCrc = (data: Uint8Array) => {
      const r = frameRecord(data);
      new DataView(r.buffer).setUint32(r.length - 4, 0x12345678, true);
      return r;
    };
    const file = cat(frameRecord(good), frameRecord(b('failed proto, OK record')), badCrc(b('failed proto, failed checksum, OK record structure')), badCrc(good));
    assert.throws(() => decodeEvent(b('failed proto, OK record')), ProtoError);
    const r = readEvents(file);
    assert.deepEqual(r.events, [{ wallTime: 1234.5, step: 0, fileVersion: 'good event' }]);
    assert.equal(r.corrupt, 3);
  });

  test('round-trips every field, int64 steps past 2^32 and zeros included', () => {
    const png = tinyPng(3, 2);
    const events: TbEvent[] = [
      { wallTime: 1.5e9 + 0.25, step: 5_000_000_123, values: [{ tag: 'a', simpleValue: 0 }, { tag: 'b/ü', simpleValue: -2.5 }] },
      { wallTime: 2, step: 1, values: [{ tag: 'h', histo: binnedHistogram([0, 3, 0, 1], 0, 1) }] },
      { wallTime: 3, step: 2, values: [{ tag: 'i', image: pngImage(png)! }] },
    ];
    for (const e of events) assert.deepEqual(decodeEvent(encodeEvent(e)), e);
  });
});

/** TensorBoard's messages (event.proto, summary.proto) as protobufjs reflection objects. */
function tensorboardTypes(): { Event: protobuf.Type } {
  const { Field, OneOf, Root, Type } = protobuf;
  const histo = new Type('HistogramProto')
    .add(new Field('min', 1, 'double'))
    .add(new Field('max', 2, 'double'))
    .add(new Field('num', 3, 'double'))
    .add(new Field('sum', 4, 'double'))
    .add(new Field('sum_squares', 5, 'double'))
    .add(new Field('bucket_limit', 6, 'double', 'repeated', undefined, { packed: true }))
    .add(new Field('bucket', 7, 'double', 'repeated', undefined, { packed: true }));
  const image = new Type('Image')
    .add(new Field('height', 1, 'int32'))
    .add(new Field('width', 2, 'int32'))
    .add(new Field('colorspace', 3, 'int32'))
    .add(new Field('encoded_image_string', 4, 'bytes'));
  const value = new Type('Value')
    .add(new Field('node_name', 7, 'string'))
    .add(new Field('tag', 1, 'string'))
    .add(new Field('simple_value', 2, 'float'))
    .add(new Field('obsolete_old_style_histogram', 3, 'bytes'))
    .add(new Field('image', 4, 'Image'))
    .add(new Field('histo', 5, 'HistogramProto'))
    .add(new OneOf('value', ['simple_value', 'obsolete_old_style_histogram', 'image', 'histo']));
  const summary = new Type('Summary').add(value).add(new Field('value', 1, 'Value', 'repeated'));
  const event = new Type('Event')
    .add(new Field('wall_time', 1, 'double'))
    .add(new Field('step', 2, 'int64'))
    .add(new Field('file_version', 3, 'string'))
    .add(new Field('graph_def', 4, 'bytes'))
    .add(new Field('summary', 5, 'Summary'))
    .add(new OneOf('what', ['file_version', 'graph_def', 'summary']));
  const root = new Root().define('tensorflow').add(histo).add(image).add(summary).add(event);
  root.resolveAll();
  return { Event: root.lookupType('tensorflow.Event') };
}

function tinyPng(width: number, height: number): Uint8Array {
  const png = new PNG({ width, height });
  for (let i = 0; i < png.data.length; i++) png.data[i] = (i * 37) % 256;
  return new Uint8Array(PNG.sync.write(png));
}

interface PbEvent {
  wall_time?: number;
  step?: number;
  file_version?: string;
  what?: string;
  summary?: {
    value: {
      tag: string;
      value?: string;
      simple_value?: number;
      image?: { height: number; width: number; colorspace: number; encoded_image_string: Uint8Array };
      histo?: { min: number; max: number; num: number; sum: number; sum_squares: number; bucket_limit: number[]; bucket: number[] };
    }[];
  };
}

describe('TbWriter', () => {
  const png = tinyPng(5, 4);
  const counts = [0, 2, 7, 1, 0];

  function writeSample(): { runDir: string; path: string } {
    const runDir = tmp('tb-format');
    const w = TbWriter.open(runDir, 1_700_000_000_500);
    w.scalar(10, 'loss/d', 0.6931, 1_700_000_001_000);
    w.values(20, [
      { tag: 'loss/d', simpleValue: 0.5 },
      { tag: 'loss/g', simpleValue: 0 },
    ], 1_700_000_002_000);
    w.histogram(20, 'd_output/real', binnedHistogram(counts, 0, 1), 1_700_000_002_000);
    w.image(20, 'samples', pngImage(png)!, 1_700_000_002_000);
    w.close();
    w.scalar(30, 'after/close', 1);
    w.flush();
    return { runDir, path: w.path };
  }

  test('writes a file that protobufjs decodes as TensorBoard’s Events', () => {
    const { runDir, path } = writeSample();
    assert.deepEqual(listEventFiles(tbDirOf(runDir)).map((n) => join(tbDirOf(runDir), n)), [path]);
    assert.match(path, /[\\/]tb[\\/]events\.out\.tfevents\.1700000000\.[^/\\]+\.gan-studio$/);
    const scan = scanRecords(readFileSync(path));
    assert.equal(scan.truncatedBytes, 0);
    assert.ok(scan.records.every((r) => r.dataCrcOk));
    const { Event } = tensorboardTypes();
    const events = scan.records.map((r) => Event.toObject(Event.decode(r.data), { longs: Number, oneofs: true, defaults: true, arrays: true }) as PbEvent);
    assert.equal(events.length, 5);
    assert.equal(events[0].file_version, 'brain.Event:2');
    assert.equal(events[0].what, 'file_version');
    assert.equal(events[0].wall_time, 1_700_000_000.5);
    assert.equal(events[1].what, 'summary');
    assert.equal(events[1].step, 10);
    assert.equal(events[1].wall_time, 1_700_000_001);
    assert.equal(events[1].summary!.value[0].tag, 'loss/d');
    assert.equal(events[1].summary!.value[0].value, 'simple_value');
    assert.equal(events[1].summary!.value[0].simple_value, Math.fround(0.6931));
    // A zero scalar is still a scalar: the oneof member is written.
    assert.deepEqual(
      events[2].summary!.value.map((v) => [v.tag, v.value, v.simple_value]),
      [
        ['loss/d', 'simple_value', 0.5],
        ['loss/g', 'simple_value', 0],
      ],
    );
    const h = events[3].summary!.value[0];
    assert.equal(h.tag, 'd_output/real');
    assert.equal(h.value, 'histo');
    assert.deepEqual(h.histo!.bucket, counts);
    // Right edges of five bins over [0, 1].
    assert.equal(h.histo!.bucket_limit.length, 5);
    h.histo!.bucket_limit.forEach((x, i) => assert.ok(Math.abs(x - 0.2 * (i + 1)) < 1e-12, `bucket_limit[${i}] = ${x}`));
    assert.equal(h.histo!.num, 10);
    assert.ok(Math.abs(h.histo!.sum - (2 * 0.3 + 7 * 0.5 + 0.7)) < 1e-12);
    assert.ok(Math.abs(h.histo!.sum_squares - (2 * 0.09 + 7 * 0.25 + 0.49)) < 1e-12);
    assert.ok(Math.abs(h.histo!.min - 0.2) < 1e-12 && Math.abs(h.histo!.max - 0.8) < 1e-12);
    const img = events[4].summary!.value[0];
    assert.equal(img.tag, 'samples');
    assert.equal(img.value, 'image');
    assert.deepEqual([img.image!.width, img.image!.height, img.image!.colorspace], [5, 4, 4]);
    assert.deepEqual(new Uint8Array(img.image!.encoded_image_string), png);
  });

  test('round-trips through our reader; a torn last record is tolerated; a flipped byte fails its CRC', () => {
    const { path } = writeSample();
    const bytes = readFileSync(path);
    const whole = readEventFile(path);
    assert.equal(whole.corrupt, 0);
    assert.equal(whole.truncatedBytes, 0);
    assert.deepEqual(
      whole.events.map((e) => [e.step, e.fileVersion ?? e.values!.map((v) => v.tag).join(',')]),
      [
        [0, 'brain.Event:2'],
        [10, 'loss/d'],
        [20, 'loss/d,loss/g'],
        [20, 'd_output/real'],
        [20, 'samples'],
      ],
    );
    assert.deepEqual(whole.events[4].values![0].image!.encoded, png);
    assert.deepEqual(whole.events[3].values![0].histo, binnedHistogram(counts, 0, 1));

    // A writer killed mid-record: the record is gone, the ones before it read.
    const lastStart = scanRecords(bytes).records[4].offset;
    for (const cut of [lastStart + 3, lastStart + 12, bytes.length - 1]) {
      writeFileSync(path, bytes.subarray(0, cut));
      const torn = readEventFile(path);
      assert.equal(torn.events.length, 4, `cut at ${cut}`);
      assert.equal(torn.truncatedBytes, cut - lastStart);
      assert.equal(torn.corrupt, 0);
    }

    // One flipped byte in a record's data: that record fails its CRC, the others still read.
    const flipped = Buffer.from(bytes);
    const second = scanRecords(bytes).records[1];
    flipped[second.offset + 12 + 3] ^= 0x40;
    const scan = scanRecords(flipped);
    assert.deepEqual(
      scan.records.map((r) => r.dataCrcOk),
      [true, false, true, true, true],
    );
    const read = readEvents(flipped);
    assert.equal(read.corrupt, 1);
    assert.equal(read.events.length, 4);
    // In a length: nothing after it can be framed.
    const badLength = Buffer.from(bytes);
    badLength[second.offset] ^= 0x01;
    assert.equal(scanRecords(badLength).badLengthAt, second.offset);
    assert.equal(readEvents(badLength).events.length, 1);
  });

  test('a second writer in the same second sorts after the first', () => {
    const runDir = tmp('tb-order');
    const a = TbWriter.open(runDir, 1_700_000_000_000);
    const b2 = TbWriter.open(runDir, 1_700_000_000_100);
    a.close();
    b2.close();
    const names = listEventFiles(tbDirOf(runDir));
    assert.deepEqual(names.map((n) => join(tbDirOf(runDir), n)), [a.path, b2.path]);
  });
});
