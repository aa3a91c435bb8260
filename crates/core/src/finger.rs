//! Finger positions with their ISO/IEC 19794-2 / ANSI INCITS 378 / ANSI-NIST codes and
//! the fprintd-style names used in the CLI, the HTTP API and the store.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A finger position as coded in ISO/IEC 19794-2 and ANSI INCITS 378 (code 0 = unknown,
/// 1 = right thumb … 10 = left little finger).
///
/// The confirmation desk captures six fingers in the fixed order of [`FingerPosition::CAPTURE_ORDER`]:
/// left thumb (6), right thumb (1), left index (7), right index (2), left middle (8), right middle (3).
/// Plain `Copy` data; thread-safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[repr(u8)]
pub enum FingerPosition {
    /// Position not known (code 0).
    Unknown = 0,
    /// Right thumb (code 1).
    RightThumb = 1,
    /// Right index finger (code 2).
    RightIndex = 2,
    /// Right middle finger (code 3).
    RightMiddle = 3,
    /// Right ring finger (code 4).
    RightRing = 4,
    /// Right little finger (code 5).
    RightLittle = 5,
    /// Left thumb (code 6).
    LeftThumb = 6,
    /// Left index finger (code 7).
    LeftIndex = 7,
    /// Left middle finger (code 8).
    LeftMiddle = 8,
    /// Left ring finger (code 9).
    LeftRing = 9,
    /// Left little finger (code 10).
    LeftLittle = 10,
}

/// Error for an unknown finger code or name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown finger position {0:?}: use an ISO code 0..=10 or a name such as left-thumb, right-index-finger")]
pub struct UnknownFinger(pub String);

impl FingerPosition {
    /// All eleven positions in code order.
    pub const ALL: [FingerPosition; 11] = [
        Self::Unknown,
        Self::RightThumb,
        Self::RightIndex,
        Self::RightMiddle,
        Self::RightRing,
        Self::RightLittle,
        Self::LeftThumb,
        Self::LeftIndex,
        Self::LeftMiddle,
        Self::LeftRing,
        Self::LeftLittle,
    ];

    /// The six fingers captured at the confirmation desk, in capture order (ISO codes 6, 1, 7, 2, 8, 3).
    pub const CAPTURE_ORDER: [FingerPosition; 6] =
        [Self::LeftThumb, Self::RightThumb, Self::LeftIndex, Self::RightIndex, Self::LeftMiddle, Self::RightMiddle];

    /// The ISO/ANSI numeric code (0..=10).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Position from an ISO/ANSI code; `None` for codes above 10 (multi-finger codes are not minutiae positions).
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }

    /// fprintd-style name, e.g. `left-thumb`, `right-index-finger`, `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::RightThumb => "right-thumb",
            Self::RightIndex => "right-index-finger",
            Self::RightMiddle => "right-middle-finger",
            Self::RightRing => "right-ring-finger",
            Self::RightLittle => "right-little-finger",
            Self::LeftThumb => "left-thumb",
            Self::LeftIndex => "left-index-finger",
            Self::LeftMiddle => "left-middle-finger",
            Self::LeftRing => "left-ring-finger",
            Self::LeftLittle => "left-little-finger",
        }
    }
}

impl fmt::Display for FingerPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FingerPosition {
    type Err = UnknownFinger;

    /// Accepts the fprintd name (`left-thumb`), the name without `-finger` (`left-index`),
    /// underscores instead of dashes, any letter case, or the numeric ISO code.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        if let Ok(code) = norm.parse::<u8>() {
            return Self::from_code(code).ok_or_else(|| UnknownFinger(s.to_string()));
        }
        Self::ALL
            .iter()
            .copied()
            .find(|p| p.name() == norm || p.name().trim_end_matches("-finger") == norm)
            .ok_or_else(|| UnknownFinger(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_order_codes_match_the_notice() {
        let codes: Vec<u8> = FingerPosition::CAPTURE_ORDER.iter().map(|p| p.code()).collect();
        assert_eq!(codes, vec![6, 1, 7, 2, 8, 3]);
    }

    #[test]
    fn names_and_codes_round_trip() {
        for p in FingerPosition::ALL {
            assert_eq!(FingerPosition::from_code(p.code()), Some(p));
            assert_eq!(p.name().parse::<FingerPosition>().unwrap(), p);
            assert_eq!(p.code().to_string().parse::<FingerPosition>().unwrap(), p);
        }
        assert_eq!("LEFT_INDEX".parse::<FingerPosition>().unwrap(), FingerPosition::LeftIndex);
        assert!("left-toe".parse::<FingerPosition>().is_err());
        assert!("11".parse::<FingerPosition>().is_err());
        assert_eq!(FingerPosition::from_code(11), None);
    }
}
