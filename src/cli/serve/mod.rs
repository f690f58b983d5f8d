//! `matdiff serve`: one web page and a JSON API over the library.
//!
//! The HTTP stack is axum on tokio (hyper underneath): the most widely used
//! Rust server stack, maintained with tokio itself, with a well-tested
//! HTTP/1 parser, body-size limits, graceful shutdown and a blocking pool
//! for CPU-bound work out of the box. Only its HTTP/1 and tokio features are
//! built. (A synchronous server such as tiny_http would need a thread per
//! connection and hand-made deadlines; actix-web brings its own runtime and
//! more code than one page needs.)
//!
//! Derivations are synchronous and CPU-bound, so they never run on the
//! async workers: each request waits for one of `--jobs` permits, then runs
//! on tokio's blocking pool (whose threads get the deep stack the library's
//! recursive passes need) and is abandoned when its deadline passes. The
//! permit goes with the work, not with the request, so an abandoned
//! derivation keeps its slot until the engine's own time limit stops it:
//! the number of derivations running never exceeds `--jobs`, and a slow
//! request occupies one slot while the others keep answering.
//!
//! The page and its script and style sheet are compiled into the binary
//! (`web/`), so the server needs no files and the page no network.

mod adapter;
mod request;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clap::Args;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use request::{Command, Request};

/// The largest request body, in bytes. The parser takes inputs of up to
/// 1 MiB, so a body that holds one (escaped in JSON) fits.
pub const MAX_BODY: usize = 2 << 20;

/// Stack of the threads that run derivations: the passes recurse over
/// terms, as on the `grad` command's worker thread.
const WORKER_STACK: usize = 16 << 20;

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port to listen on (0: any free port; the URL printed says which).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Derivations run at once (default: the number of cores, at least 2,
    /// so that one slow request never holds up the rest).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub jobs: Option<u32>,
    /// The deadline of each request, waiting included, in seconds; a
    /// request's own `timeout` can shorten it, never lengthen it.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = parse_seconds)]
    pub timeout: f64,
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!(
            "`{s}` is not a number of seconds between 0 and 86400"
        )),
    }
}

/// The page, its script and its style sheet.
const INDEX: &str = include_str!("../../../web/index.html");
const SCRIPT: &str = include_str!("../../../web/app.js");
const STYLE: &str = include_str!("../../../web/style.css");

/// The page loads only what the server sends; MathML goes in as markup,
/// never as script.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// What every handler shares.
struct Shared {
    permits: Arc<Semaphore>,
    jobs: usize,
    deadline: Duration,
}

/// Runs the server until Ctrl-C (or SIGTERM); returns the exit status.
pub fn run(args: &ServeArgs) -> i32 {
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(2, |n| n.get().max(2)),
        |n| n as usize,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(jobs + 2)
        .thread_stack_size(WORKER_STACK)
        .enable_all()
        .build();
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("matdiff serve: cannot start: {e}");
            return 1;
        }
    };
    let shared = Arc::new(Shared {
        permits: Arc::new(Semaphore::new(jobs)),
        jobs,
        deadline: Duration::from_secs_f64(args.timeout),
    });
    let addr = SocketAddr::new(args.bind, args.port);
    let status = runtime.block_on(serve(addr, shared));
    // Derivations still running stop at their own time limit; do not wait
    // for them past a moment.
    runtime.shutdown_timeout(Duration::from_secs(1));
    status
}

async fn serve(addr: SocketAddr, shared: Arc<Shared>) -> i32 {
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("matdiff serve: cannot listen on {addr}: {e}");
            return 2;
        }
    };
    let local = listener.local_addr().unwrap_or(addr);
    println!("matdiff serve: http://{local}/ (Ctrl-C stops)");
    let app = router(shared);
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(stop_signal())
        .await;
    match result {
        Ok(()) => {
            eprintln!("matdiff serve: stopped");
            0
        }
        Err(e) => {
            eprintln!("matdiff serve: {e}");
            1
        }
    }
}

/// Ctrl-C, or SIGTERM where there is one.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(|| asset(INDEX, "text/html; charset=utf-8")))
        .route(
            "/app.js",
            get(|| asset(SCRIPT, "text/javascript; charset=utf-8")),
        )
        .route(
            "/style.css",
            get(|| asset(STYLE, "text/css; charset=utf-8")),
        )
        .route("/api/{command}", post(api))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared)
}

async fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// A JSON response.
fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// An error about the request itself rather than its expression (no span):
/// the same fields as a diagnostic, `code` naming the kind.
fn request_error(status: StatusCode, code: &str, exit: i32, message: &str) -> Response {
    json_response(
        status,
        &json!({"error": {
            "message": message,
            "code": code,
            "exit": exit,
            "label": null,
            "help": null,
            "span": null,
            "diagnostic": message,
        }}),
    )
}

async fn not_found() -> Response {
    let commands: Vec<String> = Command::ALL
        .iter()
        .map(|c| format!("POST /api/{}", c.name()))
        .collect();
    request_error(
        StatusCode::NOT_FOUND,
        "matdiff::not_found",
        2,
        &format!(
            "nothing here: the page is GET /, the API is {}",
            commands.join(", ")
        ),
    )
}

async fn api(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(command) = Command::from_name(&name) else {
        return not_found().await;
    };
    let body = match body {
        Ok(b) => b,
        Err(rejection) => {
            let status = rejection.status();
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("the request body is over the limit of {MAX_BODY} bytes")
            } else {
                format!("the request body cannot be read: {}", rejection.body_text())
            };
            return request_error(status, "matdiff::request", 2, &message);
        }
    };
    match Request::parse(command, &body) {
        Ok(request) => shared.answer(request).await,
        Err(message) => request_error(StatusCode::BAD_REQUEST, "matdiff::request", 2, &message),
    }
}

impl Shared {
    /// Runs `request` on the blocking pool under its deadline.
    async fn answer(&self, request: Request) -> Response {
        let length = request.timeout().map_or(self.deadline, |t| {
            Duration::from_secs_f64(t).min(self.deadline)
        });
        let nodes = request.node_limit().map_or(adapter::default_nodes(), |n| {
            n.min(adapter::default_nodes())
        });
        let deadline = tokio::time::Instant::now() + length;
        let late = |what: &str| {
            request_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "matdiff::deadline",
                1,
                &format!("the deadline of {} s passed {what}", length.as_secs_f64()),
            )
        };
        let permit =
            match tokio::time::timeout_at(deadline, self.permits.clone().acquire_owned()).await {
                Ok(Ok(p)) => p,
                Ok(Err(_)) => return late("while the server was stopping"),
                Err(_) => {
                    return late(&format!(
                        "before a worker was free ({} derivations at once)",
                        self.jobs
                    ));
                }
            };
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let limits = adapter::limits(left, nodes);
        let job = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            match adapter::answer(&request, &limits) {
                Ok(v) => (StatusCode::OK, v),
                Err(e) => {
                    let status = if adapter::out_of_time(&e) {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else if e.exit_code() == 2 {
                        StatusCode::BAD_REQUEST
                    } else {
                        StatusCode::UNPROCESSABLE_ENTITY
                    };
                    (status, json!({"error": adapter::diagnostic(&e, &request)}))
                }
            }
        });
        match tokio::time::timeout_at(deadline, job).await {
            Ok(Ok((status, body))) => json_response(status, &body),
            Ok(Err(e)) => request_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "matdiff::internal",
                1,
                &format!("the derivation stopped without an answer: {e}"),
            ),
            Err(_) => late("before the derivation finished"),
        }
    }
}
