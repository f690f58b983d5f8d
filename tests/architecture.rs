//! ARCHITECTURE.md stays true to the code: its code map names every file
//! under `src/`, and names no file that does not exist.

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("a readable folder").flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_code_map_names_every_source_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut all = Vec::new();
    files(&root.join("src"), &mut all);
    let mut missing: Vec<String> = all
        .iter()
        .map(|p| {
            p.strip_prefix(root)
                .expect("under the root")
                .to_string_lossy()
                .replace('\\', "/")
        })
        .filter(|p| !doc.contains(&format!("`{p}`")))
        .collect();
    missing.sort();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not name: {missing:?}"
    );
    for named in doc
        .split('`')
        .filter(|w| w.starts_with("src/") && w.ends_with(".rs"))
    {
        assert!(
            root.join(named).exists(),
            "ARCHITECTURE.md names {named}, which does not exist"
        );
    }
}
