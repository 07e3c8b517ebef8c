//! What `syndic build` leaves under the output folder, through the real binary:
//! files readable by a static server running as another user (the umask
//! decides, as for any file), and no temporary file left by a killed process.

use crate::common;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// Runs `syndic build` in `dir` (fixture configuration, store seeded) under `umask`.
fn build_under_umask(dir: &Path, umask: &str) {
    std::fs::write(dir.join("config.toml"), common::config_text_in(dir)).unwrap();
    for args in [
        vec![
            "import".to_owned(),
            common::fixture("articles.jsonl").display().to_string(),
        ],
        vec![
            "build".to_owned(),
            "--now".to_owned(),
            common::NOW.to_owned(),
        ],
    ] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "umask {umask} && exec \"$0\" --config config.toml \"$@\""
            ))
            .arg(env!("CARGO_BIN_EXE_syndic"))
            .args(&args)
            .current_dir(dir)
            .env_remove("SYNDIC_CONFIG")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Every file under `dir`, with its mode bits.
fn files(dir: &Path) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((
                path.display().to_string(),
                meta.permissions().mode() & 0o777,
            ));
        }
    }
    out
}

#[test]
fn documents_get_the_mode_the_umask_gives() {
    for (umask, mode) in [("022", 0o644), ("027", 0o640)] {
        let dir = tempfile::tempdir().unwrap();
        build_under_umask(dir.path(), umask);
        let written = files(&dir.path().join("feeds"));
        assert!(written.len() > 50, "{written:?}");
        for (path, got) in written {
            assert_eq!(got, mode, "{path}: mode {got:o} under umask {umask}");
        }
    }
}

#[test]
fn temporary_files_left_by_a_killed_process_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    std::fs::create_dir_all(feeds.join("tags/iran")).unwrap();
    let left = [
        feeds.join(".syndic-a1B2c3"),
        feeds.join("tags/iran/.syndic-Zz9"),
    ];
    for path in &left {
        std::fs::write(path, vec![b'<'; 1 << 20]).unwrap();
    }
    let foreign = feeds.join("notes.md");
    std::fs::write(&foreign, "kept: not syndic's").unwrap();
    build_under_umask(dir.path(), "022");
    for path in &left {
        assert!(!path.exists(), "{} was left", path.display());
    }
    assert!(foreign.exists(), "a file that is not syndic's was removed");
}
