//! Decides, once per build, which tests that need tools outside Rust can run
//! here, so that a test that cannot run shows as *ignored* in `cargo test`'s
//! summary instead of passing without checking anything:
//!
//! - `matdiff_numpy`: `python3` imports NumPy and SciPy (generated NumPy
//!   code is run by `tests/gradient_properties.rs` and
//!   `tests/render_cases.rs`);
//! - `matdiff_torch`: `python3` imports PyTorch;
//! - `matdiff_ci`: the `CI` variable is set. CI must run every test, so
//!   there the tests are never ignored, and one whose tool is missing fails
//!   loudly (`.ci/run` installs NumPy and SciPy; PyTorch is too large to
//!   install there, so the PyTorch test is ignored in CI too).
//!
//! Installing a tool later needs a rebuild of this probe: `touch build.rs`.

use std::process::Command;

fn imports(modules: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rustc-check-cfg=cfg(matdiff_numpy, matdiff_torch, matdiff_ci)");
    if imports("numpy, scipy.special") {
        println!("cargo::rustc-cfg=matdiff_numpy");
    }
    if imports("torch, numpy") {
        println!("cargo::rustc-cfg=matdiff_torch");
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=matdiff_ci");
    }
}
