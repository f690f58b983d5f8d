//! `matdiff serve` over HTTP: a server started on a free port, each
//! endpoint, each error status, many clients at once, a slow request next to
//! fast ones, and a clean stop on Ctrl-C.
//!
//! The slow request is a real derivation (a 50-deep tanh chain, seconds in
//! a test build); the assertions are about order and status, never about
//! how many milliseconds something took.

#[path = "support/server.rs"]
mod server;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Instant;

use serde_json::{Value, json};
use server::Server;

/// `matdiff ARGS` on the command line: its standard output as JSON.
fn cli_json(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_matdiff"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("matdiff runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the command line prints JSON")
}

/// `matdiff ARGS` on the command line: its standard output.
fn cli_text(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_matdiff"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("matdiff runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The answer without the fields the server adds to the command line's object.
fn without_extras(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        m.remove("mathml");
        m.remove("output");
    }
    v
}

/// A derivation that takes seconds in a test build (about 3 s here):
/// `sum(tanh(…tanh(X)…))`, 150 deep.
fn slow_expr() -> String {
    // Every gradient of a 199-factor trace: about 2.5 s in a release build.
    let factors: Vec<String> = (1..200).map(|i| format!("A{i}")).collect();
    format!("tr({})", factors.join(" "))
}

/// An answer for a failure message: its first 300 characters.
fn short(r: &server::Reply) -> String {
    let s = r.json.to_string();
    let cut: String = s.chars().take(300).collect();
    format!("{} {cut}", r.status)
}

#[test]
fn grad_answers_the_command_lines_json_and_mathml() {
    let s = Server::start(&[]);
    let r = s.post("grad", &json!({"expr": "L(XW+B)", "let": ["X: 1×n"]}));
    assert_eq!(r.status, 200, "{}", short(&r));
    let cli = cli_json(&["grad", "L(XW+B)", "--let", "X: 1×n", "--format", "json"]);
    assert_eq!(without_extras(&r.json), cli);
    let keys: Vec<&String> = r.json.as_object().expect("an object").keys().collect();
    assert_eq!(
        keys,
        [
            "input",
            "shapes",
            "definitions",
            "differential",
            "gradients",
            "check",
            "mathml"
        ]
    );
    let texts: Vec<&str> = r.json["gradients"]
        .as_array()
        .expect("gradients")
        .iter()
        .map(|g| g["text"].as_str().expect("text"))
        .collect();
    assert_eq!(texts, ["G Wᵀ", "Xᵀ G", "G"]);
    let mathml = &r.json["mathml"];
    assert!(
        mathml["gradients"][0]
            .as_str()
            .expect("MathML of ∂L/∂X")
            .ends_with("<mo>=</mo><mrow><mi>G</mi><mo>&#x2062;</mo><msup><mi>W</mi><mi>⊤</mi></msup></mrow></math>"),
        "{mathml}"
    );
    let derivation = mathml["derivation"].as_str().expect("a derivation");
    assert!(
        derivation
            .starts_with("<math xmlns=\"http://www.w3.org/1998/Math/MathML\" display=\"block\">")
    );
    assert!(derivation.contains("<mtext>cyclic property of the trace</mtext>"));
    roxmltree::Document::parse(derivation).expect("the derivation is XML");

    // `wrt`, `seed` and `no_check` as on the command line.
    let r = s.post(
        "grad",
        &json!({"expr": "tr(AXB)", "wrt": "X", "no_check": true}),
    );
    assert_eq!(r.status, 200, "{}", short(&r));
    assert_eq!(r.json["gradients"].as_array().map(Vec::len), Some(1));
    assert_eq!(r.json["gradients"][0]["text"], "(B A)ᵀ");
    assert_eq!(r.json["check"], Value::Null);
}

#[test]
fn formats_give_the_command_lines_output() {
    let s = Server::start(&[]);
    for format in ["text", "latex", "numpy", "torch"] {
        let r = s.post("grad", &json!({"expr": "‖Ax - b‖^2", "format": format}));
        assert_eq!(r.status, 200, "{}", short(&r));
        let cli = cli_text(&["grad", "‖Ax - b‖^2", "--format", format]);
        assert_eq!(r.json["output"], cli, "{format}");
    }
    let r = s.post(
        "grad",
        &json!({"expr": "tr(AXB)", "format": "text", "ascii": true, "check": true}),
    );
    assert_eq!(
        r.json["output"],
        cli_text(&["grad", "tr(AXB)", "--ascii", "--check"])
    );
    let r = s.post("grad", &json!({"expr": "L(XW+B)", "method": "both"}));
    assert_eq!(r.status, 200, "{}", short(&r));
    assert_eq!(r.json["agree"], true);
    assert!(
        r.json["components"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("g_"))
    );
}

#[test]
fn simplify_equiv_and_shape_answer() {
    let s = Server::start(&[]);
    let r = s.post(
        "simplify",
        &json!({"expr": "X(A + B) - XA", "format": "text"}),
    );
    assert_eq!(r.status, 200, "{}", short(&r));
    assert_eq!(
        without_extras(&r.json),
        cli_json(&["simplify", "X(A + B) - XA", "--format", "json"])
    );
    assert_eq!(r.json["output"], cli_text(&["simplify", "X(A + B) - XA"]));
    assert!(
        r.json["mathml"]["result"]
            .as_str()
            .is_some_and(|m| m.contains("<mi>B</mi>"))
    );

    let r = s.post(
        "equiv",
        &json!({"a": "tr(ABC)", "b": "tr(CAB)", "explain": true}),
    );
    assert_eq!(r.status, 200, "{}", short(&r));
    assert_eq!(r.json["verdict"], "proved");
    assert_eq!(
        r.json["output"],
        cli_text(&["equiv", "tr(ABC)", "tr(CAB)", "--explain"])
    );
    assert_eq!(
        r.json["proof"]["steps"][0]["rule"],
        "cyclic property of the trace"
    );

    // "Not equal" is an answer, not an error (the command line exits 1).
    let r = s.post("equiv", &json!({"a": "tr(ABC)", "b": "tr(ACB)"}));
    assert_eq!(r.status, 200, "{}", short(&r));
    assert_eq!(r.json["verdict"], "refuted");
    assert!(
        r.json["counterexample"]["rel_difference"]
            .as_f64()
            .is_some_and(|d| d > 1e-6)
    );

    let r = s.post("shape", &json!({"expr": "L(XW+B)", "let": "X: 1×n"}));
    assert_eq!(r.status, 200, "{}", short(&r));
    assert_eq!(r.json["variables"]["B"]["shape"], json!([1, "m"]));
    assert_eq!(r.json["variables"]["W"]["kind"], "matrix");
    assert_eq!(r.json["subexpressions"][1]["text"], "XW+B");
    assert_eq!(
        r.json["output"],
        cli_text(&["shape", "L(XW+B)", "--let", "X: 1×n"])
    );
}

#[test]
fn the_page_and_its_assets_are_served_from_the_binary() {
    let s = Server::start(&[]);
    let (status, ctype, html) = s.get("/");
    assert_eq!(status, 200);
    assert_eq!(ctype, "text/html; charset=utf-8");
    assert!(html.contains("<script src=\"/app.js\" defer></script>"));
    let csp = s.header("/", "content-security-policy").expect("a CSP");
    assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"));
    for (path, ctype_want) in [
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
    ] {
        let (status, ctype, body) = s.get(path);
        assert_eq!((status, ctype.as_str()), (200, ctype_want), "{path}");
        assert!(body.len() > 1000, "{path}");
    }
    // Nothing the page loads comes from elsewhere.
    for path in ["/", "/app.js", "/style.css"] {
        let (_, _, body) = s.get(path);
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{path} names a URL"
        );
    }
    let (status, _, body) = s.get("/nothing");
    assert_eq!(status, 404);
    assert!(body.contains("POST /api/grad"), "{body}");
}

#[test]
fn bad_input_is_400_with_the_span_in_the_request() {
    let s = Server::start(&[]);
    let r = s.post("grad", &json!({"expr": "tr(X"}));
    assert_eq!(r.status, 400);
    let e = &r.json["error"];
    assert_eq!(e["message"], "unclosed `(`");
    assert_eq!(e["exit"], 2);
    assert_eq!(e["code"], "matdiff::syntax");
    assert_eq!(
        e["span"],
        json!({"field": "expr", "index": null, "start": 2, "end": 3, "text": "("})
    );
    assert!(
        e["diagnostic"]
            .as_str()
            .is_some_and(|d| d.contains("opened here and never closed"))
    );

    // A shape error, its span after multi-byte characters: byte offsets.
    let r = s.post(
        "grad",
        &json!({"expr": "αα tr(XW)", "let": ["X: 2×3", "W: 4×5"]}),
    );
    assert_eq!(r.status, 400);
    let span = &r.json["error"]["span"];
    assert_eq!(span["field"], "expr");
    assert_eq!(span["text"], "XW");
    assert_eq!(
        (span["start"].as_u64(), span["end"].as_u64()),
        (Some(8), Some(10))
    );

    // In the second declaration.
    let r = s.post("grad", &json!({"expr": "X W", "let": ["X: 2×3", "W: 2×"]}));
    assert_eq!(r.status, 400);
    let span = &r.json["error"]["span"];
    assert_eq!((&span["field"], &span["index"]), (&json!("let"), &json!(1)));

    // equiv checks its sides together; the span is put back in its side.
    let r = s.post(
        "equiv",
        &json!({"a": "X", "b": "Y ", "let": "X: 2×3, Y: 3×2"}),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json["error"]["span"]["field"], "b");
    assert_eq!(r.json["error"]["span"]["text"], "Y");
    for (a, b, field, start) in [("tr(XW)", "tr(X)", "a", 3), ("tr(A)", "tr(XW)", "b", 3)] {
        let r = s.post("equiv", &json!({"a": a, "b": b, "let": "X: 2×3, W: 4×5"}));
        assert_eq!(r.status, 400, "{}", short(&r));
        let span = &r.json["error"]["span"];
        assert_eq!(
            (&span["field"], &span["text"], span["start"].as_u64()),
            (&json!(field), &json!("XW"), Some(start)),
            "{a} vs {b}: {span}"
        );
    }

    for (command, body, says) in [
        ("grad", "{", "EOF"),
        ("grad", "[]", "expected struct"),
        (
            "grad",
            r#"{"expr": "X", "colour": "red"}"#,
            "unknown field `colour`",
        ),
        (
            "grad",
            r#"{"expr": "X", "check": true, "no_check": true}"#,
            "cannot both",
        ),
        ("simplify", r#"{"expr": "X", "timeout": 0}"#, "timeout"),
        ("equiv", r#"{"a": "X"}"#, "missing field `b`"),
        ("shape", r#"{"expr": 7}"#, "expected a string"),
    ] {
        let r = s.post_raw(command, body.as_bytes());
        assert_eq!(r.status, 400, "{body}: {}", short(&r));
        let message = r.json["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{body}: {message}");
        assert_eq!(r.json["error"]["span"], Value::Null);
    }
    let r = s.post("jacobian", &json!({"expr": "X"}));
    assert_eq!(r.status, 404);
}

#[test]
fn cannot_do_is_422_and_too_big_is_413() {
    let s = Server::start(&[]);
    let r = s.post("grad", &json!({"expr": "L(X) + L(W)"}));
    assert_eq!(r.status, 422, "{}", short(&r));
    assert_eq!(r.json["error"]["exit"], 1);
    assert_eq!(r.json["error"]["code"], "matdiff::unsupported");

    let r = s.post("grad", &json!({"expr": "tr(X^{30} Y)"}));
    assert_eq!(r.status, 422, "{}", short(&r));
    assert_eq!(r.json["error"]["code"], "matdiff::too_complex");

    // Just over the body cap (2 MiB), so that the server has read all of it
    // when it refuses (a client that is still sending when the server
    // answers and closes may see a reset instead of the answer).
    let big = format!("{{\"expr\": \"{}X\"}}", "X+".repeat((2 << 20) / 2));
    assert!(big.len() > 2 << 20 && big.len() < (2 << 20) + 64);
    let r = s.post_raw("grad", big.as_bytes());
    assert_eq!(r.status, 413, "{}", short(&r));
    assert!(
        r.json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("over the limit"))
    );

    // Under the cap but over the parser's 1 MiB: the library says so.
    let long = json!({"expr": "X+".repeat(600_000)});
    let r = s.post("grad", &long);
    assert_eq!(r.status, 400, "{}", short(&r));
    assert!(
        r.json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("limit is"))
    );
}

#[test]
fn odd_bodies_never_break_the_server() {
    let s = Server::start(&[]);
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"\xff\xfe\x00garbage".to_vec(),
        br#"{"expr": "\ud800"}"#.to_vec(),
        br#"{"expr": "\u0000"}"#.to_vec(),
        "{\"expr\": \"tr(X😀)\"}".as_bytes().to_vec(),
        "{\"expr\": \"Χ W\"}".as_bytes().to_vec(), // a Greek capital chi
        "{\"expr\": \"tr(A\u{200b}X)\"}".as_bytes().to_vec(),
        "{\"expr\": \"e\u{301}\"}".as_bytes().to_vec(),
        format!(
            "{{\"expr\": \"{}X{}\"}}",
            "(".repeat(10_000),
            ")".repeat(10_000)
        )
        .into_bytes(),
        br#"{"expr": "L(XW+B)", "let": [null]}"#.to_vec(),
        br#"{"expr": "L(XW+B)", "node_limit": 18446744073709551616}"#.to_vec(),
        br#"{"expr": "L(XW+B)", "seed": -1}"#.to_vec(),
        br#"{"expr": "L(XW+B)", "timeout": 1e400}"#.to_vec(),
    ];
    for body in &bodies {
        let r = s.post_raw("grad", body);
        assert!(
            matches!(r.status, 400 | 422),
            "{}: {} {}",
            String::from_utf8_lossy(body),
            r.status,
            r.json
        );
        assert!(r.json["error"]["message"].is_string(), "{}", short(&r));
    }
    let r = s.post("grad", &json!({"expr": "L(XW+B)"}));
    assert_eq!(r.status, 200, "the server still answers");
}

#[test]
fn two_hundred_requests_from_eight_clients_are_all_answered_right() {
    let s = Arc::new(Server::start(&["--jobs", "4"]));
    let cases = [
        json!({"expr": "L(XW+B)", "let": ["X: 1×n"]}),
        json!({"expr": "tr(AXB)"}),
        json!({"expr": "logdet(X)"}),
        json!({"expr": "‖Ax - b‖^2"}),
        json!({"expr": "x^T A x"}),
    ];
    // Each answer alone first; the reference answers are checked by eye in
    // the gradient texts below.
    let expected: Vec<Value> = cases
        .iter()
        .map(|c| {
            let r = s.post("grad", c);
            assert_eq!(r.status, 200, "{c}: {}", short(&r));
            r.json
        })
        .collect();
    assert_eq!(expected[0]["gradients"][0]["text"], "G Wᵀ");
    assert_eq!(expected[1]["gradients"][1]["text"], "(B A)ᵀ");
    assert_eq!(expected[2]["gradients"][0]["text"], "X⁻ᵀ");
    assert_eq!(expected[3]["gradients"][1]["text"], "2 Aᵀ (A x − b)");
    assert_eq!(expected[4]["gradients"][0]["text"], "(A + Aᵀ) x");
    let (cases, expected) = (Arc::new(cases), Arc::new(expected));
    let start = Arc::new(Barrier::new(8));
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let (s, cases, expected, start) =
                (s.clone(), cases.clone(), expected.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                let mut wrong = Vec::new();
                for i in 0..25 {
                    let k = (client + i) % cases.len();
                    let r = s.post("grad", &cases[k]);
                    if r.status != 200 || r.json != expected[k] {
                        wrong.push(format!(
                            "client {client}, request {i}: {} {}",
                            r.status, cases[k]
                        ));
                    }
                }
                wrong
            })
        })
        .collect();
    let mut wrong = Vec::new();
    for c in clients {
        wrong.extend(c.join().expect("a client finishes"));
    }
    assert!(
        wrong.is_empty(),
        "{} of 200 answers wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn a_slow_request_does_not_hold_up_fast_ones() {
    let s = Arc::new(Server::start(&["--jobs", "2"]));
    let slow_done = Arc::new(AtomicBool::new(false));
    let slow = {
        let (s, slow_done) = (s.clone(), slow_done.clone());
        std::thread::spawn(move || {
            let r = s.post("grad", &json!({"expr": slow_expr(), "timeout": 8}));
            slow_done.store(true, Ordering::SeqCst);
            r.status
        })
    };
    // Give the slow request time to take its worker.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let started = Instant::now();
    for _ in 0..20 {
        let r = s.post("grad", &json!({"expr": "L(XW+B)"}));
        assert_eq!(r.status, 200, "{}", short(&r));
        assert_eq!(r.json["gradients"][0]["text"], "G Wᵀ");
    }
    let fast = started.elapsed();
    assert!(
        !slow_done.load(Ordering::SeqCst),
        "the slow request finished first, so this test showed nothing \
         (20 fast requests took {fast:?}): make slow_expr slower"
    );
    let status = slow.join().expect("the slow client finishes");
    assert!(matches!(status, 200 | 503), "slow request: {status}");
}

#[test]
fn a_passed_deadline_is_503() {
    // The deadline passes while the derivation runs.
    let s = Arc::new(Server::start(&["--jobs", "1"]));
    let r = s.post("grad", &json!({"expr": slow_expr(), "timeout": 0.5}));
    assert_eq!(r.status, 503, "{}", short(&r));
    let code = r.json["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        code == "matdiff::limit" || code == "matdiff::deadline",
        "{}",
        short(&r)
    );

    // The deadline passes while waiting for the only worker, which the
    // slow request above may still hold until the engine stops it; a second
    // slow one makes sure.
    let slow = {
        let s = s.clone();
        std::thread::spawn(move || {
            s.post("grad", &json!({"expr": slow_expr(), "timeout": 6}))
                .status
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(500));
    let r = s.post("grad", &json!({"expr": "L(XW+B)", "timeout": 0.3}));
    assert_eq!(r.status, 503, "{}", short(&r));
    assert_eq!(r.json["error"]["code"], "matdiff::deadline");
    assert!(
        r.json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("before a worker was free")),
        "{}",
        r.json
    );
    let _ = slow.join();
    // The server's own --timeout caps what a request asks for.
    let capped = Server::start(&["--timeout", "0.4"]);
    let r = capped.post("grad", &json!({"expr": slow_expr(), "timeout": 60}));
    assert_eq!(r.status, 503, "{}", short(&r));
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_server_cleanly() {
    let s = Server::start(&[]);
    assert_eq!(s.post("grad", &json!({"expr": "tr(X)"})).status, 200);
    let killed = Command::new("kill")
        .args(["-INT", &s.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let (code, err) = s.wait();
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("matdiff serve: stopped"), "{err}");
}
