//! Helpers shared by the integration tests.

pub mod http;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use medatlas::catalogue::Catalogue;
use tempfile::TempDir;

/// A file or folder under `tests/data`.
pub fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}

/// The bundled catalogue, loaded once for every test of this binary.
pub fn catalogue() -> &'static Catalogue {
    static C: OnceLock<Catalogue> = OnceLock::new();
    C.get_or_init(|| Catalogue::bundled().expect("bundled catalogue"))
}

/// A fresh empty folder, removed when dropped.
pub fn temp_dir() -> TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// The `medatlas` binary with `home` as its home, data and cache folder, so that no real user
/// catalogue or store is read, and without `RUST_LOG`. Tests never change their own environment
/// (they share one process); a child gets its settings here.
pub fn medatlas_command(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_medatlas"));
    command
        .env("XDG_DATA_HOME", home)
        .env("XDG_CACHE_HOME", home)
        .env("HOME", home)
        .env_remove("RUST_LOG");
    command
}

/// Runs the binary (see [`medatlas_command`]) to the end.
pub fn medatlas(args: &[&str], home: &Path) -> Output {
    medatlas_command(home)
        .args(args)
        .output()
        .expect("run medatlas")
}
