//! Cargo build script: `SYNDIC_SOURCE_DIGEST`, a digest of everything that
//! decides how this build renders (the sources, the locked dependencies, the
//! compiler and the profile). `serve` records it in the mirror's manifest and
//! trusts a manifest only from a build with the same digest, without reading
//! its own executable (72 MB) at every start. Must not: generate code.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::path::Path;
use std::process::Command;

fn main() {
    for input in ["src", "Cargo.toml", "Cargo.lock", "build.rs"] {
        println!("cargo:rerun-if-changed={input}");
    }
    let mut hasher = DefaultHasher::new();
    let mut files = Vec::new();
    collect(Path::new("src"), &mut files);
    files.extend(["Cargo.toml", "Cargo.lock"].map(Into::into));
    files.sort();
    for file in &files {
        hasher.write(file.to_string_lossy().as_bytes());
        hasher.write(&std::fs::read(file).unwrap_or_default());
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc).arg("-vV").output().map(|o| o.stdout);
    hasher.write(&version.unwrap_or_default());
    for var in [
        "PROFILE",
        "OPT_LEVEL",
        "DEBUG",
        "TARGET",
        "CARGO_CFG_FEATURE",
    ] {
        hasher.write(std::env::var(var).unwrap_or_default().as_bytes());
    }
    println!(
        "cargo:rustc-env=SYNDIC_SOURCE_DIGEST={:016x}",
        hasher.finish()
    );
}

fn collect(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}
