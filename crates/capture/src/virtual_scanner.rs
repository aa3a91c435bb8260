//! A virtual [`Scanner`]: serves fingerprint images from a folder (`virtual:DIR`) or generates
//! synthetic fingers (`virtual`, `virtual:synth[:SEED]`), with scripted outcomes settable at run
//! time through a thread-safe [`VirtualControl`] handle.
//!
//! Modelled on libfprint's `virtual_device` (`SCAN <id>`, `RETRY`, `ERROR`, `FINGER 0|1`,
//! `SLEEP`, `UNPLUG`) and MOSIP's mock SBI device:
//!
//! * **which finger** is presented next: [`VirtualControl::set_next_image`] (finger, impression:
//!   one shot), [`VirtualControl::present_finger`] (sticky: "this person stands at the gate"; each
//!   capture serves the next impression of that finger), [`VirtualControl::set_next_file`]
//!   (folder source, by file name). Without a selection images cycle in a deterministic order
//!   (sorted file names; synthetic: finger 0 impressions 0..n, then finger 1, …).
//! * **what happens** at the next captures: a FIFO of [`Step`]s (retry with any [`RetryReason`],
//!   a low-quality image, an error of any kind, unplug, delay, no finger, hang), consumed one per
//!   capture; an empty script means "serve an image".
//! * **standing conditions**: finger on/off the sensor ([`VirtualControl::set_finger_present`]),
//!   a latency added to every capture ([`VirtualControl::set_latency`]), unplugged/replugged.
//!
//! Every wait (delay, no finger, hang) observes the capture's timeout, its [`CancelToken`] (polled
//! every [`POLL_INTERVAL`]) and control changes (woken through a condition variable), so a
//! capture never blocks longer than its timeout.
//!
//! Folder images are decoded with [`FingerImage::decode`] (PNG, TIFF, BMP, JPEG, PNM, WSQ) at
//! capture time; files are listed once at open. Synthetic images come from `ridgegate-synth`,
//! deterministic in `(seed, finger, impression)`; masters (≈ 0.3 s each to grow) are cached per
//! scanner, at most [`MASTER_CACHE`] of them (≈ 0.8 MB each at the default size).

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ridgegate_core::FingerImage;
use ridgegate_synth::{Master, SynthConfig};

use crate::{CancelToken, Capabilities, CaptureError, CaptureOutcome, DeviceInfo, OpenError, RetryReason, Scanner};

/// Longest sleep between two checks of a [`CancelToken`] while a capture waits.
pub const POLL_INTERVAL: Duration = Duration::from_millis(5);
/// Seed of the synthetic source when the selector names none (the committed testdata seed).
pub const DEFAULT_SEED: u64 = ridgegate_synth::TESTDATA_SEED;
/// Distinct fingers the synthetic source cycles through when no finger is selected.
pub const DEFAULT_FINGERS: u64 = 10;
/// Impressions per finger the synthetic source cycles through (FVC-style: 8).
pub const DEFAULT_IMPRESSIONS: u32 = 8;
/// Most synthetic master patterns kept in memory per scanner.
pub const MASTER_CACHE: usize = 16;
/// File extensions (lower case) a folder source serves.
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "tif", "tiff", "bmp", "jpg", "jpeg", "pgm", "pnm", "wsq"];
/// Contrast kept by a [`Step::LowQualityImage`] (fraction of the original deviation from mid-grey).
/// It was 0.15; extractor version 12 takes orientations on a blurred image and sees ridges through
/// that much pixel noise, so the stand-in smudge had to wash out further to stay unusable.
const LOW_QUALITY_CONTRAST: f32 = 0.05;
/// Grey level a low-quality image is washed out towards.
const LOW_QUALITY_BASE: f32 = 200.0;
/// Peak amplitude of the deterministic noise added to a low-quality image (grey levels).
const LOW_QUALITY_NOISE: f32 = 40.0;

/// Where a virtual scanner's images come from. Plain data.
#[derive(Debug, Clone, PartialEq)]
pub enum VirtualSource {
    /// Synthetic fingers from `ridgegate-synth`, deterministic by seed.
    Synthetic {
        /// Generator seed.
        seed: u64,
        /// Fingers cycled through when no finger is selected (selection may name any finger).
        fingers: u64,
        /// Impressions per finger (at most `ridgegate_synth::params::MAX_IMPRESSIONS`).
        impressions: u32,
        /// Image size.
        size: SynthConfig,
    },
    /// Image files of a folder (non-recursive), served in sorted file-name order.
    Folder {
        /// The folder.
        dir: PathBuf,
        /// Resolution to state for the images (files' own dpi is not trusted); `None` = 500.
        dpi: Option<u16>,
    },
}

impl VirtualSource {
    /// The default synthetic source: [`DEFAULT_SEED`], [`DEFAULT_FINGERS`] × [`DEFAULT_IMPRESSIONS`], 300 × 400.
    pub fn synthetic(seed: u64) -> Self {
        VirtualSource::Synthetic {
            seed,
            fingers: DEFAULT_FINGERS,
            impressions: DEFAULT_IMPRESSIONS,
            size: SynthConfig::default(),
        }
    }
}

/// Kinds of device error a [`Step::Error`] produces (each maps to one [`CaptureError`] variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// [`CaptureError::Protocol`].
    Protocol,
    /// [`CaptureError::Io`].
    Io,
    /// [`CaptureError::Timeout`] (carrying the capture's timeout) returned at once (use
    /// [`Step::Hang`] for a real wait).
    Timeout,
    /// [`CaptureError::Busy`].
    Busy,
    /// [`CaptureError::NotSupported`].
    NotSupported,
    /// [`CaptureError::BadImage`].
    BadImage,
}

/// One scripted capture outcome. Plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Serve the next image normally (what an empty script does).
    Image,
    /// Return `Ok(CaptureOutcome::Retry(reason))` at once.
    Retry(RetryReason),
    /// Serve the next image washed out and noisy: a capture that a quality check must reject.
    LowQualityImage,
    /// Fail with the given error.
    Error(FaultKind),
    /// The device disappears: this and every later capture fail with
    /// [`CaptureError::Unplugged`] until [`VirtualControl::replug`].
    Unplug,
    /// Wait this long, then serve the next image; a delay not shorter than the capture's timeout
    /// makes the capture fail with [`CaptureError::Timeout`] after the timeout.
    Delay(Duration),
    /// No finger arrives: wait for the whole timeout, then `Retry(NoFinger)`.
    NoFinger,
    /// The device stops answering: wait for the whole timeout, then [`CaptureError::Timeout`].
    Hang,
}

/// What a capture served. Plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// Folder source: the file name; synthetic: the FVC-style name `<finger+1>_<impression+1>.png`.
    pub label: String,
    /// Finger (0-based) when known (synthetic, or a folder file named `<finger+1>_<impression+1>.*`).
    pub finger: Option<u64>,
    /// Impression (0-based) when known.
    pub impression: Option<u32>,
    /// Whether the image was deliberately degraded ([`Step::LowQualityImage`]).
    pub degraded: bool,
}

/// Errors of the control handle's selection calls.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SelectError {
    /// The folder holds no image with that name or finger/impression.
    #[error("no image {0:?} in the virtual scanner's folder; list the folder for valid names")]
    NotFound(String),
    /// Impression index beyond what the synthetic source generates.
    #[error("impression {got} is out of range: the synthetic source has impressions 0..{max}")]
    ImpressionOutOfRange {
        /// Requested impression.
        got: u32,
        /// Number of impressions.
        max: u32,
    },
    /// Selecting by file name needs a folder source.
    #[error("selection by file name needs a folder source (virtual:DIR); use set_next_image for synthetic fingers")]
    NotAFolder,
}

/// Internal image reference: a folder file index or a synthetic (finger, impression).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pick {
    File(usize),
    Synth(u64, u32),
}

/// The resolved, immutable source shared by scanner and control.
#[derive(Debug)]
enum Resolved {
    Synthetic { seed: u64, fingers: u64, impressions: u32, size: SynthConfig },
    Folder { dir: PathBuf, dpi: Option<u16>, files: Vec<String> },
}

impl Resolved {
    /// Number of images in one full cycle.
    fn cycle_len(&self) -> u64 {
        match self {
            Resolved::Synthetic { fingers, impressions, .. } => fingers * *impressions as u64,
            Resolved::Folder { files, .. } => files.len() as u64,
        }
    }

    /// The `n`-th image of the default cycle.
    fn cycle_pick(&self, n: u64) -> Pick {
        match self {
            Resolved::Synthetic { impressions, .. } => {
                let k = n % self.cycle_len();
                Pick::Synth(k / *impressions as u64, (k % *impressions as u64) as u32)
            }
            Resolved::Folder { .. } => Pick::File((n % self.cycle_len()) as usize),
        }
    }

    /// Files of `finger` (folder names `<finger+1>_<k>.*`), in sorted order.
    fn finger_files(&self, finger: u64) -> Vec<usize> {
        match self {
            Resolved::Folder { files, .. } => {
                (0..files.len()).filter(|&i| parse_fvc(&files[i]).is_some_and(|(f, _)| f == finger)).collect()
            }
            Resolved::Synthetic { .. } => Vec::new(),
        }
    }

    fn pick_image(&self, finger: u64, impression: u32) -> Result<Pick, SelectError> {
        match self {
            Resolved::Synthetic { impressions, .. } => {
                if impression >= *impressions {
                    Err(SelectError::ImpressionOutOfRange { got: impression, max: *impressions })
                } else {
                    Ok(Pick::Synth(finger, impression))
                }
            }
            Resolved::Folder { files, .. } => files
                .iter()
                .position(|f| parse_fvc(f) == Some((finger, impression)))
                .map(Pick::File)
                .ok_or_else(|| SelectError::NotFound(format!("{}_{}.*", finger + 1, impression + 1))),
        }
    }

    fn describe(&self, pick: Pick, degraded: bool) -> Served {
        match (self, pick) {
            (Resolved::Folder { files, .. }, Pick::File(i)) => {
                let fvc = parse_fvc(&files[i]);
                Served { label: files[i].clone(), finger: fvc.map(|p| p.0), impression: fvc.map(|p| p.1), degraded }
            }
            (_, Pick::Synth(f, i)) => {
                Served { label: ridgegate_synth::fvc_name(f, i), finger: Some(f), impression: Some(i), degraded }
            }
            (_, Pick::File(i)) => Served { label: format!("#{i}"), finger: None, impression: None, degraded },
        }
    }
}

/// Parses an FVC-style stem `<finger>_<impression>` (1-based) into 0-based numbers.
fn parse_fvc(name: &str) -> Option<(u64, u32)> {
    let stem = Path::new(name).file_stem()?.to_str()?;
    let (f, i) = stem.split_once('_')?;
    let f: u64 = f.parse().ok()?;
    let i: u32 = i.parse().ok()?;
    Some((f.checked_sub(1)?, i.checked_sub(1)?))
}

/// Mutable state behind the control handle.
#[derive(Debug)]
struct State {
    script: VecDeque<Step>,
    next: Option<Pick>,
    sticky_finger: Option<u64>,
    sticky_counter: HashMap<u64, u32>,
    cursor: u64,
    finger_present: bool,
    latency: Duration,
    unplugged: bool,
    captures: u64,
    last: Option<Served>,
}

struct Shared {
    source: Resolved,
    state: Mutex<State>,
    changed: Condvar,
}

/// Run-time control of a [`VirtualScanner`]: script outcomes, choose the next finger, put the
/// finger on/off, unplug. Cloning shares the same scanner. Thread-safe (`Send + Sync`; a mutex
/// held only for bookkeeping, never during image generation or waits); calls are cheap.
#[derive(Clone)]
pub struct VirtualControl(Arc<Shared>);

impl std::fmt::Debug for VirtualControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtualControl").field("source", &self.0.source).finish_non_exhaustive()
    }
}

impl VirtualControl {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave State inconsistent (plain field writes).
        self.0.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn update(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.lock());
        self.0.changed.notify_all();
    }

    /// Appends one step to the script (consumed by the next capture that finds it first).
    pub fn push(&self, step: Step) {
        self.update(|s| s.script.push_back(step));
    }

    /// Appends several steps in order.
    pub fn push_all(&self, steps: impl IntoIterator<Item = Step>) {
        let steps: Vec<Step> = steps.into_iter().collect();
        self.update(|s| s.script.extend(steps));
    }

    /// Drops all pending steps.
    pub fn clear_script(&self) {
        self.update(|s| s.script.clear());
    }

    /// Number of steps not yet consumed.
    pub fn pending(&self) -> usize {
        self.lock().script.len()
    }

    /// The next image served is impression `impression` (0-based) of finger `finger` (0-based).
    /// Synthetic source: any finger, impression below the configured count. Folder source: the
    /// file named `<finger+1>_<impression+1>.*` (FVC convention). One shot; overrides
    /// [`present_finger`](Self::present_finger) for that capture.
    pub fn set_next_image(&self, finger: u64, impression: u32) -> Result<(), SelectError> {
        let pick = self.0.source.pick_image(finger, impression)?;
        self.update(|s| s.next = Some(pick));
        Ok(())
    }

    /// The next image served is the folder file `name` (exact file name, e.g. `"3_5.tif"`). One shot.
    pub fn set_next_file(&self, name: &str) -> Result<(), SelectError> {
        let Resolved::Folder { files, .. } = &self.0.source else {
            return Err(SelectError::NotAFolder);
        };
        let i = files.iter().position(|f| f == name).ok_or_else(|| SelectError::NotFound(name.to_string()))?;
        self.update(|s| s.next = Some(Pick::File(i)));
        Ok(())
    }

    /// Sticky selection: every following capture serves the next impression of `finger`
    /// (cycling through its impressions), until called with `None` (back to the default cycle).
    /// Folder source: the finger's files are those named `<finger+1>_<k>.*`; an unknown finger
    /// is an error.
    pub fn present_finger(&self, finger: Option<u64>) -> Result<(), SelectError> {
        if let Some(f) = finger {
            if matches!(self.0.source, Resolved::Folder { .. }) && self.0.source.finger_files(f).is_empty() {
                return Err(SelectError::NotFound(format!("{}_*.*", f + 1)));
            }
        }
        self.update(|s| s.sticky_finger = finger);
        Ok(())
    }

    /// Finger on (`true`, default) or off the sensor. While off, image captures wait (up to their
    /// timeout) for the finger, then answer `Retry(NoFinger)`.
    pub fn set_finger_present(&self, present: bool) {
        self.update(|s| s.finger_present = present);
    }

    /// Latency added to every capture before anything else happens (default zero). A latency not
    /// shorter than a capture's timeout makes it fail with [`CaptureError::Timeout`].
    pub fn set_latency(&self, latency: Duration) {
        self.update(|s| s.latency = latency);
    }

    /// Unplugs the device now: running and later captures fail with [`CaptureError::Unplugged`].
    pub fn unplug(&self) {
        self.update(|s| s.unplugged = true);
    }

    /// Plugs the device back in.
    pub fn replug(&self) {
        self.update(|s| s.unplugged = false);
    }

    /// Whether the device is currently unplugged.
    pub fn is_unplugged(&self) -> bool {
        self.lock().unplugged
    }

    /// Captures started so far (whatever their outcome).
    pub fn captures(&self) -> u64 {
        self.lock().captures
    }

    /// The image served by the most recent successful capture.
    pub fn last_served(&self) -> Option<Served> {
        self.lock().last.clone()
    }

    /// Names of the folder's images in serving order (empty for a synthetic source).
    pub fn files(&self) -> Vec<String> {
        match &self.0.source {
            Resolved::Folder { files, .. } => files.clone(),
            Resolved::Synthetic { .. } => Vec::new(),
        }
    }
}

/// How a wait ended.
enum WaitEnd {
    /// The full duration passed.
    Elapsed,
    /// The condition became true.
    Ready,
}

/// The virtual scanner. `Send`; one capture at a time (`&mut self`); control it from any thread
/// through [`VirtualScanner::control`].
pub struct VirtualScanner {
    shared: Arc<Shared>,
    selector: String,
    masters: HashMap<u64, Master>,
    caps: Capabilities,
}

impl std::fmt::Debug for VirtualScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtualScanner").field("selector", &self.selector).finish_non_exhaustive()
    }
}

impl VirtualScanner {
    /// Opens a virtual scanner. Folder source: lists the folder (fails if it cannot be read or
    /// holds no image) and decodes its first image for the capabilities. Synthetic source:
    /// validates the size; nothing is generated until the first capture.
    pub fn new(source: VirtualSource) -> Result<Self, OpenError> {
        let (resolved, selector, caps) = match source {
            VirtualSource::Synthetic { seed, fingers, impressions, size } => {
                let bad = |m: String| OpenError::BadSelector(format!("virtual:synth:{seed}"), m);
                size.validate().map_err(|e| bad(e.to_string()))?;
                if fingers == 0 || impressions == 0 || impressions > ridgegate_synth::params::MAX_IMPRESSIONS {
                    return Err(bad(format!(
                        "need at least one finger and 1..={} impressions",
                        ridgegate_synth::params::MAX_IMPRESSIONS
                    )));
                }
                let caps = Capabilities {
                    width: size.width,
                    height: size.height,
                    dpi: ridgegate_synth::params::DPI,
                    bits_per_pixel: 8,
                    finger_detection: true,
                };
                (Resolved::Synthetic { seed, fingers, impressions, size }, format!("virtual:synth:{seed}"), caps)
            }
            VirtualSource::Folder { dir, dpi } => {
                let selector = match dpi {
                    Some(d) => format!("virtual:{}@{d}", dir.display()),
                    None => format!("virtual:{}", dir.display()),
                };
                let files = list_images(&dir).map_err(|e| OpenError::BadSelector(selector.clone(), e))?;
                let first = FingerImage::load(dir.join(&files[0]), dpi)
                    .map_err(|e| OpenError::BadSelector(selector.clone(), format!("{}: {e}", files[0])))?;
                let caps = Capabilities {
                    width: first.width(),
                    height: first.height(),
                    dpi: first.dpi(),
                    bits_per_pixel: 8,
                    finger_detection: true,
                };
                (Resolved::Folder { dir, dpi, files }, selector, caps)
            }
        };
        let state = State {
            script: VecDeque::new(),
            next: None,
            sticky_finger: None,
            sticky_counter: HashMap::new(),
            cursor: 0,
            finger_present: true,
            latency: Duration::ZERO,
            unplugged: false,
            captures: 0,
            last: None,
        };
        let shared = Arc::new(Shared { source: resolved, state: Mutex::new(state), changed: Condvar::new() });
        Ok(VirtualScanner { shared, selector, masters: HashMap::new(), caps })
    }

    /// Opens from the part of a selector after `virtual:`: empty or `synth` → synthetic with
    /// [`DEFAULT_SEED`]; `synth:SEED` → synthetic with that seed; otherwise a folder path,
    /// optionally followed by `@DPI` (e.g. `../shared/fingerprints/fvc2002_db1_b@500`).
    pub fn open_selector(rest: &str) -> Result<Self, OpenError> {
        let bad = |m: &str| OpenError::BadSelector(format!("virtual:{rest}"), m.to_string());
        if rest.is_empty() || rest == "synth" {
            return Self::new(VirtualSource::synthetic(DEFAULT_SEED));
        }
        if let Some(seed) = rest.strip_prefix("synth:") {
            let seed = seed.parse().map_err(|_| bad("the seed after synth: must be an unsigned integer"))?;
            return Self::new(VirtualSource::synthetic(seed));
        }
        let (dir, dpi) = match rest.rsplit_once('@') {
            Some((d, n)) if !Path::new(rest).is_dir() => {
                let dpi: u16 = n.parse().map_err(|_| bad("the part after @ must be a resolution in dpi"))?;
                (d, Some(dpi))
            }
            _ => (rest, None),
        };
        Self::new(VirtualSource::Folder { dir: PathBuf::from(dir), dpi })
    }

    /// A control handle for this scanner (cheap; share it with an HTTP handler or a test).
    pub fn control(&self) -> VirtualControl {
        VirtualControl(Arc::clone(&self.shared))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits up to `dur` or until `ready(state)`; fails on cancel or unplug. Wakes on control
    /// changes; polls the cancel token every [`POLL_INTERVAL`].
    fn wait(
        &self,
        dur: Duration,
        cancel: &CancelToken,
        ready: impl Fn(&State) -> bool,
    ) -> Result<WaitEnd, CaptureError> {
        let deadline = Instant::now() + dur;
        let mut state = self.lock();
        loop {
            if cancel.is_cancelled() {
                return Err(CaptureError::Cancelled);
            }
            if state.unplugged {
                return Err(unplugged_error(&self.selector));
            }
            if ready(&state) {
                return Ok(WaitEnd::Ready);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(WaitEnd::Elapsed);
            }
            let slice = (deadline - now).min(POLL_INTERVAL);
            state = self.shared.changed.wait_timeout(state, slice).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// Sleeps `dur` (observing cancel/unplug); `Err(Timeout)` after `timeout` if `dur >= timeout`.
    fn delay(&self, dur: Duration, timeout: Duration, cancel: &CancelToken) -> Result<(), CaptureError> {
        if dur.is_zero() {
            return Ok(());
        }
        if dur >= timeout {
            self.wait(timeout, cancel, |_| false)?;
            return Err(CaptureError::Timeout(timeout));
        }
        self.wait(dur, cancel, |_| false).map(|_| ())
    }

    /// Chooses the image of this capture and advances the cursors.
    fn next_pick(&self) -> Pick {
        let source = &self.shared.source;
        let mut s = self.lock();
        if let Some(p) = s.next.take() {
            return p;
        }
        if let Some(f) = s.sticky_finger {
            let k = s.sticky_counter.entry(f).or_insert(0);
            let n = *k;
            *k = k.wrapping_add(1);
            match source {
                Resolved::Synthetic { impressions, .. } => return Pick::Synth(f, n % impressions),
                Resolved::Folder { .. } => {
                    let files = source.finger_files(f);
                    if !files.is_empty() {
                        return Pick::File(files[n as usize % files.len()]);
                    }
                }
            }
        }
        let n = s.cursor;
        s.cursor = s.cursor.wrapping_add(1);
        source.cycle_pick(n)
    }

    /// Produces the pixels of `pick`.
    fn render(&mut self, pick: Pick) -> Result<FingerImage, CaptureError> {
        match (&self.shared.source, pick) {
            (Resolved::Folder { dir, dpi, files }, Pick::File(i)) => {
                let path = dir.join(&files[i]);
                FingerImage::load(&path, *dpi).map_err(CaptureError::BadImage)
            }
            (Resolved::Synthetic { seed, size, .. }, Pick::Synth(f, i)) => {
                let (seed, size) = (*seed, *size);
                if !self.masters.contains_key(&f) {
                    if self.masters.len() >= MASTER_CACHE {
                        self.masters.clear();
                    }
                    let m = ridgegate_synth::master_fingerprint(&size, seed, f)
                        .map_err(|e| CaptureError::Protocol(format!("synthetic generator: {e}")))?;
                    self.masters.insert(f, m);
                }
                let master = &self.masters[&f];
                ridgegate_synth::impression(master, &size, seed, f, i)
                    .map_err(|e| CaptureError::Protocol(format!("synthetic generator: {e}")))
            }
            _ => Err(CaptureError::Protocol("image selection does not match the source".into())),
        }
    }

    /// Serves the next image, optionally degraded.
    fn serve(&mut self, degraded: bool) -> Result<CaptureOutcome, CaptureError> {
        let pick = self.next_pick();
        let mut image = self.render(pick)?;
        if degraded {
            image = degrade(&image)?;
        }
        let served = self.shared.source.describe(pick, degraded);
        self.lock().last = Some(served);
        Ok(CaptureOutcome::Image(image))
    }
}

fn unplugged_error(selector: &str) -> CaptureError {
    CaptureError::Unplugged(format!("virtual scanner {selector} was unplugged"))
}

fn fault_error(kind: FaultKind, timeout: Duration) -> CaptureError {
    match kind {
        FaultKind::Protocol => CaptureError::Protocol("virtual scanner: scripted protocol fault".into()),
        FaultKind::Io => CaptureError::Io(std::io::Error::other("virtual scanner: scripted I/O fault")),
        FaultKind::Timeout => CaptureError::Timeout(timeout),
        FaultKind::Busy => CaptureError::Busy,
        FaultKind::NotSupported => CaptureError::NotSupported("virtual scanner: scripted unsupported operation".into()),
        FaultKind::BadImage => {
            CaptureError::BadImage(ridgegate_core::ImageError::Decode("virtual scanner: scripted corrupt image".into()))
        }
    }
}

/// Sorted image file names of `dir`, or why there are none.
fn list_images(dir: &Path) -> Result<Vec<String>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list folder {}: {e}", dir.display()))?;
    let mut files: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            Path::new(n)
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| IMAGE_EXTENSIONS.contains(&x.to_ascii_lowercase().as_str()))
        })
        .collect();
    if files.is_empty() {
        return Err(format!("folder {} holds no image ({})", dir.display(), IMAGE_EXTENSIONS.join(", ")));
    }
    files.sort_by_cached_key(|n| natural_key(n));
    Ok(files)
}

/// Sort key that orders embedded numbers numerically (`2_1` before `10_1`).
fn natural_key(name: &str) -> Vec<(u64, String)> {
    let mut key = Vec::new();
    let mut text = String::new();
    let mut digits = String::new();
    for c in name.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            if !digits.is_empty() {
                key.push((digits.parse().unwrap_or(u64::MAX), std::mem::take(&mut text)));
                digits.clear();
            }
            text.push(c);
        }
    }
    key.push((digits.parse().unwrap_or(0), text));
    key
}

/// A washed-out, noisy copy of `image` (deterministic): what a dry finger or dirty sensor gives.
fn degrade(image: &FingerImage) -> Result<FingerImage, CaptureError> {
    let mean = image.pixels().iter().map(|&p| p as f32).sum::<f32>() / image.pixels().len().max(1) as f32;
    let mut h: u32 = 0x9e37_79b9;
    let pixels = image
        .pixels()
        .iter()
        .map(|&p| {
            h ^= h << 13;
            h ^= h >> 17;
            h ^= h << 5;
            let noise = (h as f32 / u32::MAX as f32 - 0.5) * 2.0 * LOW_QUALITY_NOISE;
            (LOW_QUALITY_BASE + (p as f32 - mean) * LOW_QUALITY_CONTRAST + noise).clamp(0.0, 255.0) as u8
        })
        .collect();
    Ok(FingerImage::new(image.width(), image.height(), image.dpi(), pixels)?)
}

impl Scanner for VirtualScanner {
    fn info(&self) -> DeviceInfo {
        let model = match &self.shared.source {
            Resolved::Synthetic { seed, .. } => format!("virtual scanner (synthetic fingers, seed {seed})"),
            Resolved::Folder { dir, files, .. } => {
                format!("virtual scanner ({} images from {})", files.len(), dir.display())
            }
        };
        DeviceInfo { driver: "virtual", selector: self.selector.clone(), model }
    }

    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    fn capture(&mut self, timeout: Duration, cancel: &CancelToken) -> Result<CaptureOutcome, CaptureError> {
        let (step, latency) = {
            let mut s = self.lock();
            s.captures += 1;
            if cancel.is_cancelled() {
                return Err(CaptureError::Cancelled);
            }
            if s.unplugged {
                return Err(unplugged_error(&self.selector));
            }
            (s.script.pop_front().unwrap_or(Step::Image), s.latency)
        };
        self.delay(latency, timeout, cancel)?;
        let remaining = timeout.saturating_sub(latency);
        match step {
            Step::Retry(reason) => Ok(CaptureOutcome::Retry(reason)),
            Step::Error(kind) => Err(fault_error(kind, timeout)),
            Step::Unplug => {
                self.control().unplug();
                Err(unplugged_error(&self.selector))
            }
            Step::NoFinger => {
                self.wait(remaining, cancel, |_| false)?;
                Ok(CaptureOutcome::Retry(RetryReason::NoFinger))
            }
            Step::Hang => {
                self.wait(remaining, cancel, |_| false)?;
                Err(CaptureError::Timeout(timeout))
            }
            Step::Delay(d) => {
                self.delay(d, remaining, cancel).map_err(|e| match e {
                    CaptureError::Timeout(_) => CaptureError::Timeout(timeout),
                    other => other,
                })?;
                self.serve(false)
            }
            Step::Image | Step::LowQualityImage => {
                match self.wait(remaining, cancel, |s| s.finger_present)? {
                    WaitEnd::Ready => {}
                    WaitEnd::Elapsed => return Ok(CaptureOutcome::Retry(RetryReason::NoFinger)),
                }
                self.serve(step == Step::LowQualityImage)
            }
        }
    }
}

/// [`crate::DriverEntry::open`] of the `virtual` driver.
pub fn open_driver(rest: &str) -> Result<Box<dyn Scanner>, OpenError> {
    Ok(Box::new(VirtualScanner::open_selector(rest)?))
}

/// [`crate::DriverEntry::discover`] of the `virtual` driver: the synthetic scanner is always there.
pub fn discover() -> Vec<DeviceInfo> {
    vec![DeviceInfo {
        driver: "virtual",
        selector: "virtual".into(),
        model: format!("virtual scanner (synthetic fingers, seed {DEFAULT_SEED}); virtual:DIR serves a folder"),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(5);

    /// A fresh temporary folder with `names` as small PNGs, each a distinct flat-ish pattern.
    fn folder(tag: &str, names: &[&str]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ridgegate-virtual-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (k, n) in names.iter().enumerate() {
            let pixels = (0..64 * 80).map(|i| ((i * (k + 1)) % 251) as u8).collect();
            let img = FingerImage::new(64, 80, 500, pixels).unwrap();
            std::fs::write(dir.join(n), img.to_png()).unwrap();
        }
        std::fs::write(dir.join("notes.txt"), b"not an image").unwrap();
        dir
    }

    fn image(o: CaptureOutcome) -> FingerImage {
        match o {
            CaptureOutcome::Image(i) => i,
            other => panic!("expected an image, got {other:?}"),
        }
    }

    fn folder_scanner(tag: &str) -> (VirtualScanner, PathBuf) {
        let dir = folder(tag, &["2_1.png", "1_2.png", "1_1.png", "10_1.png", "2_2.png"]);
        (VirtualScanner::new(VirtualSource::Folder { dir: dir.clone(), dpi: Some(569) }).unwrap(), dir)
    }

    #[test]
    fn folder_cycles_in_natural_order_and_ignores_non_images() {
        let (mut s, dir) = folder_scanner("cycle");
        let c = s.control();
        assert_eq!(c.files(), vec!["1_1.png", "1_2.png", "2_1.png", "2_2.png", "10_1.png"]);
        let mut labels = Vec::new();
        for _ in 0..6 {
            let img = image(s.capture(T, &CancelToken::new()).unwrap());
            assert_eq!(img.dpi(), 569);
            labels.push(c.last_served().unwrap().label);
        }
        assert_eq!(labels, ["1_1.png", "1_2.png", "2_1.png", "2_2.png", "10_1.png", "1_1.png"]);
        let again = FingerImage::load(dir.join("1_1.png"), Some(569)).unwrap();
        c.set_next_file("1_1.png").unwrap();
        assert_eq!(image(s.capture(T, &CancelToken::new()).unwrap()), again);
        assert_eq!(s.capabilities().width, 64);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn folder_selection_by_finger_and_name() {
        let (mut s, dir) = folder_scanner("select");
        let c = s.control();
        c.set_next_image(9, 0).unwrap();
        s.capture(T, &CancelToken::new()).unwrap();
        let served = c.last_served().unwrap();
        assert_eq!((served.label.as_str(), served.finger, served.impression), ("10_1.png", Some(9), Some(0)));
        assert_eq!(c.set_next_image(3, 0), Err(SelectError::NotFound("4_1.*".into())));
        assert!(matches!(c.set_next_file("nope.png"), Err(SelectError::NotFound(_))));
        c.present_finger(Some(1)).unwrap();
        let mut seen = Vec::new();
        for _ in 0..3 {
            s.capture(T, &CancelToken::new()).unwrap();
            seen.push(c.last_served().unwrap().label);
        }
        assert_eq!(seen, ["2_1.png", "2_2.png", "2_1.png"]);
        assert!(c.present_finger(Some(7)).is_err());
        c.present_finger(None).unwrap();
        s.capture(T, &CancelToken::new()).unwrap();
        assert_eq!(c.last_served().unwrap().label, "1_1.png", "default cycle resumes where it was");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn scripted_retries_errors_and_low_quality() {
        let (mut s, dir) = folder_scanner("script");
        let c = s.control();
        let reasons = [
            RetryReason::NoFinger,
            RetryReason::TooShort,
            RetryReason::CenterFinger,
            RetryReason::RemoveFinger,
            RetryReason::LowQuality,
        ];
        c.push_all(reasons.iter().map(|&r| Step::Retry(r)));
        for r in reasons {
            assert_eq!(s.capture(T, &CancelToken::new()).unwrap(), CaptureOutcome::Retry(r));
        }
        assert_eq!(c.pending(), 0);
        c.push_all([
            Step::Error(FaultKind::Protocol),
            Step::Error(FaultKind::Io),
            Step::Error(FaultKind::Busy),
            Step::Error(FaultKind::NotSupported),
            Step::Error(FaultKind::BadImage),
            Step::Error(FaultKind::Timeout),
        ]);
        let cancel = CancelToken::new();
        assert!(matches!(s.capture(T, &cancel), Err(CaptureError::Protocol(_))));
        assert!(matches!(s.capture(T, &cancel), Err(CaptureError::Io(_))));
        assert!(matches!(s.capture(T, &cancel), Err(CaptureError::Busy)));
        assert!(matches!(s.capture(T, &cancel), Err(CaptureError::NotSupported(_))));
        assert!(matches!(s.capture(T, &cancel), Err(CaptureError::BadImage(_))));
        assert!(matches!(s.capture(T, &cancel), Err(CaptureError::Timeout(_))));
        // Errors do not consume images: the cycle continues at the first file.
        c.push(Step::LowQualityImage);
        let bad = image(s.capture(T, &cancel).unwrap());
        let served = c.last_served().unwrap();
        assert!(served.degraded);
        assert_eq!(served.label, "1_1.png");
        let good = FingerImage::load(dir.join("1_1.png"), Some(569)).unwrap();
        assert_ne!(bad, good);
        let spread = |i: &FingerImage| {
            let (lo, hi) = i.pixels().iter().fold((255u8, 0u8), |(l, h), &p| (l.min(p), h.max(p)));
            hi - lo
        };
        assert!(spread(&bad) < spread(&good) / 2, "degraded image keeps too much contrast");
        assert_eq!(c.captures(), 12);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn unplug_persists_until_replug_and_can_happen_mid_wait() {
        let (mut s, dir) = folder_scanner("unplug");
        let c = s.control();
        c.push(Step::Unplug);
        assert!(matches!(s.capture(T, &CancelToken::new()), Err(CaptureError::Unplugged(_))));
        assert!(c.is_unplugged());
        assert!(matches!(s.capture(T, &CancelToken::new()), Err(CaptureError::Unplugged(_))));
        c.replug();
        image(s.capture(T, &CancelToken::new()).unwrap());
        // Unplug from another thread while the capture waits for a finger.
        c.set_finger_present(false);
        let c2 = c.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            c2.unplug();
        });
        let started = Instant::now();
        assert!(matches!(s.capture(T, &CancelToken::new()), Err(CaptureError::Unplugged(_))));
        assert!(started.elapsed() < T);
        t.join().unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn waits_end_at_timeout_on_cancel_or_when_the_finger_arrives() {
        let (mut s, dir) = folder_scanner("wait");
        let c = s.control();
        let short = Duration::from_millis(40);
        c.push_all([
            Step::NoFinger,
            Step::Hang,
            Step::Delay(Duration::from_millis(80)),
            Step::Delay(Duration::from_millis(5)),
        ]);
        assert_eq!(s.capture(short, &CancelToken::new()).unwrap(), CaptureOutcome::Retry(RetryReason::NoFinger));
        assert!(matches!(s.capture(short, &CancelToken::new()), Err(CaptureError::Timeout(d)) if d == short));
        assert!(matches!(s.capture(short, &CancelToken::new()), Err(CaptureError::Timeout(_))));
        image(s.capture(short, &CancelToken::new()).unwrap());
        // Latency longer than the timeout.
        c.set_latency(Duration::from_millis(60));
        assert!(matches!(s.capture(short, &CancelToken::new()), Err(CaptureError::Timeout(_))));
        c.set_latency(Duration::ZERO);
        // Finger absent: Retry(NoFinger) after the timeout; present again from another thread: image.
        c.set_finger_present(false);
        assert_eq!(s.capture(short, &CancelToken::new()).unwrap(), CaptureOutcome::Retry(RetryReason::NoFinger));
        let c2 = c.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            c2.set_finger_present(true);
        });
        image(s.capture(T, &CancelToken::new()).unwrap());
        t.join().unwrap();
        // Cancellation before and during a capture.
        let cancel = CancelToken::new();
        cancel.cancel();
        assert!(matches!(s.capture(T, &cancel), Err(CaptureError::Cancelled)));
        c.push(Step::Hang);
        let cancel = CancelToken::new();
        let c3 = cancel.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            c3.cancel();
        });
        let started = Instant::now();
        assert!(matches!(s.capture(T, &cancel), Err(CaptureError::Cancelled)));
        assert!(started.elapsed() < T);
        t.join().unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn synthetic_source_is_deterministic_and_selectable() {
        let small = SynthConfig { width: 128, height: 160 };
        let src = VirtualSource::Synthetic { seed: 7, fingers: 3, impressions: 2, size: small };
        let mut a = VirtualScanner::new(src.clone()).unwrap();
        let mut b = VirtualScanner::new(src).unwrap();
        let ca = a.control();
        let first = image(a.capture(T, &CancelToken::new()).unwrap());
        assert_eq!((first.width(), first.height(), first.dpi()), (128, 160, 500));
        assert_eq!(ca.last_served().unwrap().label, "1_1.png");
        let second = image(a.capture(T, &CancelToken::new()).unwrap());
        assert_eq!(ca.last_served().unwrap().label, "1_2.png");
        assert_ne!(first, second);
        // The other scanner, asked for finger 0 impression 1, serves the identical image.
        b.control().set_next_image(0, 1).unwrap();
        assert_eq!(image(b.capture(T, &CancelToken::new()).unwrap()), second);
        // Genuine vs impostor: a different finger gives a different image.
        b.control().set_next_image(5, 1).unwrap();
        assert_ne!(image(b.capture(T, &CancelToken::new()).unwrap()), second);
        assert_eq!(b.control().set_next_image(0, 2), Err(SelectError::ImpressionOutOfRange { got: 2, max: 2 }));
        assert_eq!(b.control().set_next_file("1_1.png"), Err(SelectError::NotAFolder));
    }

    #[test]
    fn selectors_open_and_reject() {
        assert!(VirtualScanner::open_selector("").is_ok());
        assert_eq!(VirtualScanner::open_selector("synth:42").unwrap().info().selector, "virtual:synth:42");
        assert!(matches!(VirtualScanner::open_selector("synth:x"), Err(OpenError::BadSelector(..))));
        assert!(matches!(VirtualScanner::open_selector("/nonexistent/folder"), Err(OpenError::BadSelector(..))));
        let dir = folder("sel", &["1_1.png"]);
        let s = VirtualScanner::open_selector(&format!("{}@600", dir.display())).unwrap();
        assert_eq!(s.capabilities().dpi, 600);
        assert!(matches!(
            VirtualScanner::open_selector(&format!("{}@lots", dir.display())),
            Err(OpenError::BadSelector(..))
        ));
        let empty = folder("empty", &[]);
        assert!(matches!(VirtualScanner::open_selector(empty.to_str().unwrap()), Err(OpenError::BadSelector(..))));
        let _ = std::fs::remove_dir_all(dir);
        let _ = std::fs::remove_dir_all(empty);
    }

    #[test]
    fn control_is_send_sync_and_scanner_is_send() {
        fn assert_send_sync<T: Send + Sync>() {}
        fn assert_send<T: Send>() {}
        assert_send_sync::<VirtualControl>();
        assert_send::<VirtualScanner>();
    }
}
