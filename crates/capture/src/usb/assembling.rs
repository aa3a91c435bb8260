//! Swipe-frame assembly as the reference stack (libfprint `fpi-assembling.c`) does it, so swipe
//! drivers reproduce its images exactly: movement estimation by exhaustive block matching
//! between consecutive frames (dy 2..h, dx −8..7, mean absolute difference normalised to the
//! frame area, with the reference's 32-bit unsigned wrap-around), a forward/reverse consistency
//! choice, then blitting frames into a `frame_width × 3/2`-wide canvas.
//!
//! Pure functions on owned data; cost O(frames × h × 16 × w × h) for the estimation (≈ 0.1 s for
//! 30 ELAN frames).

/// One frame of `width × height` grey pixels plus its estimated offset from the previous frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Row-major pixels.
    pub pixels: Vec<u8>,
    /// Horizontal offset to the previous frame.
    pub delta_x: i32,
    /// Vertical offset to the previous frame.
    pub delta_y: i32,
}

/// Geometry shared by all frames of one capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Frame width.
    pub frame_width: u32,
    /// Frame height.
    pub frame_height: u32,
    /// Width of the assembled image.
    pub image_width: u32,
}

/// An assembled image and the orientation flags the reference attaches to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assembled {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// Row-major pixels (0 where no frame landed).
    pub pixels: Vec<u8>,
    /// True when the swipe ran "backwards": the image is then not rotated by 180°.
    pub reverse: bool,
}

fn px(g: &Geometry, f: &Frame, x: u32, y: u32) -> u8 {
    f.pixels.get((x + y * g.frame_width) as usize).copied().unwrap_or(0)
}

fn calc_error(g: &Geometry, first: &Frame, second: &Frame, dx: i32, dy: i32) -> u32 {
    let width = g.frame_width.wrapping_sub(dx.unsigned_abs());
    let height = g.frame_height.wrapping_sub(dy as u32);
    let mut err: u32 = 0;
    for i in 0..height {
        let (y1, y2) = (i, dy as u32 + i);
        let x1 = if dx < 0 { 0 } else { dx as u32 };
        let x2 = if dx < 0 { (-dx) as u32 } else { 0 };
        for j in 0..width {
            let (v1, v2) = (px(g, first, x1 + j, y1), px(g, second, x2 + j, y2));
            err = err.wrapping_add(v1.abs_diff(v2) as u32);
        }
    }
    err = err.wrapping_mul(g.frame_height * g.frame_width);
    let area = height.wrapping_mul(width);
    if area == 0 {
        return i32::MAX as u32;
    }
    err /= area;
    if err == 0 { i32::MAX as u32 } else { err }
}

/// Best (dx, dy) of `second` relative to `first`; updates `second`'s deltas only on improvement
/// (as the reference does). Returns the minimal error.
fn find_overlap(g: &Geometry, first: &Frame, second: &mut Frame) -> u32 {
    let mut min_error = 255 * g.frame_height * g.frame_width;
    for dy in 2..g.frame_height as i32 {
        for dx in -8..8 {
            let err = calc_error(g, first, second, dx, dy);
            if err < min_error {
                min_error = err;
                second.delta_x = -dx;
                second.delta_y = dy;
            }
        }
    }
    min_error
}

fn estimation_pass(g: &Geometry, frames: &mut [Frame], reverse: bool) -> u32 {
    if frames.is_empty() {
        return 0;
    }
    let mut total: u64 = 0;
    let mut prev = 0usize;
    for cur in 0..frames.len() {
        let min_error = if reverse {
            let first = frames[prev].clone();
            let e = find_overlap(g, &first, &mut frames[cur]);
            frames[cur].delta_y = -frames[cur].delta_y;
            frames[cur].delta_x = -frames[cur].delta_x;
            e
        } else {
            let second_prev = prev;
            let mut prev_frame = frames[second_prev].clone();
            let e = find_overlap(g, &frames[cur], &mut prev_frame);
            frames[second_prev] = prev_frame;
            e
        };
        total += min_error as u64;
        prev = cur;
    }
    (total / frames.len() as u64) as u32
}

/// Estimates `delta_x`/`delta_y` of every frame (forward, reverse, and forward again when the
/// forward error is smaller, exactly like the reference).
pub fn movement_estimation(g: &Geometry, frames: &mut [Frame]) {
    let err = estimation_pass(g, frames, false) as i32;
    let rev_err = estimation_pass(g, frames, true) as i32;
    if err < rev_err {
        estimation_pass(g, frames, false);
    }
}

fn blit(g: &Geometry, img: &mut [u8], img_w: u32, img_h: u32, f: &Frame, x: i32, y: i32) {
    let (mut ix, mut fx, mut width);
    if x < 0 {
        width = g.frame_width.wrapping_add(x as u32);
        ix = 0u32;
        fx = (-x) as u32;
    } else {
        ix = x as u32;
        fx = 0;
        width = g.frame_width;
    }
    if ix.wrapping_add(width) > img_w {
        width = img_w.wrapping_sub(ix);
    }
    let (mut iy, mut fy, mut height);
    if y < 0 {
        iy = 0u32;
        fy = (-y) as u32;
        height = g.frame_height.wrapping_add(y as u32);
    } else {
        iy = y as u32;
        fy = 0;
        height = g.frame_height;
    }
    if fx > g.frame_width || fy > g.frame_height || ix > img_w || iy > img_h {
        return;
    }
    if iy.wrapping_add(height) > img_h {
        height = img_h.wrapping_sub(iy);
    }
    while fy < height {
        if x < 0 {
            ix = 0;
            fx = (-x) as u32;
        } else {
            ix = x as u32;
            fx = 0;
        }
        while fx < width {
            if let Some(d) = img.get_mut((ix + iy * img_w) as usize) {
                *d = px(g, f, fx, fy);
            }
            fx += 1;
            ix += 1;
        }
        fy += 1;
        iy += 1;
    }
}

/// Assembles frames (deltas already estimated) into one image. `None` without frames.
pub fn assemble_frames(g: &Geometry, frames: &mut [Frame]) -> Option<Assembled> {
    let first = frames.first_mut()?;
    first.delta_x = 0;
    first.delta_y = 0;
    let mut height: i64 = frames.iter().map(|f| f.delta_y as i64).sum();
    let reverse = height < 0;
    if reverse {
        height = -height;
    }
    height += g.frame_height as i64;
    let height = u32::try_from(height).ok().filter(|&h| h <= 65_536)?;
    let w = g.image_width;
    let mut img = vec![0u8; (w * height) as usize];
    let mut y: i32 = if reverse { (height - g.frame_height) as i32 } else { 0 };
    let mut x: i32 = (w as i32 - g.frame_width as i32) / 2;
    for f in frames.iter() {
        if reverse {
            y += f.delta_y;
            x += f.delta_x;
        }
        blit(g, &mut img, w, height, f, x, y);
        if !reverse {
            y += f.delta_y;
            x += f.delta_x;
        }
    }
    Some(Assembled { width: w, height, pixels: img, reverse })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic swipe: frames cut from a tall pattern at a fixed step must be found at
    /// that step and reassembled into the pattern.
    #[test]
    fn recovers_a_constant_swipe_step() {
        let (w, h, step) = (32u32, 12u32, 4u32);
        // Random texture (a perfect match scores "no information" in the reference, so each
        // frame also gets ±1 sensor noise).
        let hash = |i: u32| i.wrapping_mul(2_654_435_761).rotate_left(13).wrapping_mul(40_503) >> 24;
        let tall: Vec<u8> = (0..w * 60).map(|i| hash(i) as u8).collect();
        let g = Geometry { frame_width: w, frame_height: h, image_width: w * 3 / 2 };
        let mut frames: Vec<Frame> = (0..8)
            .map(|k| Frame {
                pixels: tall[(k * step * w) as usize..((k * step + h) * w) as usize]
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| v.saturating_add((hash(i as u32 + 7919 * k) & 1) as u8))
                    .collect(),
                delta_x: 0,
                delta_y: 0,
            })
            .collect();
        movement_estimation(&g, &mut frames);
        // Reference semantics (forward pass): frame k carries the step from frame k to k+1; the
        // last frame keeps the reverse pass's value and the first is zeroed by the assembly.
        let deltas: Vec<(i32, i32)> = frames.iter().map(|f| (f.delta_x, f.delta_y)).collect();
        assert!(deltas[..7].iter().all(|&d| d == (0, step as i32)), "{deltas:?}");
        let a = assemble_frames(&g, &mut frames).unwrap();
        assert!(!a.reverse);
        assert_eq!(a.width, w * 3 / 2);
        assert_eq!(a.height as i32, 6 * step as i32 + frames[7].delta_y + h as i32);
    }

    #[test]
    fn empty_input_is_none() {
        let g = Geometry { frame_width: 4, frame_height: 4, image_width: 6 };
        assert!(assemble_frames(&g, &mut []).is_none());
    }
}
