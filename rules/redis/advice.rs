// Advice for redis-rs, spliced as `mod __otel_advice_redis` (and `__otel_advice_redis_1_6`) at
// redis's crate root; shared by the `redis` (0.32 – 1.5) and `redis-1.6` (1.6 – 1.x) packs,
// which differ only in a parameter's name. Both answer to OTEL_RUST_INSTRUMENTATION_REDIS_ENABLED.
//
// One CLIENT span per command or pipeline (see pack.toml for the join points). What is
// recorded about a command is its name and how many arguments it has: `db.query.text` is
// `SET ? ?`, never a key or a value, and no error text (a server error's message can quote the
// arguments: `ERR unknown command 'X', with args beginning with: 'key'`) — the description is
// the error code.

use std::cell::Cell;

const PACK: &str = "redis";

thread_local! {
    /// A span of this pack is being made or polled on this thread: inner funnels add nothing.
    static ACTIVE: Cell<bool> = Cell::new(false);
}

fn active() -> bool {
    ACTIVE.try_with(|a| a.get()).unwrap_or(true)
}

/// Sets `ACTIVE` while alive; restores the previous value when dropped.
pub struct Mark(bool);

impl Mark {
    fn set() -> Mark {
        Mark(ACTIVE.try_with(|a| a.replace(true)).unwrap_or(true))
    }
}

impl Drop for Mark {
    fn drop(&mut self) {
        let previous = self.0;
        let _ = ACTIVE.try_with(|a| a.set(previous));
    }
}

/// `db.operation.name` of a command: its name upper case; names that are not a plain word
/// (or absurdly long) are `_OTHER`, so the attribute stays low-cardinality and never holds data.
fn command_name(cmd: &crate::Cmd) -> String {
    let name = match cmd.args_iter().next() {
        Some(crate::Arg::Simple(name)) => name,
        _ => return String::new(),
    };
    let plain = !name.is_empty()
        && name.len() <= 32
        && name.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'|'));
    if plain {
        String::from_utf8_lossy(name).to_ascii_uppercase()
    } else {
        "_OTHER".to_string()
    }
}

/// `db.query.text` of a command: its name and one `?` per argument.
fn command_text(name: &str, cmd: &crate::Cmd) -> String {
    let mut text = name.to_string();
    for _ in 1..cmd.args_iter().len() {
        text.push_str(" ?");
    }
    text
}

/// What a span says about the operation.
struct Operation {
    name: String,
    text: String,
    batch: u32,
}

fn command(cmd: &crate::Cmd) -> Operation {
    let name = command_name(cmd);
    let text = command_text(&name, cmd);
    Operation { name, text, batch: 0 }
}

/// A pipeline: `PIPELINE` (`MULTI` when atomic), followed by the command when every command
/// is the same one (`PIPELINE GET`); the texts joined by `; ` (one text when all are the same);
/// the number of commands (MULTI/EXEC not counted). A one-command pipeline that is not a
/// transaction is that command; an empty one is no operation.
fn pipeline(p: &crate::Pipeline) -> Option<Operation> {
    let commands: Vec<Operation> = p.cmd_iter().map(command).collect();
    let atomic = p.transaction_mode;
    let first = commands.first()?;
    if commands.len() == 1 && !atomic {
        return commands.into_iter().next();
    }
    let prefix = if atomic { "MULTI" } else { "PIPELINE" };
    let name = if commands.iter().all(|c| c.name == first.name) && !first.name.is_empty() {
        format!("{prefix} {}", first.name)
    } else {
        prefix.to_string()
    };
    let text = if commands.iter().all(|c| c.text == first.text) {
        first.text.clone()
    } else {
        commands.iter().map(|c| c.text.as_str()).collect::<Vec<_>>().join("; ")
    };
    Some(Operation { name, text, batch: commands.len() as u32 })
}

/// Start the span (inside a trace only, when the pack is on).
fn start(op: Option<Operation>, db: i64) -> Option<__otel::Span> {
    if !__otel::enabled(PACK) || __otel::Context::current().is_empty() {
        return None;
    }
    let op = op?;
    let namespace = db.to_string();
    let fields = __otel::Db {
        system: "redis".into(),
        namespace: namespace.as_str().into(),
        query_text: op.text.as_str().into(),
        operation: op.name.as_str().into(),
        batch_size: op.batch,
        ..Default::default()
    };
    Some(fields.start())
}

/// `db.response.status_code` and `error.type` of a failure: the Redis error prefix when there
/// is one (`WRONGTYPE`), else the client error's kind (`IoError`, `TypeError`, …).
fn error_code(e: &crate::RedisError) -> String {
    match e.code() {
        Some(code) if !code.is_empty() => code.to_string(),
        _ => format!("{:?}", e.kind()),
    }
}

/// End the span: `Some((status_code, error_type))` on failure.
fn finish(call: __otel::Span, failure: Option<(String, String)>) {
    match failure {
        Some((status, error_type)) => call.db_end(&status, &error_type, &error_type),
        None => call.db_end("", "", ""),
    }
}

/// A reply that may carry a server error without being an `Err` (async connections hand
/// `Value::ServerError` back as a value; `Cmd::query_async` turns it into an error later).
pub trait Reply {
    fn server_error(&self) -> Option<String>;
}

fn value_error(value: &crate::Value) -> Option<String> {
    match value {
        crate::Value::ServerError(e) => Some(e.code().to_string()),
        _ => None,
    }
}

impl Reply for crate::Value {
    fn server_error(&self) -> Option<String> {
        value_error(self)
    }
}

/// A pipeline's replies: the first server error, also inside a transaction's EXEC reply.
impl Reply for Vec<crate::Value> {
    fn server_error(&self) -> Option<String> {
        self.iter().find_map(|v| match v {
            crate::Value::Array(items) => items.iter().find_map(value_error),
            other => value_error(other),
        })
    }
}

fn failure<T: Reply>(out: &crate::RedisResult<T>) -> Option<(String, String)> {
    match out {
        Ok(reply) => reply.server_error().map(|code| {
            let code = if code.is_empty() { "ResponseError".to_string() } else { code };
            (code.clone(), code)
        }),
        Err(e) => Some(err_failure(e)),
    }
}

/// An `Err`: the status code is the Redis error prefix, if the server sent one.
fn err_failure(e: &crate::RedisError) -> (String, String) {
    let code = error_code(e);
    (if e.code().is_some() { code.clone() } else { String::new() }, code)
}

// ---- async: `aio::ConnectionLike::req_packed_command(s)` return a `RedisFuture` ----

/// OnEnter's context of an async funnel: the span, and the mark that keeps funnels the body
/// calls while it builds its future silent.
pub struct Pending {
    call: Option<__otel::Span>,
    _mark: Option<Mark>,
}

fn pending(op: impl FnOnce() -> Option<Operation>, db: impl FnOnce() -> i64) -> Pending {
    if active() {
        return Pending { call: None, _mark: None };
    }
    match start(op(), db()) {
        Some(call) => Pending { call: Some(call), _mark: Some(Mark::set()) },
        None => Pending { call: None, _mark: None },
    }
}

#[cfg(feature = "aio")]
pub fn async_cmd_enter<C: crate::aio::ConnectionLike + ?Sized>(con: &C, cmd: &crate::Cmd) -> Pending {
    pending(|| Some(command(cmd)), || con.get_db())
}

#[cfg(feature = "aio")]
pub fn async_pipeline_enter<C: crate::aio::ConnectionLike + ?Sized>(con: &C, p: &crate::Pipeline) -> Pending {
    pending(|| pipeline(p), || con.get_db())
}

type Boxed<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = crate::RedisResult<T>> + Send + 'a>>;

/// The funnel's future with its span: current (and `ACTIVE` set) during each poll, ended with
/// the reply; dropped unfinished, the span ends with no outcome.
pub struct Traced<'a, T> {
    inner: Boxed<'a, T>,
    call: Option<__otel::Span>,
}

impl<'a, T: Reply> std::future::Future for Traced<'a, T> {
    type Output = crate::RedisResult<T>;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        let this = &mut *self;
        let polled = {
            let _mark = Mark::set();
            let _entered = this.call.as_ref().map(|call| call.enter());
            this.inner.as_mut().poll(cx)
        };
        if let std::task::Poll::Ready(out) = &polled {
            if let Some(call) = this.call.take() {
                finish(call, failure(out));
            }
        }
        polled
    }
}

/// `wrap_return` of the async funnels.
pub fn traced<'a, T: Reply + 'a>(pending: Pending, future: Boxed<'a, T>) -> Boxed<'a, T> {
    let Pending { call, _mark } = pending;
    drop(_mark);
    match call {
        Some(call) => Box::pin(Traced { inner: future, call: Some(call) }),
        None => future,
    }
}

// ---- sync: `Cmd::query`, `Pipeline::query` ----

/// OnEnter's context of a sync call: the span, current until the call returns.
pub struct SyncCall {
    entered: Option<__otel::Entered>,
    call: Option<__otel::Span>,
    _mark: Option<Mark>,
}

fn sync_start(op: impl FnOnce() -> Option<Operation>, db: impl FnOnce() -> i64) -> SyncCall {
    let Pending { call, _mark } = pending(op, db);
    let entered = call.as_ref().map(|c| c.enter());
    SyncCall { entered, call, _mark }
}

pub fn sync_cmd_enter(cmd: &crate::Cmd, con: &dyn crate::ConnectionLike) -> SyncCall {
    sync_start(|| Some(command(cmd)), || con.get_db())
}

pub fn sync_pipeline_enter(p: &crate::Pipeline, con: &dyn crate::ConnectionLike) -> SyncCall {
    sync_start(|| pipeline(p), || con.get_db())
}

/// OnExit of the sync calls (their result is the caller's type: only `Err` can fail them).
pub fn sync_exit<T>(sync: SyncCall, out: &crate::RedisResult<T>) {
    let SyncCall { entered, call, _mark } = sync;
    drop(entered);
    if let Some(call) = call {
        finish(call, out.as_ref().err().map(err_failure));
    }
}
