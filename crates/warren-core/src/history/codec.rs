//! How a series' records are packed into the blobs of the `chunks` table: delta + varint
//! (LEB128, zigzag for signed), one mask byte per record saying which figures changed.
//! Written here rather than taken from a crate: the format is small and tied to the record
//! shapes. A chunk's encoded records are then deflated (`pack`): the varints are small numbers
//! in a narrow range, which entropy coding shrinks by a third to a half.

// Loops index several parallel 7-figure arrays at once: an index reads clearer than zips.
#![allow(clippy::needless_range_loop)]

/// The seven figures of one series at one moment, in fixed point: counts as they are, rates in
/// hundredths of a message per second (the broker reports rates with one decimal).
pub type Tuple = [i64; 7];

/// Fixed-point scale per figure, in `HistoryMetric::ALL` order.
pub const SCALE: [f64; 7] = [1.0, 1.0, 1.0, 1.0, 1.0, 100.0, 100.0];

/// A bucket's averages are kept in tenths of a message (counts) and in the fixed-point unit for
/// memory (a byte) and rates (0.01/s): finer would cost bytes a chart cannot show.
pub const AVG_SCALE: [i64; 7] = [10, 10, 10, 10, 1, 1, 1];

/// Min, average (×`AVG_SCALE`) and max over the samples of a bucket where the series existed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub min: Tuple,
    pub avg: Tuple,
    pub max: Tuple,
}

impl Stats {
    /// A bucket in which the series stood still at `v`.
    pub fn constant(v: &Tuple) -> Stats {
        let mut avg = *v;
        for (i, a) in avg.iter_mut().enumerate() {
            *a *= AVG_SCALE[i];
        }
        Stats {
            min: *v,
            avg,
            max: *v,
        }
    }
}

/// One record of a series. Between records a series stands still: a sample with no record
/// means "unchanged" (the `samples` table says which moments were sampled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Full resolution: from `t` on the series is `state` (`None`: the queue or aggregate no
    /// longer exists).
    Raw { t: i64, state: Option<Tuple> },
    /// A 5-minute bucket starting at `t`: its stats (`None`: the series did not exist at any
    /// sample of the bucket) and the state it ended in.
    Bucket {
        t: i64,
        stats: Option<Stats>,
        last: Option<Tuple>,
    },
}

impl Record {
    pub fn t(&self) -> i64 {
        match self {
            Record::Raw { t, .. } | Record::Bucket { t, .. } => *t,
        }
    }

    /// The state the series is in after this record.
    pub fn state_after(&self) -> Option<Tuple> {
        match self {
            Record::Raw { state, .. } => *state,
            Record::Bucket { last, .. } => *last,
        }
    }
}

pub fn to_fixed(i: usize, v: f64) -> i64 {
    (v * SCALE[i]).round() as i64
}

pub fn from_fixed(i: usize, v: i64) -> f64 {
    v as f64 / SCALE[i]
}

pub fn avg_from_fixed(i: usize, v: i64) -> f64 {
    v as f64 / AVG_SCALE[i] as f64 / SCALE[i]
}

fn put_u(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_i(out: &mut Vec<u8>, v: i64) {
    put_u(out, ((v << 1) ^ (v >> 63)) as u64);
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn u(&mut self) -> Option<u64> {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = *self.buf.get(self.pos)?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
            shift += 7;
            if shift > 63 {
                return None;
            }
        }
    }

    fn i(&mut self) -> Option<i64> {
        let u = self.u()?;
        Some(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }
}

const GONE: u8 = 0x80;
const NO_STATS: u8 = 0x80;
const LAST_GONE: u8 = 0x40;
const LAST_DIFFERS: u8 = 0x20;

/// One raw state as stored in the `changes` table (`None` there is SQL NULL).
pub fn encode_tuple(v: &Tuple) -> Vec<u8> {
    let mut out = Vec::with_capacity(16);
    for x in v {
        put_i(&mut out, *x);
    }
    out
}

pub fn decode_tuple(buf: &[u8]) -> Option<Tuple> {
    let mut r = Reader { buf, pos: 0 };
    let mut v = [0; 7];
    for x in &mut v {
        *x = r.i()?;
    }
    Some(v)
}

/// A chunk of full-resolution records (`Record::Raw`, sorted by time, all ≥ `start`).
/// Per record: varint seconds since the previous record, a mask (bit 7: gone; bits 0–6: which
/// figures changed), then the changed figures as zigzag deltas.
pub fn encode_raw(start: i64, records: &[Record]) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.len() * 6);
    let mut prev_t = start;
    let mut prev = [0i64; 7];
    for r in records {
        let Record::Raw { t, state } = r else {
            continue;
        };
        put_u(&mut out, (t - prev_t) as u64);
        prev_t = *t;
        match state {
            None => out.push(GONE),
            Some(v) => {
                let mut mask = 0u8;
                for i in 0..7 {
                    if v[i] != prev[i] {
                        mask |= 1 << i;
                    }
                }
                out.push(mask);
                for i in 0..7 {
                    if mask & (1 << i) != 0 {
                        put_i(&mut out, v[i] - prev[i]);
                    }
                }
                prev = *v;
            }
        }
    }
    out
}

pub fn decode_raw(start: i64, buf: &[u8], out: &mut Vec<Record>) -> Option<()> {
    let mut r = Reader { buf, pos: 0 };
    let mut t = start;
    let mut prev = [0i64; 7];
    while !r.done() {
        t += r.u()? as i64;
        let mask = r.byte()?;
        if mask & GONE != 0 {
            out.push(Record::Raw { t, state: None });
            continue;
        }
        for (i, p) in prev.iter_mut().enumerate() {
            if mask & (1 << i) != 0 {
                *p += r.i()?;
            }
        }
        out.push(Record::Raw {
            t,
            state: Some(prev),
        });
    }
    Some(())
}

/// A chunk of 5-minute buckets (`Record::Bucket`, sorted, all ≥ `start`, aligned to `bucket_s`).
/// Per record: varint buckets since the previous record, a flags byte (bit 7: no stats, bit 6:
/// ended gone, bit 5: ended elsewhere than its max), a byte saying which figures varied within
/// the bucket; then per figure the minimum as a delta from the previous record's minimum and,
/// if it varied, max − min and (avg·AVG_SCALE − min·AVG_SCALE, unsigned); then the end state if it is not the max.
pub fn encode_buckets(start: i64, bucket_s: i64, records: &[Record]) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.len() * 12);
    let mut prev_slot = 0i64;
    let mut prev = [0i64; 7];
    for r in records {
        let Record::Bucket { t, stats, last } = r else {
            continue;
        };
        let slot = (t - start) / bucket_s;
        put_u(&mut out, (slot - prev_slot) as u64);
        prev_slot = slot;
        let mut flags = 0u8;
        if stats.is_none() {
            flags |= NO_STATS;
        }
        match (last, stats) {
            (None, _) => flags |= LAST_GONE,
            (Some(l), Some(s)) if *l == s.max => {}
            (Some(_), _) => flags |= LAST_DIFFERS,
        }
        out.push(flags);
        if let Some(s) = stats {
            let mut varied = 0u8;
            for i in 0..7 {
                if s.min[i] != s.max[i] || s.avg[i] != s.min[i] * AVG_SCALE[i] {
                    varied |= 1 << i;
                }
            }
            out.push(varied);
            for i in 0..7 {
                put_i(&mut out, s.min[i] - prev[i]);
                if varied & (1 << i) != 0 {
                    put_u(&mut out, (s.max[i] - s.min[i]) as u64);
                    // avg ≥ min: unsigned.
                    put_u(&mut out, (s.avg[i] - s.min[i] * AVG_SCALE[i]).max(0) as u64);
                }
            }
            prev = s.min;
        }
        if flags & LAST_DIFFERS != 0 {
            let l = last.expect("LAST_DIFFERS implies a last state");
            for i in 0..7 {
                put_i(&mut out, l[i] - prev[i]);
            }
        }
    }
    out
}

pub fn decode_buckets(start: i64, bucket_s: i64, buf: &[u8], out: &mut Vec<Record>) -> Option<()> {
    let mut r = Reader { buf, pos: 0 };
    let mut slot = 0i64;
    let mut prev = [0i64; 7];
    while !r.done() {
        slot += r.u()? as i64;
        let flags = r.byte()?;
        let stats = if flags & NO_STATS == 0 {
            let varied = r.byte()?;
            let mut s = Stats {
                min: [0; 7],
                avg: [0; 7],
                max: [0; 7],
            };
            for i in 0..7 {
                s.min[i] = prev[i] + r.i()?;
                if varied & (1 << i) != 0 {
                    s.max[i] = s.min[i] + r.u()? as i64;
                    s.avg[i] = s.min[i] * AVG_SCALE[i] + r.u()? as i64;
                } else {
                    s.max[i] = s.min[i];
                    s.avg[i] = s.min[i] * AVG_SCALE[i];
                }
            }
            prev = s.min;
            Some(s)
        } else {
            None
        };
        let last = if flags & LAST_GONE != 0 {
            None
        } else if flags & LAST_DIFFERS != 0 {
            let mut l = [0i64; 7];
            for (i, x) in l.iter_mut().enumerate() {
                *x = prev[i] + r.i()?;
            }
            Some(l)
        } else {
            Some(stats?.max)
        };
        out.push(Record::Bucket {
            t: start + slot * bucket_s,
            stats,
            last,
        });
    }
    Some(())
}

const PLAIN: u8 = 0;
const DEFLATE: u8 = 1;

/// A chunk as stored: a format byte, then the encoded records, deflated when that is smaller.
pub fn pack(encoded: &[u8]) -> Vec<u8> {
    let deflated = miniz_oxide::deflate::compress_to_vec(encoded, 6);
    let (tag, body) = if deflated.len() < encoded.len() {
        (DEFLATE, &deflated[..])
    } else {
        (PLAIN, encoded)
    };
    let mut out = Vec::with_capacity(body.len() + 1);
    out.push(tag);
    out.extend_from_slice(body);
    out
}

pub fn unpack(blob: &[u8]) -> Option<std::borrow::Cow<'_, [u8]>> {
    match blob.split_first()? {
        (&PLAIN, body) => Some(std::borrow::Cow::Borrowed(body)),
        (&DEFLATE, body) => miniz_oxide::inflate::decompress_to_vec(body)
            .ok()
            .map(std::borrow::Cow::Owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_records_round_trip() {
        let recs = vec![
            Record::Raw {
                t: 1000,
                state: Some([5, 5, 0, 1, 40_000, 12_400, 0]),
            },
            Record::Raw {
                t: 1015,
                state: Some([7, 5, 2, 1, 40_128, 12_400, 300]),
            },
            Record::Raw {
                t: 1030,
                state: None,
            },
            Record::Raw {
                t: 1090,
                state: Some([0, 0, 0, 0, 0, 0, 0]),
            },
            Record::Raw {
                t: 1105,
                state: Some([-3, i64::MAX / 4, 0, 0, 1 << 40, 0, 0]),
            },
        ];
        let blob = encode_raw(900, &recs);
        let mut back = Vec::new();
        decode_raw(900, &blob, &mut back).unwrap();
        assert_eq!(back, recs);
    }

    #[test]
    fn bucket_records_round_trip() {
        let recs = vec![
            Record::Bucket {
                t: 3600,
                stats: Some(Stats::constant(&[3, 3, 0, 1, 100, 0, 0])),
                last: Some([3, 3, 0, 1, 100, 0, 0]),
            },
            Record::Bucket {
                t: 3900,
                stats: Some(Stats {
                    min: [1, 1, 0, 1, 90, 0, 0],
                    avg: [25, 15, 0, 10, 95, 1, 0],
                    max: [4, 2, 0, 1, 100, 1, 0],
                }),
                last: Some([1, 1, 0, 1, 90, 0, 0]),
            },
            Record::Bucket {
                t: 4800,
                stats: None,
                last: None,
            },
            Record::Bucket {
                t: 5100,
                stats: Some(Stats::constant(&[9, 9, 0, 0, 7, 0, 0])),
                last: None,
            },
        ];
        let blob = encode_buckets(3600, 300, &recs);
        let mut back = Vec::new();
        decode_buckets(3600, 300, &blob, &mut back).unwrap();
        assert_eq!(back, recs);
    }

    #[test]
    fn packed_chunks_unpack_to_what_was_packed() {
        let small = vec![1u8, 2, 3];
        let big: Vec<u8> = (0..4000u32).map(|i| (i % 7) as u8).collect();
        for data in [small, big, Vec::new()] {
            assert_eq!(unpack(&pack(&data)).unwrap().as_ref(), &data[..]);
        }
        assert!(unpack(&[9, 1, 2]).is_none());
    }

    #[test]
    fn tuples_round_trip_and_truncated_blobs_are_refused() {
        let v = [1, -2, 3, 0, 1 << 50, 5, 6];
        assert_eq!(decode_tuple(&encode_tuple(&v)), Some(v));
        let blob = encode_raw(
            0,
            &[Record::Raw {
                t: 5,
                state: Some(v),
            }],
        );
        let mut out = Vec::new();
        assert!(decode_raw(0, &blob[..blob.len() - 1], &mut out).is_none());
    }
}
