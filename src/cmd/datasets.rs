//! Known evaluation data sets and how to read them.

use ridgegate_matcher::eval::FVC_SETS;
use std::path::{Path, PathBuf};

/// Resolution of the FVC sample sets (../shared/docs/evaluation.md): every set is 500 dpi except
/// FVC2002 DB2 (569 dpi). Unknown folders default to 500 dpi unless `--dpi` says otherwise.
pub fn dpi_for(db: &Path, explicit: Option<u16>) -> u16 {
    if let Some(d) = explicit {
        return d;
    }
    let name = db.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    // Set folders may carry the A or B suffix or none (`fvc2002_db2_a`, `fvc2002_db2`).
    FVC_SETS.iter().find(|(set, _)| name.starts_with(set.trim_end_matches("_b"))).map_or(500, |&(_, dpi)| dpi)
}

/// One image of an FVC-style set: `<finger>_<impression>.<ext>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sample {
    /// Finger ID (e.g. 101).
    pub finger: u32,
    /// Impression number (1..=8).
    pub impression: u32,
    /// File path.
    pub path: PathBuf,
}

/// Template file extensions accepted in place of images (evaluating another extractor's output).
pub const TEMPLATE_EXTENSIONS: [&str; 6] = ["iso", "ist", "ansi", "rgt", "xyt", "dat"];

/// Lists the images (tif, tiff, png, bmp, pgm, wsq) or templates ([`TEMPLATE_EXTENSIONS`]) of an
/// FVC-style folder, sorted.
pub fn samples(db: &Path) -> anyhow::Result<Vec<Sample>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(db).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", db.display()))? {
        let path = entry?.path();
        let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        if !["tif", "tiff", "png", "bmp", "pgm", "wsq"].contains(&ext.as_str())
            && !TEMPLATE_EXTENSIONS.contains(&ext.as_str())
        {
            continue;
        }
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if let Some((f, i)) = stem.split_once('_') {
            if let (Ok(finger), Ok(impression)) = (f.parse(), i.parse()) {
                out.push(Sample { finger, impression, path });
            }
        }
    }
    out.sort();
    if out.is_empty() {
        anyhow::bail!("{} holds no <finger>_<impression> images", db.display());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpi_follows_the_evaluation_protocol() {
        assert_eq!(dpi_for(Path::new("../shared/fingerprints/fvc2002_db2_b"), None), 569);
        assert_eq!(dpi_for(Path::new("/x/FVC2002_DB2_A"), None), 569);
        assert_eq!(dpi_for(Path::new("fvc2002_db1_b"), None), 500);
        assert_eq!(dpi_for(Path::new("my_sensor"), None), 500);
        assert_eq!(dpi_for(Path::new("fvc2002_db2_b"), Some(1000)), 1000);
    }
}
