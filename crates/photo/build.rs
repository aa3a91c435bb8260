//! Locates the SeetaFace frontal model that the `rustface` crates.io package ships
//! (`model/seeta_fd_frontal_v1.0.bin`) and hands its path to the crate as `RIDGEGATE_SEETA_MODEL`,
//! so `src/face.rs` can `include_bytes!` it. Nothing is downloaded and the model is not copied into
//! our repository: the file is read from wherever cargo unpacked (or vendored) the package, found
//! with `cargo metadata --offline --filter-platform <target>`, which reports each dependency's
//! manifest path (fallback: the package in `$CARGO_HOME/registry/src`). The file size is checked.

use std::path::PathBuf;
use std::process::Command;

/// Model file inside the rustface package, and its size in bytes (the 0.1.7 package's file).
const MODEL_IN_PACKAGE: &str = "model/seeta_fd_frontal_v1.0.bin";
const MODEL_BYTES: u64 = 1_209_904;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let (model, lock) = model_from_metadata().unwrap_or_else(|why| {
        let found = model_from_registry();
        println!("cargo:warning=cargo metadata did not locate rustface ({why}); using {found:?}");
        (found.unwrap_or_else(|| panic!("rustface model not found: {why}")), None)
    });
    let len = std::fs::metadata(&model)
        .unwrap_or_else(|e| panic!("rustface package has no model at {}: {e}", model.display()))
        .len();
    assert_eq!(len, MODEL_BYTES, "unexpected size of {}: a different rustface model?", model.display());
    println!("cargo:rerun-if-changed={}", model.display());
    if let Some(lock) = lock {
        // A new rustface version in the lock file means a new package directory.
        println!("cargo:rerun-if-changed={}", lock.display());
    }
    println!("cargo:rustc-env=RIDGEGATE_SEETA_MODEL={}", model.display());
}

/// The model path from `cargo metadata --offline`, filtered to the build's platforms so that it
/// needs exactly the packages this build already downloaded; plus the workspace's Cargo.lock.
fn model_from_metadata() -> Result<(PathBuf, Option<PathBuf>), String> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.args(["metadata", "--format-version", "1", "--offline", "--manifest-path"])
        .arg(manifest_dir.join("Cargo.toml"));
    for var in ["TARGET", "HOST"] {
        if let Ok(triple) = std::env::var(var) {
            cmd.args(["--filter-platform", &triple]);
        }
    }
    let out = cmd.output().map_err(|e| format!("cannot run `{cargo} metadata`: {e}"))?;
    if !out.status.success() {
        return Err(format!("`cargo metadata` failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let manifest = meta["packages"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "rustface"))
        .and_then(|p| p["manifest_path"].as_str())
        .ok_or("rustface not among the packages")?;
    let model = PathBuf::from(manifest).parent().ok_or("manifest path has no parent")?.join(MODEL_IN_PACKAGE);
    let lock = meta["workspace_root"].as_str().map(|root| PathBuf::from(root).join("Cargo.lock"));
    Ok((model, lock))
}

/// Fallback: the rustface 0.1.x package unpacked in `$CARGO_HOME/registry/src/*/`.
fn model_from_registry() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let mut found: Vec<PathBuf> = std::fs::read_dir(home.join("registry").join("src"))
        .ok()?
        .flatten()
        .filter_map(|index| std::fs::read_dir(index.path()).ok())
        .flat_map(|dir| dir.flatten())
        .filter(|pkg| pkg.file_name().to_string_lossy().starts_with("rustface-0.1."))
        .map(|pkg| pkg.path().join(MODEL_IN_PACKAGE))
        .filter(|m| std::fs::metadata(m).is_ok_and(|m| m.len() == MODEL_BYTES))
        .collect();
    found.sort();
    found.pop()
}
