//! Derivations by components as data: every file under `tests/components`
//! is derived by components and snapshotted, and both methods must give the
//! same gradients (compared numerically, and checked against finite
//! differences). Adding a case needs no Rust: add a file, run
//! `INSTA_UPDATE=always cargo test --test components_cases`, read the
//! snapshot.
//!
//! A case file holds one expression; leading `# let: DECL` lines are passed
//! as `--let` declarations, other `#` lines are comments (the source of the
//! identity).

use std::path::Path;
use std::process::Command;

use matdiff::components;
use matdiff::engine::{self, Options};
use matdiff::numeric::check_gradient;
use matdiff::render::{self, text::Style};
use matdiff::{Problem, check};

/// The `--let` declarations and the expression of a case file.
fn load(path: &Path) -> (Vec<String>, String) {
    let text = std::fs::read_to_string(path).expect("case file is readable");
    let mut lets = Vec::new();
    let mut expr = Vec::new();
    for line in text.lines() {
        match line.strip_prefix("# let:") {
            Some(decl) => lets.push(decl.trim().to_string()),
            None if line.trim().is_empty() || line.starts_with('#') => {}
            None => expr.push(line.trim()),
        }
    }
    (lets, expr.join(" "))
}

fn problem(path: &Path) -> (Vec<String>, Problem) {
    let (lets, expr) = load(path);
    match check::check(&expr, &lets) {
        Ok(p) => (lets, p),
        Err(e) => panic!("{} should check:\n{}", path.display(), e.render(false, 80)),
    }
}

#[test]
fn derivations() {
    insta::glob!("components/*.txt", |path| {
        let (lets, p) = problem(path);
        let der = components::derive(&p, &[]).expect("derives by components");
        let mut out = String::new();
        for l in &lets {
            out.push_str(&format!("--let {l}\n"));
        }
        out.push_str(&render::components::render(&der, Style::default()));
        insta::assert_snapshot!(out);
    });
}

/// Both methods, every variable: equal gradients at random points, and the
/// components result against finite differences.
#[test]
fn both_methods_agree() {
    insta::glob!("components/*.txt", |path| {
        let (_, p) = problem(path);
        let comp = components::derive(&p, &[]).expect("derives by components");
        for g in &comp.gradients {
            let result = g.result.as_ref().expect("reassembled");
            let r = check_gradient(&comp.problem.term, &g.wrt, result, &comp.problem.env, 11, 3)
                .expect("evaluates");
            assert!(
                r.passed(),
                "{}: ∂/∂{} by components: {r:?}",
                path.display(),
                g.wrt
            );
        }
        let diff = match engine::derive(&p, &Options::default()) {
            Ok(d) => d,
            Err(e) => panic!("{}: the differential method fails: {e:?}", path.display()),
        };
        let a = components::agreement(&diff, &comp, 7, 3).expect("evaluates");
        assert_eq!(a.verdicts.len(), diff.gradients.len(), "{}", path.display());
        for v in &a.verdicts {
            let Some(c) = &v.numeric else {
                panic!(
                    "{}: ∂/∂{} has no matrix form by components",
                    path.display(),
                    v.wrt
                );
            };
            assert!(
                c.agree(),
                "{}: ∂/∂{} differs between the methods: {:?}",
                path.display(),
                v.wrt,
                c
            );
        }
    });
}

/// The acceptance case: both views, the sums with their indices, agreement.
#[test]
fn binary_shows_both_views_of_the_reference_case() {
    let out = Command::new(env!("CARGO_BIN_EXE_matdiff"))
        .args([
            "grad",
            "L(XW+B) where X: 1×n, W: n×m, B: 1×m",
            "--method",
            "both",
        ])
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for line in [
        "dL = tr(Gᵀ dY)",
        "y_j = Σ_k x_k w_kj + b_j",
        "∂L/∂x_i = Σ_j g_j ∂y_j/∂x_i",
        "∂L/∂x_i = Σ_j g_j w_ij",
        "= (G Wᵀ)_i",
        "⇒ ∂L/∂W = Xᵀ G",
        "both methods agree",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in\n{stdout}");
    }
    assert!(
        stdout
            .trim_end()
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("both methods agree"))
    );
}

/// An index form that would grow exponentially is refused, not built.
#[test]
fn binary_refuses_an_index_form_too_large_to_read() {
    let out = Command::new(env!("CARGO_BIN_EXE_matdiff"))
        .args(["grad", "tr((A+B)^13)", "--method", "components"])
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("more than 4096"), "{stderr}");
}
