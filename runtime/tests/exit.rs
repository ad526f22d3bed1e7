//! Nothing that has ended is lost on a normal stop, and exit stays fast.
//!
//! Each case runs this test binary again as a child (`EXIT_CHILD=<case>` selects the child
//! body of the test with the same name), so every child has a fresh runtime and its own
//! signal dispositions: it builds the pipeline from the environment with the default 5 s
//! batch delay, ends spans, prints `ready`, and then stops the way the case says. The parent
//! checks the exit status and reads the file store. No timing assert except generous
//! deadlines (and "well under the 5 s the SDK used to wait").
#![cfg(unix)]

use otel_runtime::__prelude as otel;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const SPANS: usize = 8;

/// The case this process runs as a child, if any.
fn child_case() -> Option<String> {
    std::env::var("EXIT_CHILD").ok()
}

/// Run `case` in a child with its own file store; returns it after the `ready` line.
fn spawn(case: &str, store: &Path, envs: &[(&str, &str)]) -> (Kid, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([case, "--exact", "--nocapture", "--test-threads=1"])
        .env("EXIT_CHILD", case)
        .env("CARGO_OTEL_STORE", store)
        .env("OTEL_SERVICE_NAME", case)
        .env("OTEL_METRICS_EXPORTER", "none")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    // libtest prints `test <name> ... ` without a newline before the child's first line.
    while !line.trim_end().ends_with("ready") {
        line.clear();
        if out.read_line(&mut line).expect("child stdout") == 0 {
            let status = child.wait().expect("wait");
            panic!("{case}: child ended before `ready` ({status}): {}", stderr_of(&mut child));
        }
    }
    (Kid(child), out)
}

/// A child that is killed if the test fails before it ended.
struct Kid(Child);

impl std::ops::Deref for Kid {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Kid {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Kid {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn stderr_of(child: &mut Child) -> String {
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    err
}

fn send(child: &Child, sig: libc::c_int) {
    // Safety: signalling our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, sig) }, 0);
}

/// Wait for the child, at most `limit` (then kill it and fail).
fn wait(child: &mut Child, limit: Duration) -> (ExitStatus, Duration) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return (status, start.elapsed());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("child still running after {limit:?}: {}", stderr_of(child));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn span_names(store: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for file in std::fs::read_dir(store).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(file.path()).unwrap_or_default();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            names.push(v["name"].as_str().unwrap_or_default().to_owned());
        }
    }
    names.sort();
    names
}

fn expect_spans(store: &Path, extra: &[&str]) {
    let mut want: Vec<String> = (0..SPANS).map(|i| format!("work-{i}")).collect();
    want.extend(extra.iter().map(|s| s.to_string()));
    want.sort();
    assert_eq!(span_names(store), want);
}

/// Child side: the pipeline from the environment, `SPANS` ended spans, `ready`.
fn start_and_end_spans() {
    otel_runtime::lifecycle::init().expect("runtime enabled");
    for i in 0..SPANS {
        drop(otel::Span::start(&format!("work-{i}"), otel::INTERNAL));
    }
    println!("ready");
}

/// Child side: wait to be signalled (and give up long after every test's deadline).
fn park() -> ! {
    std::thread::sleep(Duration::from_secs(120));
    std::process::exit(99);
}

static FLAG: AtomicBool = AtomicBool::new(false);

extern "C" fn set_flag(_: libc::c_int) {
    FLAG.store(true, Ordering::SeqCst);
}

/// A plain handler that does not chain (what ctrlc and most hand-written code do).
fn replace_handler(sig: libc::c_int) {
    // Safety: installing a handler that only stores an atomic.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = set_flag as extern "C" fn(libc::c_int) as usize;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(libc::sigaction(sig, &action, std::ptr::null_mut()), 0);
    }
}

/// Child side: wait for `FLAG`, then end one more span and return from the test normally.
fn graceful_after_flag() {
    let start = Instant::now();
    while !FLAG.load(Ordering::SeqCst) {
        assert!(start.elapsed() < Duration::from_secs(30), "no signal came");
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(otel::Span::start("after-signal", otel::INTERNAL));
    println!("graceful");
}

fn store(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join("store")
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// The app handles neither signal: the runtime flushes, then the signal ends the process.
fn killed_by(case: &str, sig: libc::c_int) {
    if child_case().as_deref() == Some(case) {
        start_and_end_spans();
        park();
    }
    if child_case().is_some() {
        return;
    }
    let dir = tempdir();
    let (mut child, _out) = spawn(case, &store(&dir), &[]);
    send(&child, sig);
    let (status, _) = wait(&mut child, Duration::from_secs(20));
    assert_eq!(status.signal(), Some(sig), "the exit status is the signal's: {status}");
    expect_spans(&store(&dir), &[]);
}

#[test]
fn sigterm_without_app_handler() {
    killed_by("sigterm_without_app_handler", libc::SIGTERM);
}

#[test]
fn sigint_without_app_handler() {
    killed_by("sigint_without_app_handler", libc::SIGINT);
}

#[test]
fn process_exit() {
    const CASE: &str = "process_exit";
    if child_case().as_deref() == Some(CASE) {
        start_and_end_spans();
        std::process::exit(3);
    }
    if child_case().is_some() {
        return;
    }
    let dir = tempdir();
    let (mut child, _out) = spawn(CASE, &store(&dir), &[]);
    let (status, _) = wait(&mut child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(3));
    expect_spans(&store(&dir), &[]);
}

#[test]
fn return_from_main() {
    const CASE: &str = "return_from_main";
    if child_case().as_deref() == Some(CASE) {
        start_and_end_spans();
        return;
    }
    if child_case().is_some() {
        return;
    }
    let dir = tempdir();
    let (mut child, _out) = spawn(CASE, &store(&dir), &[]);
    let (status, _) = wait(&mut child, Duration::from_secs(20));
    assert!(status.success(), "{status}");
    expect_spans(&store(&dir), &[]);
}

/// The app's handler was there before the pipeline was built: we chain to it and the app
/// decides (here: a graceful return).
#[test]
fn app_handler_installed_before_the_runtime() {
    const CASE: &str = "app_handler_installed_before_the_runtime";
    if child_case().as_deref() == Some(CASE) {
        replace_handler(libc::SIGTERM);
        start_and_end_spans();
        graceful_after_flag();
        return;
    }
    if child_case().is_some() {
        return;
    }
    let dir = tempdir();
    let (mut child, mut out) = spawn(CASE, &store(&dir), &[]);
    send(&child, libc::SIGTERM);
    let (status, _) = wait(&mut child, Duration::from_secs(20));
    assert!(status.success(), "the app's handler decided: {status}");
    let mut rest = String::new();
    out.read_to_string(&mut rest).expect("stdout");
    assert!(rest.contains("graceful"), "{rest}");
    expect_spans(&store(&dir), &["after-signal"]);
}

/// A handler installed after us that does not chain (ctrlc, plain sigaction): ours never
/// runs, the app returns from main and atexit flushes.
#[test]
fn app_handler_replacing_the_runtime() {
    const CASE: &str = "app_handler_replacing_the_runtime";
    if child_case().as_deref() == Some(CASE) {
        start_and_end_spans();
        replace_handler(libc::SIGINT);
        println!("ready");
        graceful_after_flag();
        return;
    }
    if child_case().is_some() {
        return;
    }
    let dir = tempdir();
    let (mut child, mut out) = spawn(CASE, &store(&dir), &[]);
    // The first `ready` comes before the app's handler: wait for the second.
    let mut line = String::new();
    out.read_line(&mut line).expect("second ready");
    assert_eq!(line.trim_end(), "ready");
    send(&child, libc::SIGINT);
    let (status, _) = wait(&mut child, Duration::from_secs(20));
    assert!(status.success(), "{status}");
    expect_spans(&store(&dir), &["after-signal"]);
}

/// tokio's signal driver, registered after the runtime (the usual order: init is the first
/// line of `main`), replaces the disposition and chains to ours: the app shuts down
/// gracefully, spans ended after the signal are exported too, and the exit status is 0.
#[test]
fn tokio_signal_after_the_runtime() {
    const CASE: &str = "tokio_signal_after_the_runtime";
    if child_case().as_deref() == Some(CASE) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio");
        rt.block_on(async {
            otel_runtime::lifecycle::init().expect("runtime enabled");
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal");
            start_and_end_spans();
            term.recv().await;
            drop(otel::Span::start("after-signal", otel::INTERNAL));
            println!("graceful");
        });
        return;
    }
    if child_case().is_some() {
        return;
    }
    let dir = tempdir();
    let (mut child, mut out) = spawn(CASE, &store(&dir), &[]);
    send(&child, libc::SIGTERM);
    let (status, _) = wait(&mut child, Duration::from_secs(20));
    assert!(status.success(), "tokio's handler decided: {status}");
    let mut rest = String::new();
    out.read_to_string(&mut rest).expect("stdout");
    assert!(rest.contains("graceful"), "{rest}");
    expect_spans(&store(&dir), &["after-signal"]);
}

/// `panic = "abort"` skips atexit; the hook the runtime installs in such builds flushes
/// first. (This binary unwinds, so the hook is installed by hand and the abort follows the
/// panic explicitly, as the abort strategy would.)
#[test]
fn abort_after_panic() {
    const CASE: &str = "abort_after_panic";
    if child_case().as_deref() == Some(CASE) {
        start_and_end_spans();
        otel_runtime::__test::install_abort_flush();
        let _ = std::panic::catch_unwind(|| panic!("boom"));
        std::process::abort();
    }
    if child_case().is_some() {
        return;
    }
    let dir = tempdir();
    let (mut child, _out) = spawn(CASE, &store(&dir), &[]);
    let (status, _) = wait(&mut child, Duration::from_secs(20));
    assert_eq!(status.signal(), Some(libc::SIGABRT), "{status}");
    expect_spans(&store(&dir), &[]);
}

/// A collector that accepts connections and never answers.
fn stalled_collector() -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        for c in listener.incoming().take(16) {
            conns.push(c);
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    (format!("http://{addr}"), held)
}

/// With the default timeouts (OTLP 10 s), a CLI exporting to a stalled collector exits within
/// about a second of its own work, and says how many spans it could not send.
#[test]
fn stalled_collector_exit_is_fast() {
    const CASE: &str = "stalled_collector_exit_is_fast";
    if child_case().as_deref() == Some(CASE) {
        start_and_end_spans();
        return;
    }
    if child_case().is_some() {
        return;
    }
    let (endpoint, _held) = stalled_collector();
    let dir = tempdir();
    let env = [("OTEL_TRACES_EXPORTER", "otlp"), ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str())];
    let (mut child, _out) = spawn(CASE, &store(&dir), &env);
    let (status, took) = wait(&mut child, Duration::from_secs(20));
    assert!(status.success(), "{status}");
    let err = stderr_of(&mut child);
    eprintln!("exit took {took:?} after the work");
    // The default deadline is 1 s; 3 s leaves room for a loaded machine, not for the 5+ s
    // the SDK's own bound used to cost.
    assert!(took < Duration::from_secs(3), "exit took {took:?}");
    assert!(err.contains(&format!("otel-runtime: {SPANS} spans not exported")), "{err}");
    assert!(err.contains("unsent at the shutdown deadline (CARGO_OTEL_SHUTDOWN_TIMEOUT=1000 ms)"), "{err}");
}

/// A collector that refuses connections: exit stays within the shutdown deadline and the
/// loss is counted.
#[test]
fn collector_down_exit_is_fast() {
    const CASE: &str = "collector_down_exit_is_fast";
    if child_case().as_deref() == Some(CASE) {
        start_and_end_spans();
        return;
    }
    if child_case().is_some() {
        return;
    }
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr");
    let endpoint = format!("http://{closed}");
    let dir = tempdir();
    let env = [("OTEL_TRACES_EXPORTER", "otlp"), ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str())];
    let (mut child, _out) = spawn(CASE, &store(&dir), &env);
    let (status, took) = wait(&mut child, Duration::from_secs(20));
    assert!(status.success(), "{status}");
    let err = stderr_of(&mut child);
    assert!(took < Duration::from_secs(3), "exit took {took:?}");
    // The OTLP exporter retries refused connections (the spec's retryable case) until the
    // shutdown deadline stops the wait, so the spans are counted as failed or as unsent.
    assert!(err.contains(&format!("otel-runtime: {SPANS} spans not exported: ")), "{err}");
    assert!(err.contains("in failed exports") || err.contains("unsent at the shutdown deadline"), "{err}");
}

/// `OTEL_LOG_LEVEL=none`: the same lost spans, and not one line on stderr (the runtime's
/// diagnostics obey the level; the SDK's internal logs are compiled out).
#[test]
fn log_level_none_silences_the_runtime() {
    const CASE: &str = "log_level_none_silences_the_runtime";
    if child_case().as_deref() == Some(CASE) {
        start_and_end_spans();
        return;
    }
    if child_case().is_some() {
        return;
    }
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr");
    let endpoint = format!("http://{closed}");
    let dir = tempdir();
    let env = [
        ("OTEL_TRACES_EXPORTER", "otlp"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_LOG_LEVEL", "none"),
        // An invalid value: a config warning would print at any other level.
        ("OTEL_BSP_MAX_QUEUE_SIZE", "lots"),
    ];
    let (mut child, _out) = spawn(CASE, &store(&dir), &env);
    let (status, _) = wait(&mut child, Duration::from_secs(20));
    assert!(status.success(), "{status}");
    let err = stderr_of(&mut child);
    assert!(!err.contains("otel-runtime"), "stderr at OTEL_LOG_LEVEL=none: {err}");
}

/// SIGTERM with a stalled collector: the flush before the re-raise is bounded by the same
/// deadline (configurable: 200 ms here).
#[test]
fn sigterm_with_stalled_collector_is_bounded() {
    const CASE: &str = "sigterm_with_stalled_collector_is_bounded";
    if child_case().as_deref() == Some(CASE) {
        start_and_end_spans();
        park();
    }
    if child_case().is_some() {
        return;
    }
    let (endpoint, _held) = stalled_collector();
    let dir = tempdir();
    let env = [
        ("OTEL_TRACES_EXPORTER", "otlp"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("CARGO_OTEL_SHUTDOWN_TIMEOUT", "200"),
    ];
    let (mut child, _out) = spawn(CASE, &store(&dir), &env);
    send(&child, libc::SIGTERM);
    let (status, took) = wait(&mut child, Duration::from_secs(20));
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let err = stderr_of(&mut child);
    assert!(err.contains("CARGO_OTEL_SHUTDOWN_TIMEOUT=200 ms"), "{err}");
}
