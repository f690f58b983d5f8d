//! Library-level timings: `check::check` + `engine::derive` (and with
//! `verify::check`) over the public cases, chains `tr(A1 … An X)` and
//! networks of `k` tanh layers. Run with `cargo bench --bench derive`;
//! sizes estimated above the budget of `families.rs` are skipped with a note.

use std::sync::OnceLock;

use matdiff::engine::{self, Options};
use matdiff::{check, verify};

mod families;

fn main() {
    divan::main();
}

fn cases() -> &'static [families::Case] {
    static CASES: OnceLock<Vec<families::Case>> = OnceLock::new();
    CASES.get_or_init(|| match families::cases() {
        Ok(c) => c,
        Err(note) => {
            eprintln!("note: public cases skipped: {note}");
            vec![]
        }
    })
}

fn case_ids() -> Vec<&'static str> {
    cases().iter().map(|c| c.id.as_str()).collect()
}

fn case(id: &str) -> &'static families::Case {
    cases().iter().find(|c| c.id == id).expect("a listed case")
}

fn derive(expr: &str, lets: &[String], wrt: &[String]) -> engine::Derivation {
    let problem = check::check(expr, lets).expect("a valid input");
    engine::derive(
        &problem,
        &Options {
            wrt: wrt.to_vec(),
            ..Options::default()
        },
    )
    .expect("a derivation")
}

/// Each public case: parse, check and derive.
#[divan::bench(args = case_ids())]
fn public_case(bencher: divan::Bencher, id: &str) {
    let c = case(id);
    let wrt = vec![c.wrt.clone()];
    bencher.bench(|| derive(&c.expr, &c.lets, &wrt));
}

/// Each public case: parse, check, derive and verify numerically (3 points).
#[divan::bench(args = case_ids())]
fn public_case_verified(bencher: divan::Bencher, id: &str) {
    let c = case(id);
    let wrt = vec![c.wrt.clone()];
    bencher.bench(|| {
        let der = derive(&c.expr, &c.lets, &wrt);
        verify::check(&der, 0, 3).expect("a numeric check")
    });
}

fn chain_sizes() -> Vec<usize> {
    families::admitted("chain", &[8, 32, 128, 256], families::chain, &["X".into()])
}

fn network_sizes() -> Vec<usize> {
    families::admitted("network", &[1, 4, 16, 64], families::network, &[])
}

/// `tr(A1 … An X)` with respect to `X`.
#[divan::bench(args = chain_sizes(), sample_count = 10)]
fn chain(bencher: divan::Bencher, n: usize) {
    let expr = families::chain(n);
    let wrt = vec!["X".to_string()];
    bencher.bench(|| derive(&expr, &[], &wrt));
}

/// A network of `k` tanh layers, every gradient.
#[divan::bench(args = network_sizes(), sample_count = 10)]
fn network(bencher: divan::Bencher, k: usize) {
    let expr = families::network(k);
    bencher.bench(|| derive(&expr, &[], &[]));
}
