//! Helpers shared by the workspace-level tests: locating and building the `cargo-otel`
//! binary, copying fixtures, reading the trace store.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// Build (once per test process) and return the `cargo-otel` binary.
pub fn cargo_otel() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = workspace_root();
        let status = Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "cargo-otel", "--bin", "cargo-otel"])
            .current_dir(&root)
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building cargo-otel failed");
        let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
        target.join("debug").join(format!("cargo-otel{}", std::env::consts::EXE_SUFFIX))
    })
    .clone()
}

/// The profile of every fixture and example build, woven and plain alike: no debug info and
/// no incremental cache (most of a dev build's link time and disk; panics still name their
/// file and line, which come from `Location`, not DWARF, and no test reads a backtrace).
/// Cargo reuses an artifact only for the same profile, so every build into a shared target
/// dir sets it (builds into the workspace's own target dir do not: they share the
/// workspace's artifacts instead).
pub fn lean_profile(cmd: &mut Command) -> &mut Command {
    cmd.env("CARGO_PROFILE_DEV_DEBUG", "0").env("CARGO_INCREMENTAL", "0")
}

/// A shared otel target dir so fixture builds reuse the runtime's compiled dependencies.
pub fn shared_otel_target() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
    target.join("fixture-otel")
}

/// Copy a fixture workspace into a temp dir, pointing its runtime dependency at this
/// checkout's runtime.
pub fn copy_fixture(name: &str) -> tempfile::TempDir {
    let src = workspace_root().join("tests/fixtures").join(name);
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&src, dir.path());
    let runtime = workspace_root().join("runtime");
    for manifest in find_files(dir.path(), "Cargo.toml") {
        let text = std::fs::read_to_string(&manifest).expect("read manifest");
        std::fs::write(&manifest, text.replace("@RUNTIME@", &runtime.display().to_string())).expect("write manifest");
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            if entry.file_name() != "target" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn find_files(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(find_files(&path, name));
        } else if path.file_name().is_some_and(|n| n == name) {
            out.push(path);
        }
    }
    out
}

/// Every span in a trace store directory.
pub fn read_spans(store: &Path) -> Vec<serde_json::Value> {
    let mut spans = Vec::new();
    for file in std::fs::read_dir(store).into_iter().flatten().flatten() {
        if file.path().extension().is_some_and(|e| e == "jsonl") {
            let text = std::fs::read_to_string(file.path()).expect("read store");
            spans.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok()));
        }
    }
    spans
}

/// The `service.name` of an OTLP resource ("" when absent).
pub fn service_name(resource: Option<&opentelemetry_proto::tonic::resource::v1::Resource>) -> String {
    use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
    resource
        .iter()
        .flat_map(|r| &r.attributes)
        .find(|kv| kv.key == "service.name")
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            AnyValue::StringValue(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// The span named `name`, or a panic listing what there is.
pub fn span<'a>(spans: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    spans.iter().find(|s| s["name"] == name).unwrap_or_else(|| {
        let names: Vec<&str> = spans.iter().filter_map(|s| s["name"].as_str()).collect();
        panic!("no span `{name}` among {names:?}")
    })
}

/// The host target triple (`cargo otel` builds with `--target <host>`, so binaries live
/// under `<target>/<triple>/`).
pub fn host() -> String {
    let out = Command::new("rustc").arg("-vV").output().expect("rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("host line")
}

/// Attribute `key` of a span from the store (`Null` when absent).
pub fn attr<'a>(span: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    &span["attributes"][key]
}

/// Build the fixture workspace in `dir` with `cargo otel --strict` into the shared otel
/// target; returns cargo's stderr (status lines included). Neither `--offline` nor `--locked`:
/// the fixture's committed lockfile is kept, adjusted (not upgraded) when the runtime's own
/// dependencies change, and a crate missing from the local registry is downloaded.
pub fn otel_build_strict(dir: &Path) -> String {
    otel_build_strict_with(dir, &[])
}

/// [`otel_build_strict`] with more `cargo build` arguments (`--bin NAME`, `--bins`).
pub fn otel_build_strict_with(dir: &Path, args: &[&str]) -> String {
    let out = lean_profile(&mut Command::new(cargo_otel()))
        .args(["otel", "--strict", "--otel-target-dir"])
        .arg(shared_otel_target())
        .arg("build")
        .args(args)
        .current_dir(dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .expect("run cargo otel");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "cargo otel build failed:\n{err}");
    err
}

/// [`otel_build_strict`], with `crates` compiled (and so woven) anew whatever the shared
/// target dir holds from other fixtures' builds, so that this build prints the `Weaving`
/// lines the caller asserts. Only those crates and what depends on them are rebuilt.
pub fn otel_build_strict_weaving(dir: &Path, crates: &[&str]) -> String {
    forget_builds(&shared_otel_target(), crates);
    otel_build_strict(dir)
}

/// Drop cargo's fingerprints of every build of `crates` (any version, any features) in the
/// otel target dir `target`, so that the next build there compiles them again. Cargo names
/// path crates relative to their workspace root, so two copies of one fixture are one
/// package to it, and one fixture's registry crates may be another's too. Not for a dir
/// that another build is using at the same time.
pub fn forget_builds(target: &Path, crates: &[&str]) {
    let fingerprints = target.join(host()).join("debug/.fingerprint");
    for entry in std::fs::read_dir(&fingerprints).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((krate, hash)) = name.rsplit_once('-') else { continue };
        if crates.contains(&krate) && hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            std::fs::remove_dir_all(entry.path()).expect("remove a fingerprint");
        }
    }
}

/// Run binary `bin` of a fixture built by [`otel_build_strict`], exporting to a file store
/// in `dir`; returns its stdout and the spans it recorded.
pub fn run_fixture_app(dir: &Path, bin: &str) -> (String, Vec<serde_json::Value>) {
    let store = dir.join("store");
    let run = Command::new(shared_otel_target().join(host()).join("debug").join(bin))
        .env("CARGO_OTEL_STORE", &store)
        .env("OTEL_SERVICE_NAME", bin)
        .output()
        .unwrap_or_else(|e| panic!("run {bin}: {e}"));
    assert!(run.status.success(), "{bin} failed:\n{}", String::from_utf8_lossy(&run.stderr));
    (String::from_utf8_lossy(&run.stdout).into_owned(), read_spans(&store))
}

/// The spans of one `GET /hello?token=…&x=1` from a plain HTTP client to a plain HTTP server
/// on loopback (the hyper fixtures): exactly one CLIENT and one SERVER span, in one trace,
/// the SERVER a child of the CLIENT, with the attributes every client and server pack sets.
/// Returns `(client, server)` for pack-specific checks.
pub fn assert_one_client_one_server(spans: &[serde_json::Value]) -> (&serde_json::Value, &serde_json::Value) {
    let clients: Vec<&serde_json::Value> = spans.iter().filter(|s| s["kind"] == "client").collect();
    let servers: Vec<&serde_json::Value> = spans.iter().filter(|s| s["kind"] == "server").collect();
    assert_eq!(clients.len(), 1, "one CLIENT span: {spans:#?}");
    assert_eq!(servers.len(), 1, "one SERVER span: {spans:#?}");
    let (client, server) = (clients[0], servers[0]);

    assert_eq!(client["name"], "GET");
    assert_eq!(server["name"], "GET", "no route at the hyper level");
    assert_eq!(server["trace_id"], client["trace_id"], "one trace");
    assert_eq!(server["parent_span_id"], client["span_id"], "SERVER's parent is the CLIENT");
    assert_eq!(client["parent_span_id"], "");

    assert_eq!(attr(client, "http.request.method"), "GET");
    assert_eq!(attr(client, "server.address"), "127.0.0.1");
    let full = attr(client, "url.full").as_str().expect("url.full");
    assert!(full.starts_with("http://127.0.0.1:") && full.ends_with("/hello?token=REDACTED&x=1"), "{full}");
    assert_eq!(attr(client, "http.response.status_code"), 200);
    assert_eq!(attr(client, "network.protocol.version"), "1.1");

    assert_eq!(attr(server, "http.request.method"), "GET");
    assert_eq!(attr(server, "url.path"), "/hello");
    assert_eq!(attr(server, "url.scheme"), "http");
    assert_eq!(attr(server, "url.query"), "token=REDACTED&x=1");
    assert_eq!(attr(server, "network.protocol.version"), "1.1");
    assert_eq!(attr(server, "server.address"), "127.0.0.1");
    assert_eq!(attr(server, "http.response.status_code"), 200);
    (client, server)
}

/// Where plain (unwoven) builds of fixtures and examples put their binaries: see
/// [`plain_cargo`] and [`plain_bins`].
pub fn shared_plain_target() -> PathBuf {
    workspace_root().join("target/fixture-plain")
}

/// A plain `cargo` (no cargo-otel, no rustflags) run in `dir`, building for the host
/// target with [`shared_otel_target`] as its build dir and [`shared_plain_target`] for
/// the binaries. The woven builds there also pass `--target <host>`, so the host units they
/// compile (proc macros, build scripts: untouched by the wrapper and, with `--target`,
/// built without rustflags) are the plain build's too; the target units stay apart,
/// because the woven ones' rustflags give their files other names. Binaries are in
/// [`plain_bins`], away from the woven ones of the same name.
pub fn plain_cargo(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO"));
    lean_profile(&mut cmd)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", shared_plain_target())
        .env("CARGO_BUILD_BUILD_DIR", shared_otel_target())
        .env("CARGO_BUILD_TARGET", host())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER");
    cmd
}

/// Where [`plain_cargo`] builds put their binaries.
pub fn plain_bins() -> PathBuf {
    shared_plain_target().join(host()).join("debug")
}

/// Build `examples/<name>` with `cargo otel --strict build ARGS` (a woven crate that does
/// not compile fails the build); returns the directory of its binaries.
pub fn otel_build_example(name: &str, args: &[&str]) -> PathBuf {
    otel_build_strict_with(&workspace_root().join("examples").join(name), args);
    shared_otel_target().join(host()).join("debug")
}

/// Build `examples/<name>` with plain `cargo build ARGS` ([`plain_cargo`]); returns the
/// directory of its binaries.
pub fn plain_build_example(name: &str, args: &[&str]) -> PathBuf {
    let status = plain_cargo(&workspace_root().join("examples").join(name))
        .args(["build", "-q"])
        .args(args)
        .status()
        .expect("run cargo build");
    assert!(status.success(), "plain build of examples/{name} failed");
    plain_bins()
}

/// Where `cargo otel` builds examples/two-services (shared by every test that runs it).
pub fn two_services_otel_target() -> PathBuf {
    workspace_root().join("target/e2e-otel")
}

/// Build service-a and service-b with `cargo otel` into [`two_services_otel_target`];
/// returns the directory holding the binaries.
pub fn otel_build_two_services() -> PathBuf {
    let out = lean_profile(&mut Command::new(cargo_otel()))
        .arg("otel")
        .arg("--otel-target-dir")
        .arg(two_services_otel_target())
        .args(["build", "-p", "service-a", "-p", "service-b"])
        .current_dir(workspace_root())
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("run cargo otel");
    assert!(out.status.success(), "build failed:\n{}", String::from_utf8_lossy(&out.stderr));
    two_services_otel_target().join(host()).join("debug")
}

/// A server process started by a test: its first stdout line must end with
/// `listening on ADDR`. Killed (SIGKILL) on drop if still running, so a failing test leaves
/// nothing behind.
pub struct Server {
    pub child: std::process::Child,
    pub addr: String,
}

impl Server {
    pub fn start(binary: &Path, envs: &[(&str, String)]) -> Server {
        use std::io::BufRead;
        let mut child = Command::new(binary)
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .env("RUST_BACKTRACE", "0")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).expect("listening line");
        assert!(line.contains("listening on"), "unexpected first line: {line}");
        let addr = line.trim().rsplit(' ').next().expect("address").to_string();
        Server { child, addr }
    }

    /// Send `signal` (a `kill -s` name: `TERM`, `INT`) and wait, at most `limit`.
    pub fn signal_and_wait(&mut self, signal: &str, limit: std::time::Duration) -> std::process::ExitStatus {
        let sent = Command::new("kill").args(["-s", signal]).arg(self.child.id().to_string()).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -s {signal} failed");
        let start = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(start.elapsed() < limit, "still running {limit:?} after SIG{signal}");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A plain HTTP/1.1 GET on a fresh connection: status code and body.
pub fn http_get(addr: &str, path: &str) -> (u16, String) {
    http_request(addr, "GET", path, None)
}

/// A plain HTTP/1.1 request on a fresh connection (`body`: JSON): status code and body.
pub fn http_request(addr: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).expect("timeout");
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status code");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default().to_string();
    (status, body)
}

/// A real server on loopback, started by `scripts/services.sh` (installed from the
/// distribution's packages when missing). The URLs are the script's fixed ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    Postgres,
    Redis,
    MariaDb,
    RabbitMq,
    Nats,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Service::Postgres => "postgres",
            Service::Redis => "redis",
            Service::MariaDb => "mariadb",
            Service::RabbitMq => "rabbitmq",
            Service::Nats => "nats",
        }
    }

    /// The URL clients connect with.
    pub fn url(self) -> &'static str {
        match self {
            Service::Postgres => "postgres://otel@127.0.0.1:55432/otel",
            Service::Redis => "redis://127.0.0.1:56379/",
            Service::MariaDb => "mysql://otel:otel@127.0.0.1:53306/otel",
            Service::RabbitMq => "amqp://guest:guest@127.0.0.1:55672/%2f",
            Service::Nats => "nats://127.0.0.1:54222",
        }
    }
}

/// Start `service` (once per test process; the script is idempotent and serialises
/// concurrent callers) and return its URL.
pub fn require(service: Service) -> &'static str {
    static UP: std::sync::Mutex<Vec<Service>> = std::sync::Mutex::new(Vec::new());
    let mut up = UP.lock().unwrap_or_else(|e| e.into_inner());
    if !up.contains(&service) {
        let out = Command::new("bash")
            .arg(workspace_root().join("scripts/services.sh"))
            .args(["up", service.name()])
            .output()
            .expect("run scripts/services.sh");
        assert!(
            out.status.success(),
            "scripts/services.sh up {} failed:\n{}",
            service.name(),
            String::from_utf8_lossy(&out.stderr)
        );
        up.push(service);
    }
    service.url()
}
