//! The MathML renderer on the derivation corpus (`tests/render/*.txt`, read
//! as `tests/render_cases.rs` reads it).
//!
//! - `derivations`: per case, the derivation table and each gradient's
//!   result are snapshotted, one table row per line so that a row reads
//!   against the same line of the text snapshot in `render_cases`;
//! - `every_output_is_well_formed_mathml`: every `<math>` the renderer makes
//!   for the corpus (the table, each result, each step on its own, each
//!   chain of rewrites of `simplify` on the corpus's expressions) is an XML
//!   document whose root is `<math>` in the MathML namespace, uses only
//!   MathML Core elements, and has rows of three cells.

use std::path::{Path, PathBuf};

use matdiff::check;
use matdiff::engine::{self, Derivation, Options};
use matdiff::render::derivation::gradient_steps;
use matdiff::render::mathml;

/// The `--let` declarations and the expression of a case file.
fn load(path: &Path) -> (Vec<String>, String) {
    let text = std::fs::read_to_string(path).expect("case file is readable");
    let mut lets = Vec::new();
    let mut expr = Vec::new();
    for line in text.lines() {
        match line.strip_prefix("# let:") {
            Some(decl) => lets.push(decl.trim().to_string()),
            None if line.trim().is_empty() => {}
            None => expr.push(line.trim()),
        }
    }
    (lets, expr.join(" "))
}

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/render");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/render exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no cases under {}", dir.display());
    files
}

fn derive(path: &Path) -> Derivation {
    let (lets, expr) = load(path);
    let problem = check::check(&expr, &lets)
        .unwrap_or_else(|e| panic!("{} should check:\n{}", path.display(), e.render(false, 80)));
    engine::derive(&problem, &Options::default())
        .unwrap_or_else(|e| panic!("{} should derive:\n{}", path.display(), e.render(false, 80)))
}

/// One table row (`<mtr>…</mtr>`) per line.
fn rows(math: &str) -> String {
    math.replace("<mtable", "\n<mtable")
        .replace("<mtr>", "\n  <mtr>")
        .replace("</mtable>", "\n</mtable>")
}

/// The MathML read back as linear text, from the parsed tree: tokens as
/// they are (invisible times as a space, function application as nothing),
/// `{base}^{script}` and `{a}/{b}` with braces around anything longer than
/// one token, table cells separated by ` | `, one row a line. What the
/// snapshot shows first, to be read against the text rendering.
fn read_back(math: &str) -> String {
    fn token(tag: &str) -> bool {
        matches!(tag, "mi" | "mn" | "mo" | "mtext")
    }
    fn go(n: roxmltree::Node, out: &mut String) {
        let tag = n.tag_name().name();
        let kids: Vec<roxmltree::Node> = n.children().filter(|c| c.is_element()).collect();
        let part = |k: &roxmltree::Node| {
            let mut s = String::new();
            go(*k, &mut s);
            if token(k.tag_name().name()) {
                s
            } else {
                format!("{{{s}}}")
            }
        };
        match tag {
            "mo" => match n.text().unwrap_or("") {
                "\u{2062}" => out.push(' '),
                "\u{2061}" => {}
                t @ ("(" | ")" | "‖") => out.push_str(t),
                op => out.push_str(&format!(" {op} ")),
            },
            "mi" | "mn" | "mtext" => out.push_str(n.text().unwrap_or("")),
            "mspace" => out.push(' '),
            "msup" => out.push_str(&format!("{}^{}", part(&kids[0]), part(&kids[1]))),
            "msub" => out.push_str(&format!("{}_{}", part(&kids[0]), part(&kids[1]))),
            "mfrac" => out.push_str(&format!("{}/{}", part(&kids[0]), part(&kids[1]))),
            "mtr" => {
                let cells: Vec<String> = kids
                    .iter()
                    .map(|k| {
                        let mut s = String::new();
                        go(*k, &mut s);
                        s.split_whitespace().collect::<Vec<_>>().join(" ")
                    })
                    .collect();
                out.push_str(&format!("  {}\n", cells.join(" | ")).replace("  \n", "\n"));
            }
            _ => kids.iter().for_each(|k| go(*k, out)),
        }
    }
    let doc = roxmltree::Document::parse(math).expect("well-formed");
    let mut out = String::new();
    go(doc.root_element(), &mut out);
    if doc.descendants().any(|n| n.has_tag_name("mtable")) {
        out
    } else {
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

#[test]
fn derivations() {
    insta::glob!("render/*.txt", |path| {
        let (lets, expr) = load(path);
        let der = derive(path);
        let mut out = String::new();
        for l in &lets {
            out.push_str(&format!("--let {l}\n"));
        }
        let table = mathml::derivation(&der);
        let results: Vec<String> = der
            .gradients
            .iter()
            .map(|g| mathml::gradient(g, &der.function))
            .collect();
        out.push_str(&format!("input: {expr}\n\n──── read back ────\n"));
        out.push_str(&read_back(&table));
        for r in &results {
            out.push_str(&format!("\n  {}", read_back(r)));
        }
        out.push_str("\n\n──── derivation ────");
        out.push_str(&rows(&table));
        out.push_str("\n\n──── gradients ────\n");
        for r in &results {
            out.push_str(r);
            out.push('\n');
        }
        insta::assert_snapshot!(out);
    });
}

/// The elements of MathML Core (W3C Recommendation), which browsers render.
const CORE: &[&str] = &[
    "math",
    "mi",
    "mn",
    "mo",
    "ms",
    "mtext",
    "mspace",
    "mrow",
    "mfrac",
    "msqrt",
    "mroot",
    "mstyle",
    "merror",
    "mpadded",
    "mphantom",
    "msub",
    "msup",
    "msubsup",
    "munder",
    "mover",
    "munderover",
    "mmultiscripts",
    "mprescripts",
    "mtable",
    "mtr",
    "mtd",
    "semantics",
    "annotation",
    "annotation-xml",
];

/// Elements whose children are a fixed number of arguments.
fn arity(tag: &str) -> Option<usize> {
    match tag {
        "mfrac" | "msub" | "msup" | "munder" | "mover" | "mroot" => Some(2),
        "msubsup" | "munderover" => Some(3),
        _ => None,
    }
}

/// Parses `math` and checks it is MathML Core with well-formed rows; panics
/// naming `what` otherwise.
fn assert_mathml(math: &str, what: &str) {
    let doc = match roxmltree::Document::parse(math) {
        Ok(d) => d,
        Err(e) => panic!("{what}: not well-formed XML ({e}):\n{math}"),
    };
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "math", "{what}: root\n{math}");
    assert_eq!(
        root.tag_name().namespace(),
        Some(mathml::NAMESPACE),
        "{what}: namespace\n{math}"
    );
    for node in root.descendants().filter(|n| n.is_element()) {
        let tag = node.tag_name().name();
        assert!(
            CORE.contains(&tag),
            "{what}: <{tag}> is not MathML Core\n{math}"
        );
        assert_eq!(
            node.tag_name().namespace(),
            Some(mathml::NAMESPACE),
            "{what}: <{tag}> outside the namespace"
        );
        let children = node.children().filter(|c| c.is_element()).count();
        if let Some(n) = arity(tag) {
            assert_eq!(
                children, n,
                "{what}: <{tag}> with {children} children\n{math}"
            );
        }
        if tag == "mtr" {
            let cells: usize = node
                .children()
                .filter(|c| c.is_element())
                .map(|c| {
                    assert_eq!(c.tag_name().name(), "mtd", "{what}: a row holds cells");
                    c.attribute("columnspan")
                        .map_or(1, |s| s.parse::<usize>().expect("a number"))
                })
                .sum();
            assert_eq!(cells, 3, "{what}: a row of {cells} columns\n{math}");
        }
        // Token elements hold text only.
        if matches!(tag, "mi" | "mn" | "mo" | "mtext") {
            assert_eq!(children, 0, "{what}: <{tag}> holds elements");
            assert!(
                !node.text().unwrap_or("").is_empty() || tag == "mtext",
                "{what}: empty <{tag}>\n{math}"
            );
        }
    }
}

#[test]
fn every_output_is_well_formed_mathml() {
    let mut checked = 0;
    for path in cases() {
        let name = path.display().to_string();
        let der = derive(&path);
        assert_mathml(&mathml::derivation(&der), &name);
        checked += 1;
        for g in der.backprop.iter().chain(&der.gradients) {
            assert_mathml(&mathml::gradient(g, &der.function), &name);
            for s in gradient_steps(g, &der.function) {
                assert_mathml(&mathml::equation(&s), &name);
                checked += 1;
            }
        }
        for s in &der.preamble {
            assert_mathml(&mathml::equation(s), &name);
            checked += 1;
        }
        let (lets, expr) = load(&path);
        let src = if lets.is_empty() {
            expr
        } else {
            format!("{expr} where {}", lets.join(", "))
        };
        let simplified = matdiff::simplify(&src).expect("a corpus expression simplifies");
        assert_mathml(
            &mathml::rewrites(&simplified.start, &simplified.steps),
            &name,
        );
        assert_mathml(&mathml::term(&simplified.result), &name);
        checked += 2;
    }
    assert!(checked > 100, "only {checked} outputs checked");
}
