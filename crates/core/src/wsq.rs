//! WSQ (FBI Wavelet Scalar Quantization, IAFIS-IC-0110 v3) decoder.
//!
//! Decoding follows the specification's structure:
//! 1. markers and tables: SOI, then transform (DTT), quantisation (DQT) and Huffman (DHT) tables
//!    and comments (COM) in any order, the frame header (SOF), then up to three blocks (SOB), each
//!    naming its Huffman table, and EOI;
//! 2. Huffman decoding of the quantised coefficients (JPEG-style canonical codes, 0xFF byte
//!    stuffing, run-length categories 1..=100 zero runs, 101..=106 escapes, 107..=254 small values);
//! 3. the 64-subband geometry (W-tree of 20 two-dimensional splits, Q-tree of 64 subbands), which
//!    depends only on the image size;
//! 4. dequantisation with bin centre `C`, step `Q` and zero-bin width `Z` per subband;
//! 5. reconstruction by separable two-channel synthesis filtering with symmetric extension
//!    (whole-sample for odd-length filters, half-sample with antisymmetric high-pass for even-length
//!    ones), node 19 down to node 0;
//! 6. de-normalisation `pixel = round(value·R + M)` clamped to 0..=255.
//!
//! Floating point is `f32` throughout, as in the NIST reference implementation, so output matches
//! reference decoders to within rounding. Every read is bounds-checked: malformed input is an
//! [`ImageError::Wsq`], never a panic; image sides are limited to [`crate::image::MAX_SIDE`] before
//! any pixel buffer is allocated. Cost: about 3 float passes over the image; single-threaded; pure.

use crate::error::ImageError;

const SOI: u16 = 0xFFA0;
const EOI: u16 = 0xFFA1;
const SOF: u16 = 0xFFA2;
const SOB: u16 = 0xFFA3;
const DTT: u16 = 0xFFA4;
const DQT: u16 = 0xFFA5;
const DHT: u16 = 0xFFA6;
const COM: u16 = 0xFFA8;

/// Number of subbands.
const NUM_SUBBANDS: usize = 64;
/// Huffman tables a stream may define.
const MAX_HUFF_TABLES: usize = 8;
/// Longest Huffman code in bits.
const MAX_HUFFBITS: usize = 16;
/// Most values a Huffman table may list.
const MAX_HUFFCOUNTS: usize = 256;
/// Longest analysis filter accepted (real encoders use 7 and 9 taps).
const MAX_FILTER_TAPS: u8 = 64;

/// A decoded WSQ image.
#[derive(Debug, Clone)]
pub struct WsqImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Resolution from a NISTCOM comment (`PPI` field), if stated and positive.
    pub ppi: Option<u16>,
    /// Row-major 8-bit pixels.
    pub pixels: Vec<u8>,
}

/// True if the bytes start with the WSQ start-of-image marker `FF A0`.
pub fn is_wsq(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] == 0xA0
}

fn err(msg: impl Into<String>) -> ImageError {
    ImageError::Wsq(msg.into())
}

struct Input<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    fn u8(&mut self) -> Result<u8, ImageError> {
        let b = *self.bytes.get(self.pos).ok_or_else(|| err(format!("unexpected end of data at byte {}", self.pos)))?;
        self.pos += 1;
        Ok(b)
    }
    fn u16(&mut self) -> Result<u16, ImageError> {
        Ok(((self.u8()? as u16) << 8) | self.u8()? as u16)
    }
    fn u32(&mut self) -> Result<u32, ImageError> {
        Ok(((self.u16()? as u32) << 16) | self.u16()? as u32)
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], ImageError> {
        if self.bytes.len() - self.pos < n {
            return Err(err(format!("segment of {n} bytes at byte {} runs past the end", self.pos)));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    /// A scaled value: `value / 10^scale`.
    fn scaled(&mut self, value: f32, scale: u8) -> f32 {
        let mut v = value;
        for _ in 0..scale {
            v /= 10.0;
        }
        v
    }
}

#[derive(Default, Clone)]
struct TransformTable {
    lofilt: Vec<f32>,
    hifilt: Vec<f32>,
}

#[derive(Clone)]
struct QuantTable {
    bin_center: f32,
    q: [f32; NUM_SUBBANDS],
    z: [f32; NUM_SUBBANDS],
}

#[derive(Clone)]
struct HuffTable {
    bits: [u8; MAX_HUFFBITS],
    values: Vec<u8>,
}

struct FrameHeader {
    width: usize,
    height: usize,
    m_shift: f32,
    r_scale: f32,
}

#[derive(Default)]
struct Tables {
    dtt: Option<TransformTable>,
    dqt: Option<QuantTable>,
    dht: [Option<HuffTable>; MAX_HUFF_TABLES],
    ppi: Option<u16>,
}

/// (-1)^power.
fn alternating_sign(power: usize) -> f32 {
    if power % 2 == 0 { 1.0 } else { -1.0 }
}

fn read_transform_table(inp: &mut Input) -> Result<TransformTable, ImageError> {
    let _len = inp.u16()?;
    // The stream stores the analysis filters: first the low-pass half (its length is called
    // "hisz" by the decoder because it becomes the synthesis high-pass), then the high-pass half.
    let hisz = inp.u8()?;
    let losz = inp.u8()?;
    if hisz == 0 || losz == 0 || hisz > MAX_FILTER_TAPS || losz > MAX_FILTER_TAPS {
        return Err(err(format!("transform table filter lengths {hisz}/{losz} out of range")));
    }
    let (hisz, losz) = (hisz as usize, losz as usize);
    let mut hifilt = vec![0f32; hisz];
    let mut lofilt = vec![0f32; losz];
    let coefficient = |inp: &mut Input| -> Result<f32, ImageError> {
        let sign = inp.u8()?;
        let scale = inp.u8()?;
        let raw = inp.u32()? as f32;
        let v = inp.scaled(raw, scale);
        Ok(if sign != 0 { -v } else { v })
    };
    let a_size = hisz.div_ceil(2) - 1;
    for cnt in 0..=a_size {
        let a = coefficient(inp)?;
        if hisz % 2 == 1 {
            hifilt[cnt + a_size] = alternating_sign(cnt) * a;
            if cnt > 0 {
                hifilt[a_size - cnt] = hifilt[cnt + a_size];
            }
        } else {
            hifilt[cnt + a_size + 1] = alternating_sign(cnt) * a;
            hifilt[a_size - cnt] = -hifilt[cnt + a_size + 1];
        }
    }
    let a_size = losz.div_ceil(2) - 1;
    for cnt in 0..=a_size {
        let a = coefficient(inp)?;
        if losz % 2 == 1 {
            lofilt[cnt + a_size] = alternating_sign(cnt) * a;
            if cnt > 0 {
                lofilt[a_size - cnt] = lofilt[cnt + a_size];
            }
        } else {
            lofilt[cnt + a_size + 1] = alternating_sign(cnt + 1) * a;
            lofilt[a_size - cnt] = lofilt[cnt + a_size + 1];
        }
    }
    Ok(TransformTable { lofilt, hifilt })
}

fn read_quant_table(inp: &mut Input) -> Result<QuantTable, ImageError> {
    let _len = inp.u16()?;
    let scale = inp.u8()?;
    let raw = inp.u16()? as f32;
    let bin_center = inp.scaled(raw, scale);
    let mut q = [0f32; NUM_SUBBANDS];
    let mut z = [0f32; NUM_SUBBANDS];
    for i in 0..NUM_SUBBANDS {
        let s = inp.u8()?;
        let v = inp.u16()? as f32;
        q[i] = inp.scaled(v, s);
        let s = inp.u8()?;
        let v = inp.u16()? as f32;
        z[i] = inp.scaled(v, s);
    }
    Ok(QuantTable { bin_center, q, z })
}

fn read_huffman_tables(inp: &mut Input, tables: &mut [Option<HuffTable>; MAX_HUFF_TABLES]) -> Result<(), ImageError> {
    let len = inp.u16()? as usize;
    let mut left = len.checked_sub(2).ok_or_else(|| err("Huffman table length < 2"))?;
    if left == 0 {
        return Err(err("empty Huffman table segment"));
    }
    while left > 0 {
        let id = inp.u8()? as usize;
        if id >= MAX_HUFF_TABLES {
            return Err(err(format!("Huffman table id {id} ≥ {MAX_HUFF_TABLES}")));
        }
        let mut bits = [0u8; MAX_HUFFBITS];
        for b in bits.iter_mut() {
            *b = inp.u8()?;
        }
        let count: usize = bits.iter().map(|&b| b as usize).sum();
        if count > MAX_HUFFCOUNTS {
            return Err(err(format!("Huffman table {id} lists {count} values")));
        }
        let values = inp.take(count)?.to_vec();
        left = left
            .checked_sub(1 + MAX_HUFFBITS + count)
            .ok_or_else(|| err("Huffman table segment shorter than its tables"))?;
        tables[id] = Some(HuffTable { bits, values });
    }
    Ok(())
}

fn read_comment(inp: &mut Input, tables: &mut Tables) -> Result<(), ImageError> {
    let len = inp.u16()? as usize;
    let text = inp.take(len.checked_sub(2).ok_or_else(|| err("comment length < 2"))?)?;
    if text.starts_with(b"NIST_COM") {
        for line in String::from_utf8_lossy(text).lines() {
            if let Some(v) = line.strip_prefix("PPI ") {
                if let Ok(ppi) = v.trim().parse::<i32>() {
                    if (1..=i32::from(u16::MAX)).contains(&ppi) {
                        tables.ppi = Some(ppi as u16);
                    }
                }
            }
        }
    }
    Ok(())
}

fn read_table(marker: u16, inp: &mut Input, tables: &mut Tables) -> Result<(), ImageError> {
    match marker {
        DTT => tables.dtt = Some(read_transform_table(inp)?),
        DQT => tables.dqt = Some(read_quant_table(inp)?),
        DHT => read_huffman_tables(inp, &mut tables.dht)?,
        COM => read_comment(inp, tables)?,
        m => {
            return Err(err(format!("unexpected marker {m:04X} where a table was expected")));
        }
    }
    Ok(())
}

fn read_frame_header(inp: &mut Input) -> Result<FrameHeader, ImageError> {
    let _len = inp.u16()?;
    let _black = inp.u8()?;
    let _white = inp.u8()?;
    let height = inp.u16()? as usize;
    let width = inp.u16()? as usize;
    let s = inp.u8()?;
    let v = inp.u16()? as f32;
    let m_shift = inp.scaled(v, s);
    let s = inp.u8()?;
    let v = inp.u16()? as f32;
    let r_scale = inp.scaled(v, s);
    let _encoder = inp.u8()?;
    let _software = inp.u16()?;
    let max = crate::image::MAX_SIDE as usize;
    if width == 0 || height == 0 || width > max || height > max {
        return Err(err(format!("frame of {width}x{height} px outside 1..={max}")));
    }
    Ok(FrameHeader { width, height, m_shift, r_scale })
}

// ------------------------------------------------------------------------------------------
// Subband geometry.

#[derive(Clone, Copy, Default, Debug)]
struct WNode {
    x: usize,
    y: usize,
    lenx: usize,
    leny: usize,
    inv_rw: bool,
    inv_cl: bool,
}

#[derive(Clone, Copy, Default, Debug)]
struct QNode {
    x: usize,
    y: usize,
    lenx: usize,
    leny: usize,
}

/// Splits of a length into (first, second) halves: (ceil, floor) normally.
fn halves(len: usize) -> (usize, usize) {
    if len % 2 == 0 { (len / 2, len / 2) } else { (len.div_ceil(2), len.div_ceil(2) - 1) }
}

// Mirrors the WSQ specification's (and NBIS') tree-building step, parameter for parameter.
#[allow(clippy::too_many_arguments)]
fn w_tree4(w: &mut [WNode; 20], p1: usize, p2: usize, lenx: usize, leny: usize, x: usize, y: usize, stop1: bool) {
    w[p1].x = x;
    w[p1].y = y;
    w[p1].lenx = lenx;
    w[p1].leny = leny;
    w[p2].x = x;
    w[p2 + 2].x = x;
    w[p2].y = y;
    w[p2 + 1].y = y;
    if lenx % 2 == 0 {
        w[p2].lenx = lenx / 2;
        w[p2 + 1].lenx = w[p2].lenx;
    } else if p1 == 4 {
        w[p2].lenx = (lenx - 1) / 2;
        w[p2 + 1].lenx = w[p2].lenx + 1;
    } else {
        w[p2].lenx = lenx.div_ceil(2);
        w[p2 + 1].lenx = w[p2].lenx - 1;
    }
    w[p2 + 1].x = w[p2].lenx + x;
    if !stop1 {
        w[p2 + 3].lenx = w[p2 + 1].lenx;
        w[p2 + 3].x = w[p2 + 1].x;
    }
    w[p2 + 2].lenx = w[p2].lenx;
    if leny % 2 == 0 {
        w[p2].leny = leny / 2;
        w[p2 + 2].leny = w[p2].leny;
    } else if p1 == 5 {
        w[p2].leny = (leny - 1) / 2;
        w[p2 + 2].leny = w[p2].leny + 1;
    } else {
        w[p2].leny = leny.div_ceil(2);
        w[p2 + 2].leny = w[p2].leny - 1;
    }
    w[p2 + 2].y = w[p2].leny + y;
    if !stop1 {
        w[p2 + 3].leny = w[p2 + 2].leny;
        w[p2 + 3].y = w[p2 + 2].y;
    }
    w[p2 + 1].leny = w[p2].leny;
}

fn build_w_tree(width: usize, height: usize) -> [WNode; 20] {
    let mut w = [WNode::default(); 20];
    for n in [2, 4, 7, 9, 11, 13, 16, 18] {
        w[n].inv_rw = true;
    }
    for n in [3, 5, 8, 9, 12, 13, 17, 18] {
        w[n].inv_cl = true;
    }
    w_tree4(&mut w, 0, 1, width, height, 0, 0, true);
    let (lenx, lenx2) = halves(w[1].lenx);
    let (leny, leny2) = halves(w[1].leny);
    w_tree4(&mut w, 4, 6, lenx2, leny, lenx, 0, false);
    w_tree4(&mut w, 5, 10, lenx, leny2, 0, leny, false);
    w_tree4(&mut w, 14, 15, lenx, leny, 0, 0, false);
    w[19].x = 0;
    w[19].y = 0;
    w[19].lenx = w[15].lenx.div_ceil(2);
    w[19].leny = w[15].leny.div_ceil(2);
    w
}

#[allow(clippy::too_many_arguments)]
fn q_tree16(q: &mut [QNode; NUM_SUBBANDS], p: usize, lenx: usize, leny: usize, x: usize, y: usize, rw: bool, cl: bool) {
    let (tempx, temp2x) = if lenx % 2 == 0 {
        (lenx / 2, lenx / 2)
    } else if cl {
        (lenx.div_ceil(2) - 1, lenx.div_ceil(2))
    } else {
        (lenx.div_ceil(2), lenx.div_ceil(2) - 1)
    };
    let (tempy, temp2y) = if leny % 2 == 0 {
        (leny / 2, leny / 2)
    } else if rw {
        (leny.div_ceil(2) - 1, leny.div_ceil(2))
    } else {
        (leny.div_ceil(2), leny.div_ceil(2) - 1)
    };
    q[p].x = x;
    q[p + 2].x = x;
    q[p].y = y;
    q[p + 1].y = y;
    if tempx % 2 == 0 {
        let l = tempx / 2;
        for k in 0..4 {
            q[p + k].lenx = l;
        }
    } else {
        q[p].lenx = tempx.div_ceil(2);
        q[p + 1].lenx = q[p].lenx - 1;
        q[p + 2].lenx = q[p].lenx;
        q[p + 3].lenx = q[p + 1].lenx;
    }
    q[p + 1].x = x + q[p].lenx;
    q[p + 3].x = q[p + 1].x;
    if tempy % 2 == 0 {
        let l = tempy / 2;
        for k in 0..4 {
            q[p + k].leny = l;
        }
    } else {
        q[p].leny = tempy.div_ceil(2);
        q[p + 1].leny = q[p].leny;
        q[p + 2].leny = q[p].leny - 1;
        q[p + 3].leny = q[p + 2].leny;
    }
    q[p + 2].y = y + q[p].leny;
    q[p + 3].y = q[p + 2].y;

    q[p + 4].x = x + tempx;
    q[p + 6].x = q[p + 4].x;
    q[p + 4].y = y;
    q[p + 5].y = y;
    q[p + 6].y = q[p + 2].y;
    q[p + 7].y = q[p + 2].y;
    q[p + 4].leny = q[p].leny;
    q[p + 5].leny = q[p].leny;
    q[p + 6].leny = q[p + 2].leny;
    q[p + 7].leny = q[p + 2].leny;
    if temp2x % 2 == 0 {
        let l = temp2x / 2;
        for k in 4..8 {
            q[p + k].lenx = l;
        }
    } else {
        q[p + 5].lenx = temp2x.div_ceil(2);
        q[p + 4].lenx = q[p + 5].lenx - 1;
        q[p + 6].lenx = q[p + 4].lenx;
        q[p + 7].lenx = q[p + 5].lenx;
    }
    q[p + 5].x = q[p + 4].x + q[p + 4].lenx;
    q[p + 7].x = q[p + 5].x;

    q[p + 8].x = x;
    q[p + 9].x = q[p + 1].x;
    q[p + 10].x = x;
    q[p + 11].x = q[p + 1].x;
    q[p + 8].y = y + tempy;
    q[p + 9].y = q[p + 8].y;
    q[p + 8].lenx = q[p].lenx;
    q[p + 9].lenx = q[p + 1].lenx;
    q[p + 10].lenx = q[p].lenx;
    q[p + 11].lenx = q[p + 1].lenx;
    if temp2y % 2 == 0 {
        let l = temp2y / 2;
        for k in 8..12 {
            q[p + k].leny = l;
        }
    } else {
        q[p + 10].leny = temp2y.div_ceil(2);
        q[p + 11].leny = q[p + 10].leny;
        q[p + 8].leny = q[p + 10].leny - 1;
        q[p + 9].leny = q[p + 8].leny;
    }
    q[p + 10].y = q[p + 8].y + q[p + 8].leny;
    q[p + 11].y = q[p + 10].y;

    q[p + 12].x = q[p + 4].x;
    q[p + 13].x = q[p + 5].x;
    q[p + 14].x = q[p + 4].x;
    q[p + 15].x = q[p + 5].x;
    q[p + 12].y = q[p + 8].y;
    q[p + 13].y = q[p + 8].y;
    q[p + 14].y = q[p + 10].y;
    q[p + 15].y = q[p + 10].y;
    q[p + 12].lenx = q[p + 4].lenx;
    q[p + 13].lenx = q[p + 5].lenx;
    q[p + 14].lenx = q[p + 4].lenx;
    q[p + 15].lenx = q[p + 5].lenx;
    q[p + 12].leny = q[p + 8].leny;
    q[p + 13].leny = q[p + 8].leny;
    q[p + 14].leny = q[p + 10].leny;
    q[p + 15].leny = q[p + 10].leny;
}

fn q_tree4(q: &mut [QNode; NUM_SUBBANDS], p: usize, lenx: usize, leny: usize, x: usize, y: usize) {
    q[p].x = x;
    q[p + 2].x = x;
    q[p].y = y;
    q[p + 1].y = y;
    if lenx % 2 == 0 {
        for k in 0..4 {
            q[p + k].lenx = lenx / 2;
        }
    } else {
        q[p].lenx = lenx.div_ceil(2);
        q[p + 1].lenx = q[p].lenx - 1;
        q[p + 2].lenx = q[p].lenx;
        q[p + 3].lenx = q[p + 1].lenx;
    }
    q[p + 1].x = x + q[p].lenx;
    q[p + 3].x = q[p + 1].x;
    if leny % 2 == 0 {
        for k in 0..4 {
            q[p + k].leny = leny / 2;
        }
    } else {
        q[p].leny = leny.div_ceil(2);
        q[p + 1].leny = q[p].leny;
        q[p + 2].leny = q[p].leny - 1;
        q[p + 3].leny = q[p + 2].leny;
    }
    q[p + 2].y = y + q[p].leny;
    q[p + 3].y = q[p + 2].y;
}

fn build_q_tree(w: &[WNode; 20]) -> [QNode; NUM_SUBBANDS] {
    let mut q = [QNode::default(); NUM_SUBBANDS];
    q_tree16(&mut q, 3, w[14].lenx, w[14].leny, w[14].x, w[14].y, false, false);
    q_tree16(&mut q, 19, w[4].lenx, w[4].leny, w[4].x, w[4].y, false, true);
    q_tree16(&mut q, 48, w[0].lenx, w[0].leny, w[0].x, w[0].y, false, false);
    q_tree16(&mut q, 35, w[5].lenx, w[5].leny, w[5].x, w[5].y, true, false);
    q_tree4(&mut q, 0, w[19].lenx, w[19].leny, w[19].x, w[19].y);
    q
}

// ------------------------------------------------------------------------------------------
// Huffman decoding.

struct DecodeTable {
    maxcode: [i32; MAX_HUFFBITS + 1],
    mincode: [i32; MAX_HUFFBITS + 1],
    valptr: [i32; MAX_HUFFBITS + 1],
}

fn decode_table(t: &HuffTable) -> DecodeTable {
    // Canonical codes: lengths in order, consecutive codes per length.
    let mut codes = Vec::with_capacity(t.values.len());
    let mut code: i32 = 0;
    for len in 1..=MAX_HUFFBITS {
        for _ in 0..t.bits[len - 1] {
            codes.push(code);
            code += 1;
        }
        code <<= 1;
    }
    let mut d =
        DecodeTable { maxcode: [-1; MAX_HUFFBITS + 1], mincode: [0; MAX_HUFFBITS + 1], valptr: [0; MAX_HUFFBITS + 1] };
    let mut k = 0usize;
    for len in 1..=MAX_HUFFBITS {
        let n = t.bits[len - 1] as usize;
        if n == 0 {
            d.maxcode[len] = -1;
        } else {
            d.valptr[len] = k as i32;
            d.mincode[len] = codes[k];
            k += n;
            d.maxcode[len] = codes[k - 1];
        }
    }
    d
}

/// Bit reader over the entropy-coded data with 0xFF00 unstuffing; stops at a marker.
struct Bits<'a, 'b> {
    inp: &'b mut Input<'a>,
    byte: u8,
    count: u32,
}

enum Next {
    Bits(u32),
    Marker(u16),
}

impl Bits<'_, '_> {
    /// Reads `n` bits (1..=16). A marker can only appear at the start of a code (n == 1, no
    /// buffered bits): it is returned instead of bits.
    fn read(&mut self, n: u32) -> Result<Next, ImageError> {
        let mut out: u32 = 0;
        let mut need = n;
        while need > 0 {
            if self.count == 0 {
                let b = self.inp.u8()?;
                if b == 0xFF {
                    let b2 = self.inp.u8()?;
                    if b2 != 0x00 {
                        if n == 1 {
                            return Ok(Next::Marker(0xFF00 | b2 as u16));
                        }
                        return Err(err(format!("marker FF{b2:02X} inside a Huffman code")));
                    }
                }
                self.byte = b;
                self.count = 8;
            }
            let take = need.min(self.count);
            let shift = self.count - take;
            let bits = (self.byte as u32 >> shift) & ((1u32 << take) - 1);
            out = (out << take) | bits;
            self.count -= take;
            need -= take;
        }
        Ok(Next::Bits(out))
    }

    fn bits(&mut self, n: u32) -> Result<u32, ImageError> {
        match self.read(n)? {
            Next::Bits(b) => Ok(b),
            Next::Marker(m) => Err(err(format!("marker {m:04X} inside coded data"))),
        }
    }
}

/// Decodes every block's coefficients into `q` (length `width*height` at most).
fn huffman_decode(inp: &mut Input, tables: &mut Tables, num: usize) -> Result<Vec<i16>, ImageError> {
    let mut out: Vec<i16> = Vec::with_capacity(num);
    let mut marker = inp.u16()?;
    let mut blocks = 0;
    while marker != EOI {
        // Tables may precede each block.
        while marker != SOB {
            if marker == EOI {
                return finish_coefficients(out, num);
            }
            read_table(marker, inp, tables)?;
            marker = inp.u16()?;
        }
        blocks += 1;
        if blocks > 3 {
            return Err(err("more than three blocks"));
        }
        let _len = inp.u16()?;
        let id = inp.u8()? as usize;
        let table = tables
            .dht
            .get(id)
            .and_then(|t| t.clone())
            .ok_or_else(|| err(format!("block uses undefined Huffman table {id}")))?;
        let dec = decode_table(&table);
        let mut bits = Bits { inp, byte: 0, count: 0 };
        marker = loop {
            // One Huffman category.
            let mut code = match bits.read(1)? {
                Next::Marker(m) => break m,
                Next::Bits(b) => b as i32,
            };
            let mut len = 1;
            let mut end_marker = None;
            while code > dec.maxcode[len] {
                len += 1;
                if len > MAX_HUFFBITS {
                    return Err(err("invalid Huffman code"));
                }
                match bits.read(1)? {
                    Next::Bits(b) => code = (code << 1) | b as i32,
                    // Encoders pad a block's last byte with 1-bits; the marker after the padding
                    // ends the block and the partial code is discarded.
                    Next::Marker(m) => {
                        end_marker = Some(m);
                        break;
                    }
                }
            }
            if let Some(m) = end_marker {
                break m;
            }
            let index = dec.valptr[len] + code - dec.mincode[len];
            let category = *table
                .values
                .get(usize::try_from(index).map_err(|_| err("invalid Huffman code"))?)
                .ok_or_else(|| err("Huffman code outside its table"))? as u32;
            let zeros = |n: usize, out: &mut Vec<i16>| -> Result<(), ImageError> {
                if out.len() + n > num {
                    return Err(err("more coefficients than pixels"));
                }
                out.resize(out.len() + n, 0);
                Ok(())
            };
            let value = |v: i32, out: &mut Vec<i16>| -> Result<(), ImageError> {
                if out.len() >= num {
                    return Err(err("more coefficients than pixels"));
                }
                out.push(v as i16);
                Ok(())
            };
            match category {
                1..=100 => zeros(category as usize, &mut out)?,
                101 => value(bits.bits(8)? as i32, &mut out)?,
                102 => value(-(bits.bits(8)? as i32), &mut out)?,
                103 => value(bits.bits(16)? as i32, &mut out)?,
                104 => value(-(bits.bits(16)? as i32), &mut out)?,
                105 => zeros(bits.bits(8)? as usize, &mut out)?,
                106 => zeros(bits.bits(16)? as usize, &mut out)?,
                107..=254 => value(category as i32 - 180, &mut out)?,
                c => return Err(err(format!("invalid Huffman category {c}"))),
            }
        };
        // Comments may follow the last block.
        while marker == COM {
            read_comment(inp, tables)?;
            marker = inp.u16()?;
        }
    }
    finish_coefficients(out, num)
}

fn finish_coefficients(mut out: Vec<i16>, num: usize) -> Result<Vec<i16>, ImageError> {
    if out.is_empty() {
        return Err(err("no coded data"));
    }
    // Fewer coefficients than subband pixels can occur when trailing zero runs are omitted.
    out.resize(num, 0);
    Ok(out)
}

fn unquantize(
    q: &[i16],
    dqt: &QuantTable,
    qtree: &[QNode; NUM_SUBBANDS],
    width: usize,
    height: usize,
) -> Result<Vec<f32>, ImageError> {
    let mut f = vec![0f32; width * height];
    let c = dqt.bin_center;
    let mut k = 0usize;
    for (band, node) in qtree.iter().enumerate() {
        let qb = dqt.q[band];
        if qb == 0.0 {
            continue;
        }
        let half_z = dqt.z[band] / 2.0;
        if node.x + node.lenx > width || node.y + node.leny > height {
            return Err(err("subband outside the image"));
        }
        for row in 0..node.leny {
            let base = (node.y + row) * width + node.x;
            for col in 0..node.lenx {
                let s = *q.get(k).ok_or_else(|| err("too few coefficients"))?;
                k += 1;
                f[base + col] = match s {
                    0 => 0.0,
                    s if s > 0 => qb * (s as f32 - c) + half_z,
                    s => qb * (s as f32 + c) - half_z,
                };
            }
        }
    }
    Ok(f)
}

/// One-dimensional synthesis of `len1` lines of `len2` samples: low-pass then high-pass
/// coefficients in `old` (or the reverse when `inv`), interleaved and filtered into `new`.
#[allow(clippy::too_many_arguments)]
fn join_lets(
    new: &mut [f32],
    new_base: usize,
    old: &[f32],
    old_base: usize,
    len1: usize,
    len2: usize,
    pitch: usize,
    stride: usize,
    hi_in: &[f32],
    lo: &[f32],
    inv: bool,
) {
    let hsz = hi_in.len() as isize;
    let lsz = lo.len() as isize;
    let da_ev = len2 % 2 == 1;
    let fi_ev = lsz % 2 == 1;
    let pstr = stride as isize;
    let nstr = -pstr;
    let (llen, hlen) = if da_ev {
        (len2.div_ceil(2) as isize, len2.div_ceil(2) as isize - 1)
    } else {
        ((len2 / 2) as isize, (len2 / 2) as isize)
    };
    let hi: Vec<f32> = if fi_ev { hi_in.to_vec() } else { hi_in.iter().map(|v| -v).collect() };
    let (asym, ssfac, ofhre, mut loc, mut hoc, lotap, hotap, mut olle, olre, mut ohle, ohre);
    if fi_ev {
        asym = false;
        ssfac = 1.0f32;
        ofhre = 0i32;
        loc = (lsz - 1) / 4;
        hoc = (hsz + 1) / 4 - 1;
        lotap = ((lsz - 1) / 2) % 2;
        hotap = ((hsz + 1) / 2) % 2;
        if da_ev {
            (olle, olre, ohle, ohre) = (false, false, true, true);
        } else {
            (olle, olre, ohle, ohre) = (false, true, true, false);
        }
    } else {
        asym = true;
        ssfac = -1.0;
        ofhre = 2;
        loc = lsz / 4 - 1;
        hoc = hsz / 4 - 1;
        lotap = (lsz / 2) % 2;
        hotap = (hsz / 2) % 2;
        if da_ev {
            (olle, olre, ohle, ohre) = (true, false, true, true);
        } else {
            (olle, olre, ohle, ohre) = (true, true, true, true);
        }
        if loc == -1 {
            loc = 0;
            olle = false;
        }
        if hoc == -1 {
            hoc = 0;
            ohle = false;
        }
    }
    // Out-of-line reads cannot happen for valid geometry; reading 0 keeps corrupt input panic-free.
    let at = |i: isize| -> f32 { if i < 0 { 0.0 } else { old.get(i as usize).copied().unwrap_or(0.0) } };

    for cl_rw in 0..len1 {
        let mut img = (new_base + cl_rw * pitch) as isize;
        for z in [img, img + pstr] {
            if let Some(v) = new.get_mut(z as usize) {
                *v = 0.0;
            }
        }
        let line = (old_base + cl_rw * pitch) as isize;
        let (lopass, hipass) = if inv { (line + pstr * hlen, line) } else { (line, line + pstr * llen) };
        let lp0 = lopass;
        let lp1 = lp0 + (llen - 1) * pstr;
        let mut lspx = lp0 + loc * pstr;
        let mut lspxstr = nstr;
        let mut lstap = lotap;
        let mut lle2 = olle;
        let lre2 = olre;
        let hp0 = hipass;
        let hp1 = hp0 + (hlen - 1) * pstr;
        let mut hspx = hp0 + hoc * pstr;
        let mut hspxstr = nstr;
        let mut hstap = hotap;
        let mut hle2 = ohle;
        let hre2 = ohre;
        let mut osfac = ssfac;
        let mut fhre: i32 = ofhre;

        // Low-pass contribution for output taps starting at `tap`.
        let low = |new: &mut [f32], img: isize, tap: isize, lspx: isize, lspxstr: isize, lle2: bool| {
            let (mut lle, mut lre) = (lle2, lre2);
            let mut lpx = lspx;
            let mut lpxstr = lspxstr;
            let mut acc = at(lpx) * lo[tap as usize];
            let mut i = tap + 2;
            while i < lsz {
                if lpx == lp0 {
                    if lle {
                        lpxstr = 0;
                        lle = false;
                    } else {
                        lpxstr = pstr;
                    }
                }
                if lpx == lp1 {
                    if lre {
                        lpxstr = 0;
                        lre = false;
                    } else {
                        lpxstr = nstr;
                    }
                }
                lpx += lpxstr;
                acc += at(lpx) * lo[i as usize];
                i += 2;
            }
            if let Some(v) = new.get_mut(img as usize) {
                *v = acc;
            }
        };
        #[allow(clippy::too_many_arguments)]
        let high = |new: &mut [f32],
                    img: isize,
                    tap: isize,
                    hspx: isize,
                    hspxstr: isize,
                    hle2: bool,
                    mut fhre: i32,
                    mut sfac: f32|
         -> i32 {
            let (mut hle, mut hre) = (hle2, hre2);
            let mut hpx = hspx;
            let mut hpxstr = hspxstr;
            let mut i = tap;
            while i < hsz {
                if hpx == hp0 {
                    if hle {
                        hpxstr = 0;
                        hle = false;
                    } else {
                        hpxstr = pstr;
                        sfac = 1.0;
                    }
                }
                if hpx == hp1 {
                    if hre {
                        hpxstr = 0;
                        hre = false;
                        if asym && da_ev {
                            hre = true;
                            fhre -= 1;
                            sfac = fhre as f32;
                            if sfac == 0.0 {
                                hre = false;
                            }
                        }
                    } else {
                        hpxstr = nstr;
                        if asym {
                            sfac = -1.0;
                        }
                    }
                }
                if let Some(v) = new.get_mut(img as usize) {
                    *v += at(hpx) * hi[i as usize] * sfac;
                }
                hpx += hpxstr;
                i += 2;
            }
            fhre
        };

        // `new` at img and img+stride start at zero, so high-pass taps accumulate onto the
        // low-pass values written in the same positions (low first, then high, as in the reference).
        let mut himg = img;
        for _pix in 0..hlen {
            let mut tap = lstap;
            while tap >= 0 {
                low(new, img, tap, lspx, lspxstr, lle2);
                img += pstr;
                tap -= 1;
            }
            if lspx == lp0 {
                if lle2 {
                    lspxstr = 0;
                    lle2 = false;
                } else {
                    lspxstr = pstr;
                }
            }
            lspx += lspxstr;
            lstap = 1;

            let mut tap = hstap;
            while tap >= 0 {
                high(new, himg, tap, hspx, hspxstr, hle2, ofhre, osfac);
                himg += pstr;
                tap -= 1;
            }
            if hspx == hp0 {
                if hle2 {
                    hspxstr = 0;
                    hle2 = false;
                } else {
                    hspxstr = pstr;
                    osfac = 1.0;
                }
            }
            hspx += hspxstr;
            hstap = 1;
        }

        lstap = if da_ev {
            if lotap != 0 { 1 } else { 0 }
        } else if lotap != 0 {
            2
        } else {
            1
        };
        let mut tap = 1;
        while tap >= lstap {
            low(new, img, tap, lspx, lspxstr, lle2);
            img += pstr;
            tap -= 1;
        }

        if da_ev {
            hstap = if hotap != 0 { 1 } else { 0 };
            if hsz == 2 {
                hspx -= hspxstr;
                fhre = 1;
            }
        } else {
            hstap = if hotap != 0 { 2 } else { 1 };
        }
        let mut tap = 1;
        while tap >= hstap {
            if hsz != 2 {
                fhre = ofhre;
            }
            fhre = high(new, himg, tap, hspx, hspxstr, hle2, fhre, osfac);
            himg += pstr;
            tap -= 1;
        }
    }
}

fn reconstruct(
    f: &mut [f32],
    width: usize,
    height: usize,
    w: &[WNode; 20],
    dtt: &TransformTable,
) -> Result<(), ImageError> {
    let mut tmp = vec![0f32; width * height];
    for node in w.iter().rev() {
        if node.lenx == 0 || node.leny == 0 || node.x + node.lenx > width || node.y + node.leny > height {
            return Err(err("image too small for the WSQ subband structure"));
        }
        let base = node.y * width + node.x;
        // Columns first (vertical synthesis, column inversion flag), then rows.
        join_lets(&mut tmp, base, f, base, node.lenx, node.leny, 1, width, &dtt.hifilt, &dtt.lofilt, node.inv_cl);
        join_lets(f, base, &tmp, base, node.leny, node.lenx, width, 1, &dtt.hifilt, &dtt.lofilt, node.inv_rw);
    }
    Ok(())
}

/// Decodes a WSQ file. See the module documentation for the steps and their cost.
pub fn decode(bytes: &[u8]) -> Result<WsqImage, ImageError> {
    let mut inp = Input { bytes, pos: 0 };
    if inp.u16()? != SOI {
        return Err(err("missing SOI marker (FFA0)"));
    }
    let mut tables = Tables::default();
    let mut marker = inp.u16()?;
    while marker != SOF {
        read_table(marker, &mut inp, &mut tables)?;
        marker = inp.u16()?;
    }
    let frame = read_frame_header(&mut inp)?;
    let (width, height) = (frame.width, frame.height);
    let w_tree = build_w_tree(width, height);
    let q_tree = build_q_tree(&w_tree);
    let coefficients = huffman_decode(&mut inp, &mut tables, width * height)?;
    let dqt = tables.dqt.as_ref().ok_or_else(|| err("no quantisation table (DQT)"))?;
    let dtt = tables.dtt.as_ref().ok_or_else(|| err("no transform table (DTT)"))?;
    let mut f = unquantize(&coefficients, dqt, &q_tree, width, height)?;
    reconstruct(&mut f, width, height, &w_tree, dtt)?;
    let pixels = f
        .iter()
        .map(|&v| {
            let p = v * frame.r_scale + frame.m_shift + 0.5;
            if p < 0.0 {
                0
            } else if p > 255.0 {
                255
            } else {
                p as u8
            }
        })
        .collect();
    Ok(WsqImage { width: width as u32, height: height as u32, ppi: tables.ppi, pixels })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn w_tree_covers_the_image() {
        let w = build_w_tree(545, 622);
        assert_eq!((w[0].lenx, w[0].leny), (545, 622));
        // The four quadrants of the first split tile the image.
        assert_eq!(w[1].lenx + w[2].lenx, 545);
        assert_eq!(w[1].leny + w[3].leny, 622);
        let q = build_q_tree(&w);
        let area: usize = q[..60].iter().map(|n| n.lenx * n.leny).sum();
        assert!(area <= 545 * 622);
    }

    #[test]
    fn garbage_is_a_typed_error() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[0xFF, 0xA0]).is_err());
        assert!(decode(&[0xFF, 0xA0, 0xFF, 0xA2, 0, 17]).is_err());
        assert!(decode(b"not a wsq file").is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_after_soi_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let mut b = vec![0xFF, 0xA0];
            b.extend(tail);
            let _ = decode(&b);
        }
    }
}
