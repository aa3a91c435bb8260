//! Known evaluation data sets and how to read them.

use std::path::{Path, PathBuf};

/// Resolution of the FVC sample sets (../shared/docs/evaluation.md): every set is 500 dpi except
/// FVC2002 DB2 (569 dpi). Unknown folders default to 500 dpi unless `--dpi` says otherwise.
pub fn dpi_for(db: &Path, explicit: Option<u16>) -> u16 {
    if let Some(d) = explicit {
        return d;
    }
    let name = db.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if name.starts_with("fvc2002_db2") { 569 } else { 500 }
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
