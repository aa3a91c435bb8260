//! Tunables of the R30x driver and simulator, one comment each.

use std::time::Duration;

/// Factory baud rate of ZFM/R30x/AS608 modules (N = 6).
pub const DEFAULT_BAUD: u32 = 57_600;
/// Baud rates are 9600·N; ZFM/R30x accept N = 1..=12.
pub const BAUD_UNIT: u32 = 9_600;
/// Largest baud multiplier N.
pub const MAX_BAUD_N: u32 = 12;
/// Longest silence tolerated inside one exchange before a read gives up (Adafruit uses 1 s per packet).
pub const READ_TIMEOUT: Duration = Duration::from_millis(1_000);
/// Fixed slack added to an exchange's overall deadline (module processing time: a search of a full
/// library takes up to ~1 s on real modules).
pub const EXCHANGE_SLACK: Duration = Duration::from_millis(2_000);
/// Safety factor on the computed wire time of a data phase (UART gaps, slow USB-serial adapters).
pub const WIRE_TIME_FACTOR: u32 = 2;
/// Bits per byte on the wire (8N1: start + 8 data + stop).
pub const BITS_PER_BYTE: u32 = 10;
/// Silence after which a broken answer is considered over (≈ 140 byte times at 9600 baud; a module
/// streams data packets back to back).
pub const DRAIN_QUIET: Duration = Duration::from_millis(150);
/// Pause between two GenImg polls while no finger is present (real modules take 200–500 ms per
/// GenImg themselves; this keeps a fast module or the simulator from being hammered).
pub const FINGER_POLL_INTERVAL: Duration = Duration::from_millis(30);
/// Resolution assumed for the 256×288 sensor of R30x/AS608 modules (≈ 500 dpi optical).
pub const SENSOR_DPI: u16 = 500;
/// Largest char file (template) accepted from UpChar: R503 templates are 1536 bytes, ZFM 512.
pub const MAX_CHAR_FILE: usize = 4_096;
/// Largest ReadInfPage answer (512 bytes on R50x).
pub const MAX_INFO_PAGE: usize = 1_024;
/// Simulator: size of a char file (ZFM-20 template size).
pub const SIM_CHAR_FILE_LEN: usize = 512;
/// Simulator: most minutiae kept in a char file (6 bytes each after a 3-byte header).
pub const SIM_MAX_MINUTIAE: usize = 84;
/// Simulator: template library capacity (ZFM-20: 162).
pub const SIM_CAPACITY: u16 = 162;
/// Simulator: calibrated score (−10·log10 FMR) at which two char files count as the same finger
/// (30 ≈ FMR 1e-3; the module reports `score × 10` as its u16 match score).
pub const SIM_MATCH_THRESHOLD: f32 = 30.0;
/// Simulator: minimum minutiae for Img2Tz to succeed (fewer → confirmation 07).
pub const SIM_MIN_MINUTIAE: usize = 12;
/// Simulator: minimum extractor quality (0–100) for Img2Tz to succeed (lower → confirmation 06,
/// "image too messy"). Clean sensor images score 90+ and the virtual scanner's deliberately
/// smudged image 30–50 after resampling and 4-bit packing; 60 makes the module refuse the smudge
/// the way a real module refuses a wet or dirty finger (it was 10, which accepted it once the
/// extractor's quality started counting only reliable minutiae).
pub const SIM_MIN_QUALITY: u8 = 60;
