//! Locates the SeetaFace frontal model that the `rustface` crates.io package ships
//! (`model/seeta_fd_frontal_v1.0.bin`) and hands its path to the crate as `RIDGEGATE_SEETA_MODEL`,
//! so `src/face.rs` can `include_bytes!` it. Nothing is downloaded and the model is not copied into
//! our repository: the file is read from wherever cargo unpacked (or vendored) the package, found
//! with `cargo metadata --offline`, which reports each dependency's manifest path.

use std::path::PathBuf;
use std::process::Command;

/// Model file inside the rustface package, and its size in bytes (the 0.1.7 package's file).
const MODEL_IN_PACKAGE: &str = "model/seeta_fd_frontal_v1.0.bin";
const MODEL_BYTES: u64 = 1_209_904;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--manifest-path"])
        .arg(manifest_dir.join("Cargo.toml"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{cargo} metadata` to locate the rustface model: {e}"));
    if !out.status.success() {
        panic!("`cargo metadata` failed while locating the rustface model: {}", String::from_utf8_lossy(&out.stderr));
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let packages = meta["packages"].as_array().expect("cargo metadata lists packages");
    let manifest = packages
        .iter()
        .find(|p| p["name"] == "rustface")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("rustface is a dependency of ridgegate-photo, so cargo metadata lists it");
    let model = PathBuf::from(manifest).parent().expect("manifest path has a parent").join(MODEL_IN_PACKAGE);
    let len = std::fs::metadata(&model)
        .unwrap_or_else(|e| panic!("rustface package has no model at {}: {e}", model.display()))
        .len();
    assert_eq!(len, MODEL_BYTES, "unexpected size of {}: a different rustface model?", model.display());
    println!("cargo:rerun-if-changed={}", model.display());
    if let Some(root) = meta["workspace_root"].as_str() {
        // A new rustface version in the lock file means a new package directory.
        println!("cargo:rerun-if-changed={}", PathBuf::from(root).join("Cargo.lock").display());
    }
    println!("cargo:rustc-env=RIDGEGATE_SEETA_MODEL={}", model.display());
}
