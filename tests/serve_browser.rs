//! The page in a real browser: headless Chromium loads `matdiff serve`'s
//! page with a query in the URL, runs its script (which asks the API), and
//! the test reads the DOM it dumps.
//!
//! - `reference_derivation_renders_as_mathml`: `?cmd=grad&expr=L(XW%2BB)`
//!   shows ∂L/∂X = G Wᵀ, ∂L/∂W = Xᵀ G, ∂L/∂B = G as `<math>` elements (read
//!   back as text), their shapes, copy buttons, the derivation table with
//!   its rules and the numeric check; a screenshot is saved;
//! - `error_span_is_marked`: a shape error after multi-byte characters and
//!   a syntax error in a declaration each get a `<mark>` around the span in
//!   the right field, and the field is flagged invalid; a screenshot is saved;
//! - `other_commands_render`: equiv, simplify and shape from their URLs.
//!
//! Screenshots go to `target/tmp/serve/` (printed), as test artifacts.
//!
//! Chromium is found on `PATH` (`chromium`, `chromium-browser`) or at
//! `$MATDIFF_CHROMIUM`. Without it the tests are reported as ignored, with
//! the reason on standard output: this file has its own harness
//! (libtest-mimic), so that the decision is made when the tests run and
//! shows in cargo's summary as "ignored", never as "passed". `.ci/run`
//! installs Chromium (Debian's `chromium`), so CI always runs them.

#[path = "support/server.rs"]
#[allow(dead_code)] // the POST helpers are for serve_http
mod server;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};
use server::Server;

/// The flags every run needs here: no sandbox (CI runs as root), and none
/// of the background network traffic that hangs Chromium on a closed
/// network.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    // Virtual time runs out only once the page's requests are answered.
    "--virtual-time-budget=15000",
];

/// The longest one Chromium run may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MATDIFF_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Runs Chromium on `url` with `extra` flags in a fresh profile; its
/// standard output.
fn chromium(bin: &Path, extra: &[String], url: &str) -> Result<String, Failed> {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let profile = std::env::temp_dir().join(format!("matdiff-chromium-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&profile).map_err(|e| format!("a profile folder: {e}"))?;
    let mut child = Command::new(bin)
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{} does not start: {e}", bin.display()))?;
    // Read both pipes while waiting, so that a large DOM cannot block it.
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if started.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    let _ = std::fs::remove_dir_all(&profile);
    let tail: String = stderr
        .lines()
        .rev()
        .take(15)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n");
    match status {
        None => Err(format!("Chromium ran past {RUN_TIMEOUT:?} on {url}:\n{tail}").into()),
        Some(s) if !s.success() => Err(format!("Chromium failed ({s}) on {url}:\n{tail}").into()),
        Some(_) => Ok(stdout),
    }
}

/// The DOM of the page at `query` once its script has run.
fn dom(bin: &Path, server: &Server, query: &str) -> Result<String, Failed> {
    chromium(
        bin,
        &["--dump-dom".to_string()],
        &format!("{}{query}", server.url),
    )
}

/// A screenshot of the page at `query`, saved as `target/tmp/serve/{name}`.
fn screenshot(bin: &Path, server: &Server, query: &str, name: &str) -> Result<PathBuf, Failed> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    chromium(
        bin,
        &[
            format!("--screenshot={}", path.display()),
            "--window-size=1200,900".to_string(),
        ],
        &format!("{}{query}", server.url),
    )?;
    let png =
        std::fs::read(&path).map_err(|e| format!("no screenshot at {}: {e}", path.display()))?;
    check(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "the screenshot is a PNG",
    )?;
    check(png.len() > 10_000, "the screenshot is not blank")?;
    println!("screenshot: {}", path.display());
    Ok(path)
}

fn check(ok: bool, what: &str) -> Result<(), Failed> {
    if ok { Ok(()) } else { Err(what.into()) }
}

/// The part of `html` from the element that contains `marker` to the end
/// of the first `close` after it.
fn element<'a>(html: &'a str, marker: &str, close: &str) -> Result<&'a str, Failed> {
    let at = html
        .find(marker)
        .ok_or_else(|| format!("no {marker} in the page"))?;
    // From the `<` of the tag the marker is in.
    let start = html[..=at].rfind('<').unwrap_or(at);
    let rest = &html[start..];
    let end = rest
        .find(close)
        .ok_or_else(|| format!("no {close} after {marker}"))?;
    Ok(&rest[..end + close.len()])
}

/// The text of markup: tags removed, the five XML entities decoded, and the
/// invisible operators (function application, invisible times) dropped.
fn text(markup: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in markup.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            '\u{2061}' | '\u{2062}' => {}
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn reference_derivation_renders_as_mathml(bin: &Path) -> Result<(), Failed> {
    let server = Server::start(&[]);
    let query = "?cmd=grad&expr=L(XW%2BB)";
    let html = dom(bin, &server, query)?;
    for (wrt, formula, shape) in [
        ("X", "∂L∂X=GW⊤", "n×m"),
        ("W", "∂L∂W=X⊤G", "m×p"),
        ("B", "∂L∂B=G", "n×p"),
    ] {
        let item = element(&html, &format!("<li data-wrt=\"{wrt}\""), "</li>")?;
        let math = element(item, "<math", "</math>")?;
        check(
            text(math) == formula,
            &format!("∂L/∂{wrt} reads {:?}, not {formula:?}:\n{math}", text(math)),
        )?;
        check(
            math.contains("<mfrac>"),
            &format!("∂L/∂{wrt} is a fraction: {math}"),
        )?;
        check(
            item.contains(&format!("<span class=\"shape\">{shape}</span>")),
            &format!("∂L/∂{wrt} has the shape {shape}: {item}"),
        )?;
        for label in ["LaTeX", "NumPy", "PyTorch"] {
            check(
                item.contains(&format!(">{label}</button>")),
                &format!("∂L/∂{wrt} has a {label} copy button"),
            )?;
        }
    }
    let derivation = element(&html, "id=\"derivation\"", "</math>")?;
    check(
        derivation.contains("<math") && derivation.contains("display=\"block\""),
        "the derivation is a block <math>",
    )?;
    let rows = text(derivation);
    for line in [
        "dL=tr(G⊤dY)differential of L",
        "dY=dXW+XdW+dBproduct rule",
        "=tr(WG⊤dX)cyclic property of the trace",
        "⇒∂L∂X=GW⊤identification",
    ] {
        check(
            rows.contains(line),
            &format!("the derivation has {line:?}:\n{rows}"),
        )?;
    }
    check(
        html.contains("Numeric check passed"),
        "the numeric check is reported",
    )?;
    check(
        element(&html, "<section id=\"error\"", ">")?.contains(" hidden"),
        "no error is shown",
    )?;
    screenshot(
        bin,
        &server,
        &format!("{query}&let=X%3A%201%C3%97n"),
        "reference.png",
    )?;
    Ok(())
}

fn error_span_is_marked(bin: &Path) -> Result<(), Failed> {
    let server = Server::start(&[]);
    // A shape error after two two-byte characters: the mark must land on
    // `XW`, not two characters to its right.
    let query = "?cmd=grad&expr=%CE%B1%CE%B1%20tr(XW)&let=X%3A%202%C3%973%2C%20W%3A%204%C3%975";
    let html = dom(bin, &server, query)?;
    let echo = element(&html, "id=\"expr-error\"", "</p>")?;
    check(
        echo.contains("<mark class=\"span\">XW</mark>"),
        &format!("the span `XW` is marked: {echo}"),
    )?;
    check(
        text(echo).starts_with("αα tr(XW)"),
        &format!("the whole input is shown around the mark: {echo}"),
    )?;
    let input = element(&html, "<input id=\"expr\"", ">")?;
    check(
        input.contains("aria-invalid=\"true\""),
        &format!("the field is flagged: {input}"),
    )?;
    check(
        html.contains("the columns of `X` (3) differ from the rows of `W` (4)"),
        "the message is shown",
    )?;
    screenshot(bin, &server, query, "error.png")?;

    // A syntax error in the declarations is marked there.
    let html = dom(bin, &server, "?cmd=grad&expr=X%20W&let=X%3A%202%C3%97")?;
    let echo = element(&html, "id=\"let-error\"", "</p>")?;
    check(
        echo.contains("<mark class=\"span\">×</mark>"),
        &format!("the declaration's span is marked: {echo}"),
    )?;
    check(
        !element(&html, "id=\"expr-error\"", "</p>")?.contains("<mark"),
        "nothing is marked in the expression",
    )?;
    Ok(())
}

fn other_commands_render(bin: &Path) -> Result<(), Failed> {
    let server = Server::start(&[]);
    let html = dom(bin, &server, "?cmd=equiv&a=tr(ABC)&b=tr(CAB)&explain=1")?;
    check(
        html.contains("Equal: proved by rewriting."),
        "equiv shows its verdict",
    )?;
    let proof = element(&html, "id=\"derivation\"", "</math>")?;
    check(
        text(proof).contains("cyclic property of the trace"),
        &format!("equiv shows the proof: {proof}"),
    )?;

    let html = dom(bin, &server, "?cmd=simplify&expr=X(A%20%2B%20B)%20-%20XA")?;
    let result = element(&html, "class=\"formula\"", "</math>")?;
    check(
        text(result) == "XB",
        &format!("simplify gives X B: {result}"),
    )?;

    let html = dom(bin, &server, "?cmd=shape&expr=L(XW%2BB)")?;
    check(
        html.contains("<td class=\"code\">XW+B</td><td>n×p</td>")
            || html.contains("<td class=\"code\">\u{a0}\u{a0}XW+B</td><td>n×p</td>")
            || html.contains("<td class=\"code\">&nbsp;&nbsp;XW+B</td><td>n×p</td>"),
        "shape lists XW+B as n×p",
    )?;
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let chromium = find_chromium();
    type Test = fn(&Path) -> Result<(), Failed>;
    let tests: [(&str, Test); 3] = [
        (
            "reference_derivation_renders_as_mathml",
            reference_derivation_renders_as_mathml,
        ),
        ("error_span_is_marked", error_span_is_marked),
        ("other_commands_render", other_commands_render),
    ];
    if chromium.is_none() {
        println!(
            "skipped: chromium not found (on PATH as chromium or chromium-browser, or at \
             $MATDIFF_CHROMIUM); .ci/run installs Debian's chromium"
        );
    }
    let trials = tests
        .into_iter()
        .map(|(name, f)| {
            let bin = chromium.clone();
            Trial::test(name, move || match &bin {
                Some(b) => f(b),
                None => Err("chromium not found".into()),
            })
            .with_ignored_flag(chromium.is_none())
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
