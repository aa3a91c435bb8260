//! The service's own scanner (the desk's device; the virtual scanner on a fresh machine) and the
//! HTTP-facing control of the virtual scanner.
//!
//! One capture at a time: a second capture while one runs is refused with 409 (`scanner_busy`)
//! instead of queueing behind a finger that may never come. Device failures (unplugged, protocol,
//! timeout) are 503 `scanner_error`, kept apart from retries (no finger, too short…), which are
//! answers the operator acts on. Thread-safe.

use crate::error::ApiError;
use axum::http::StatusCode;
use ridgegate_capture::virtual_scanner::{FaultKind, Step, VirtualControl};
use ridgegate_capture::{CancelToken, CaptureError, CaptureOutcome, DeviceInfo, RetryReason, Scanner};
use ridgegate_core::FingerImage;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::Duration;

/// The scanner slot: an optional device plus, for the virtual scanner, its control handle.
pub struct ScannerSlot {
    device: Mutex<Option<Box<dyn Scanner>>>,
    info: Option<DeviceInfo>,
    control: Option<VirtualControl>,
}

impl std::fmt::Debug for ScannerSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScannerSlot").field("info", &self.info).finish_non_exhaustive()
    }
}

/// The result of a capture from the slot.
#[derive(Debug)]
pub enum Captured {
    /// An image, with the device's selector.
    Image(FingerImage, String),
    /// The device asks for another try.
    Retry(RetryReason),
}

impl ScannerSlot {
    /// No scanner: captures must be uploaded.
    pub fn none() -> Self {
        ScannerSlot { device: Mutex::new(None), info: None, control: None }
    }
    /// A device, with the virtual scanner's control handle when it is one.
    pub fn new(device: Box<dyn Scanner>, control: Option<VirtualControl>) -> Self {
        let info = Some(device.info());
        ScannerSlot { device: Mutex::new(Some(device)), info, control }
    }
    /// The device's identity, if any.
    pub fn info(&self) -> Option<&DeviceInfo> {
        self.info.as_ref()
    }
    /// The virtual scanner's control handle, if the device is virtual.
    pub fn control(&self) -> Option<&VirtualControl> {
        self.control.as_ref()
    }

    /// Captures one image. Blocks up to `timeout`: call from `spawn_blocking`.
    pub fn capture(&self, timeout: Duration) -> Result<Captured, ApiError> {
        let mut guard = match self.device.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                return Err(ApiError::conflict(
                    "scanner_busy",
                    "the scanner is capturing for another request; wait for it",
                ));
            }
        };
        let Some(dev) = guard.as_mut() else {
            return Err(ApiError::conflict(
                "no_scanner",
                "this service has no scanner configured: upload the image in the request body instead",
            ));
        };
        let selector = dev.info().selector;
        match dev.capture(timeout, &CancelToken::new()) {
            Ok(CaptureOutcome::Image(img)) => Ok(Captured::Image(img, selector)),
            Ok(CaptureOutcome::Retry(r)) => Ok(Captured::Retry(r)),
            Err(e @ CaptureError::Busy) => Err(ApiError::conflict("scanner_busy", e.to_string())),
            Err(e) => Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "scanner_error", e.to_string())),
        }
    }
}

/// Stable text name of a retry reason.
pub fn retry_name(r: RetryReason) -> &'static str {
    match r {
        RetryReason::NoFinger => "no_finger",
        RetryReason::TooShort => "too_short",
        RetryReason::CenterFinger => "center_finger",
        RetryReason::RemoveFinger => "remove_finger",
        RetryReason::LowQuality => "low_quality",
    }
}

/// Commands for the virtual scanner (`POST /api/scanner/virtual`); every field optional, applied
/// in the order listed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VirtualCommand {
    /// Drop pending script steps.
    #[serde(default)]
    pub clear_script: bool,
    /// Plug the device back in.
    #[serde(default)]
    pub replug: bool,
    /// Finger on (true) or off the sensor.
    pub finger_present: Option<bool>,
    /// Sticky finger (0-based synthetic finger) every capture serves the next impression of;
    /// `null` returns to the default cycle. Absent: unchanged.
    #[serde(default, deserialize_with = "double_option")]
    pub present_finger: Option<Option<u64>>,
    /// One-shot image selection.
    pub next_image: Option<NextImage>,
    /// Script steps: `image`, `low_quality`, `no_finger`, `hang`, `unplug`, `delay_ms:N`,
    /// `retry:no_finger|too_short|center_finger|remove_finger|low_quality`,
    /// `error:protocol|io|timeout|busy|not_supported|bad_image`.
    #[serde(default)]
    pub script: Vec<String>,
}

/// A one-shot image choice.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NextImage {
    /// Finger, 0-based.
    pub finger: u64,
    /// Impression, 0-based.
    pub impression: u32,
}

fn double_option<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// Parses one script step.
pub fn parse_step(s: &str) -> Result<Step, String> {
    let retry = |r: &str| -> Result<RetryReason, String> {
        Ok(match r {
            "no_finger" => RetryReason::NoFinger,
            "too_short" => RetryReason::TooShort,
            "center_finger" => RetryReason::CenterFinger,
            "remove_finger" => RetryReason::RemoveFinger,
            "low_quality" => RetryReason::LowQuality,
            _ => return Err(format!("unknown retry reason {r:?}")),
        })
    };
    let fault = |r: &str| -> Result<FaultKind, String> {
        Ok(match r {
            "protocol" => FaultKind::Protocol,
            "io" => FaultKind::Io,
            "timeout" => FaultKind::Timeout,
            "busy" => FaultKind::Busy,
            "not_supported" => FaultKind::NotSupported,
            "bad_image" => FaultKind::BadImage,
            _ => return Err(format!("unknown error kind {r:?}")),
        })
    };
    match s.split_once(':') {
        None => match s {
            "image" => Ok(Step::Image),
            "low_quality" => Ok(Step::LowQualityImage),
            "no_finger" => Ok(Step::NoFinger),
            "hang" => Ok(Step::Hang),
            "unplug" => Ok(Step::Unplug),
            _ => Err(format!("unknown script step {s:?}")),
        },
        Some(("retry", r)) => retry(r).map(Step::Retry),
        Some(("error", r)) => fault(r).map(Step::Error),
        Some(("delay_ms", n)) => {
            n.parse::<u64>().map(|ms| Step::Delay(Duration::from_millis(ms))).map_err(|_| format!("bad delay {n:?}"))
        }
        Some(_) => Err(format!("unknown script step {s:?}")),
    }
}

/// State of the scanner as reported by `GET /api/scanner`.
#[derive(Debug, Serialize)]
pub struct ScannerStatus {
    /// Whether a scanner is configured.
    pub present: bool,
    /// Driver name.
    pub driver: Option<&'static str>,
    /// Selector.
    pub selector: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Whether it is the virtual scanner (controllable through `POST /api/scanner/virtual`).
    pub is_virtual: bool,
    /// Virtual: script steps pending.
    pub pending_steps: Option<usize>,
    /// Virtual: unplugged.
    pub unplugged: Option<bool>,
    /// Virtual: captures so far.
    pub captures: Option<u64>,
    /// Virtual: label of the last image served.
    pub last_served: Option<String>,
}

impl ScannerSlot {
    /// The status report.
    pub fn status(&self) -> ScannerStatus {
        let c = self.control.as_ref();
        ScannerStatus {
            present: self.info.is_some(),
            driver: self.info.as_ref().map(|i| i.driver),
            selector: self.info.as_ref().map(|i| i.selector.clone()),
            model: self.info.as_ref().map(|i| i.model.clone()),
            is_virtual: c.is_some(),
            pending_steps: c.map(|c| c.pending()),
            unplugged: c.map(|c| c.is_unplugged()),
            captures: c.map(|c| c.captures()),
            last_served: c.and_then(|c| c.last_served()).map(|s| s.label),
        }
    }

    /// Applies a virtual-scanner command. 409 when the scanner is not virtual, 422 for a bad step.
    pub fn apply(&self, cmd: &VirtualCommand) -> Result<(), ApiError> {
        let c = self.control.as_ref().ok_or_else(|| {
            ApiError::conflict("not_virtual", "the configured scanner is not the virtual scanner; nothing to script")
        })?;
        let steps: Vec<Step> = cmd
            .script
            .iter()
            .map(|s| parse_step(s))
            .collect::<Result<_, _>>()
            .map_err(|e| ApiError::unprocessable("bad_script", e))?;
        if cmd.clear_script {
            c.clear_script();
        }
        if cmd.replug {
            c.replug();
        }
        if let Some(p) = cmd.finger_present {
            c.set_finger_present(p);
        }
        if let Some(f) = cmd.present_finger {
            c.present_finger(f).map_err(|e| ApiError::unprocessable("bad_selection", e.to_string()))?;
        }
        if let Some(n) = &cmd.next_image {
            c.set_next_image(n.finger, n.impression)
                .map_err(|e| ApiError::unprocessable("bad_selection", e.to_string()))?;
        }
        c.push_all(steps);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_steps_parse() {
        assert_eq!(parse_step("low_quality").unwrap(), Step::LowQualityImage);
        assert_eq!(parse_step("retry:too_short").unwrap(), Step::Retry(RetryReason::TooShort));
        assert_eq!(parse_step("error:protocol").unwrap(), Step::Error(FaultKind::Protocol));
        assert_eq!(parse_step("delay_ms:20").unwrap(), Step::Delay(Duration::from_millis(20)));
        assert!(parse_step("explode").is_err());
        assert!(parse_step("retry:sneeze").is_err());
        assert!(parse_step("delay_ms:x").is_err());
    }
}
