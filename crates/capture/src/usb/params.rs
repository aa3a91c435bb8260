//! Tunables of the USB layer, one comment per constant.

use std::time::Duration;

/// Timeout of one control transfer (libfprint's uru4000 uses 5 s; register I/O answers in < 1 ms).
pub const CONTROL_TIMEOUT: Duration = Duration::from_secs(5);
/// Timeout of one blocking bulk transfer (commands and their replies).
pub const BULK_TIMEOUT: Duration = Duration::from_secs(5);
/// Timeout of a background image read: the sensor sends the frame within ~150 ms of the
/// capture command; 5 s covers slow hubs without hanging on a dead device.
pub const IMAGE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one interrupt IN stays in flight before it is re-submitted; also the longest a
/// finished session waits for its interrupt listener to stop.
pub const IRQ_POLL: Duration = Duration::from_millis(500);
/// Granularity at which waits for a finger observe the cancel token.
pub const CANCEL_POLL: Duration = Duration::from_millis(50);
/// Upper bound on requests in one session (the longest known protocol, vfs7552, needs ~5 000):
/// a device that keeps answering without progress ends in an error instead of a hang.
pub const MAX_STEPS: usize = 100_000;
/// Longest single wait of a bulk IN that completes only when a finger is present; the transfer
/// is re-submitted after it, so cancellation is observed within this time.
pub const FINGER_POLL: Duration = Duration::from_millis(1000);
