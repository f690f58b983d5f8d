//! The `--stats` table: one row per e-graph run of a derivation.

use crate::engine::StageStats;

/// One row per e-graph run (its e-nodes, e-classes, iterations, why it
/// stopped and its wall time), then the totals, under a title naming `source`.
pub fn table(source: &str, stats: &[StageStats]) -> String {
    let mut s = format!(
        "statistics of {source}\n{:<38} {:>7} {:>8} {:>6}  {:<10} {:>10}\n",
        "stage", "nodes", "classes", "iters", "stop", "time"
    );
    let row = |s: &mut String, stage: &str, n: usize, c: usize, i: usize, stop: &str, us: u128| {
        s.push_str(&format!(
            "{:<38} {:>7} {:>8} {:>6}  {:<10} {:>7.3} ms\n",
            stage,
            n,
            c,
            i,
            stop,
            us as f64 / 1000.0
        ));
    };
    for st in stats {
        row(
            &mut s,
            &st.stage,
            st.nodes,
            st.classes,
            st.iterations,
            &st.stop,
            st.micros,
        );
    }
    let sum = |f: fn(&StageStats) -> usize| stats.iter().map(f).sum::<usize>();
    row(
        &mut s,
        &format!("total ({} runs)", stats.len()),
        sum(|st| st.nodes),
        sum(|st| st.classes),
        sum(|st| st.iterations),
        "",
        stats.iter().map(|st| st.micros).sum(),
    );
    s
}
