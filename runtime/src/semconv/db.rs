//! Database client spans (semconv 1.33+): span name `db.query.summary`, else
//! `{db.operation.name} {db.collection.name}`, else the operation, the collection or the
//! system; `db.query.text` with literals replaced by `?`; the summary, operation and
//! collection derived from SQL when the driver does not know them (a cheap scan, no parser);
//! `db.client.operation.duration`.
//!
//! One span per logical operation: a database call started while another is current (a
//! driver's inner funnel: sqlx's pool query calling the connection's, a `COMMIT` running
//! its statement) makes no span; the connection facts it knows (system, namespace, server
//! address and port) refine the outer call's span and metric ([`CurrentDb`]).

use super::{Attrs, Call, Facts, Rec, finish, record, start, text};
use crate::abi::{OtelDbV1, OtelStrV1};
use crate::exports::guard;
use crate::lifecycle;
use crate::span;
use opentelemetry::trace::TraceContextExt;
use opentelemetry::{Context, KeyValue};
use std::borrow::Cow;
use std::sync::{Arc, Mutex};

pub const DURATION: u32 = 3;

/// What a database call's end needs (the metric's attributes).
pub struct Db {
    pub(super) conn: Arc<Mutex<Conn>>,
    operation: Cow<'static, str>,
    collection: Cow<'static, str>,
}

/// The connection facts of a call: given at its start, refined by calls started under it.
#[derive(Default)]
pub struct Conn {
    // Interned when short (`span::short_text`): a service talks to a few databases, so
    // these repeat on every call and need no allocation.
    system: Cow<'static, str>,
    namespace: Cow<'static, str>,
    address: Cow<'static, str>,
    port: i64,
}

/// The context value of a database call while it is current (its span's context).
#[derive(Clone)]
pub struct CurrentDb(pub(super) Arc<Mutex<Conn>>);

/// A call started under `outer`: its non-empty connection facts replace the outer's, on
/// the outer span (current in `cx`) and for its metric.
fn refine(cx: &Context, outer: &CurrentDb, f: &OtelDbV1<'_>) {
    let Ok(mut guard) = outer.0.lock() else { return };
    let conn = &mut *guard;
    let span = cx.span();
    for (key, given, slot) in [
        ("db.system.name", text(&f.system), &mut conn.system),
        ("db.namespace", text(&f.namespace), &mut conn.namespace),
        ("server.address", text(&f.server_address), &mut conn.address),
    ] {
        if !given.is_empty() && *slot != given {
            *slot = span::short_text(given.as_bytes());
            span.set_attribute(KeyValue::new(key, given.into_owned()));
        }
    }
    if f.server_port != 0 && conn.port != i64::from(f.server_port) {
        conn.port = i64::from(f.server_port);
        span.set_attribute(KeyValue::new("server.port", conn.port));
    }
}

/// First keywords that name an operation (a fixed list: bounded cardinality).
const OPERATIONS: &[&str] = &[
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "REPLACE",
    "UPSERT",
    "MERGE",
    "WITH",
    "VALUES",
    "CREATE",
    "DROP",
    "ALTER",
    "TRUNCATE",
    "PRAGMA",
    "BEGIN",
    "START",
    "COMMIT",
    "END",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
    "ATTACH",
    "DETACH",
    "VACUUM",
    "ANALYZE",
    "REINDEX",
    "EXPLAIN",
    "CALL",
    "SET",
    "SHOW",
    "GRANT",
    "REVOKE",
    "COPY",
];
/// Keywords followed by a collection name.
const BEFORE_NAME: &[&str] = &["FROM", "INTO", "UPDATE", "TABLE", "JOIN", "COPY"];
/// PostgreSQL's `COPY … FROM STDIN` / `TO STDOUT` ends: not collections.
const NOT_NAMES: &[&str] = &["STDIN", "STDOUT"];
/// Words between such a keyword and the name.
const SKIPPED: &[&str] = &["IF", "NOT", "EXISTS", "OR", "ROLLBACK", "ABORT", "REPLACE", "FAIL", "IGNORE", "ONLY"];

fn is(word: &str, list: &[&str]) -> bool {
    list.iter().any(|k| word.eq_ignore_ascii_case(k))
}

/// Words of `sql` (identifiers, keywords, quoted names), skipping `--` comments.
fn words(sql: &str) -> impl Iterator<Item = &str> {
    sql.lines()
        .map(|line| line.split("--").next().unwrap_or(""))
        .flat_map(|line| line.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ';')))
        .filter(|w| !w.is_empty())
}

fn unquote(name: &str) -> &str {
    name.trim_matches(|c| matches!(c, '"' | '`' | '[' | ']'))
}

/// What a scan of the SQL finds.
#[derive(Debug, Default, PartialEq)]
pub struct Parsed {
    /// `db.operation.name`: the first keyword, upper case.
    pub operation: Option<&'static str>,
    /// `db.collection.name`: the first collection named.
    pub collection: Option<String>,
    /// `db.query.summary`: the operation and each collection and nested `SELECT`, in order.
    pub summary: Option<String>,
}

/// Operation, collection and summary of `sql`.
pub fn parse(sql: &str) -> Parsed {
    let mut words = words(sql);
    let Some(first) = words.next() else { return Parsed::default() };
    let operation = OPERATIONS.iter().copied().find(|op| first.eq_ignore_ascii_case(op));
    let mut parts: Vec<String> = operation.map(|op| vec![op.to_owned()]).unwrap_or_default();
    let mut collection = None;
    let mut pending = is(first, BEFORE_NAME);
    for word in words {
        if pending {
            if is(word, SKIPPED) {
                continue;
            }
            pending = false;
            if !word.starts_with(['?', ':', '$', '@']) && !is(word, OPERATIONS) && !is(word, NOT_NAMES) {
                let name = unquote(word).to_owned();
                if parts.last() != Some(&name) {
                    parts.push(name.clone());
                }
                collection.get_or_insert(name);
                continue;
            }
        }
        if word.eq_ignore_ascii_case("SELECT") && operation.is_some() {
            parts.push("SELECT".to_owned());
        }
        pending = is(word, BEFORE_NAME);
    }
    let summary = (operation.is_some() && !parts.is_empty()).then(|| {
        let mut summary = parts.join(" ");
        let mut end = summary.len().min(255);
        while !summary.is_char_boundary(end) {
            end -= 1;
        }
        summary.truncate(end);
        summary
    });
    Parsed { operation, collection, summary }
}

/// `db.query.text` without literals: strings (`'..'`, with `''` escapes) and numbers become
/// `?`; placeholders (`?1`, `$1`, `:name`, `@name`), identifiers and quoted names stay.
pub fn sanitize(sql: &str) -> String {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        let c = b[i];
        let word_before =
            i > 0 && (b[i - 1].is_ascii_alphanumeric() || matches!(b[i - 1], b'_' | b'$' | b'?' | b':' | b'@'));
        if c == b'\'' {
            out.push_str(&sql[last..i]);
            i += 1;
            while i < b.len() {
                if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
            // `X'ab'` blobs: the prefix goes with the literal.
            if out.ends_with(['x', 'X']) && !out[..out.len() - 1].ends_with(|c: char| c.is_alphanumeric()) {
                out.pop();
            }
            out.push('?');
            last = i;
        } else if c.is_ascii_digit() && !word_before {
            out.push_str(&sql[last..i]);
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            out.push('?');
            last = i;
        } else if c == b'"' || c == b'`' {
            // Quoted identifiers are kept as they are.
            let close = c;
            i += 1;
            while i < b.len() && b[i] != close {
                i += 1;
            }
            i = (i + 1).min(b.len());
        } else {
            i += 1;
        }
    }
    out.push_str(&sql[last..]);
    out
}

/// Systems whose query text is not SQL (a Redis command line, `SET ? ?`): the runtime derives
/// no summary, operation or collection from it (`SET` is an SQL keyword too) and does not run
/// the SQL sanitiser over it; the pack passes the operation itself and a text that holds no
/// value (the redis pack writes `?` for every argument).
const NOT_SQL: &[&str] = &["redis"];

/// What the scan and the sanitiser make of one statement's text.
struct Scanned {
    parsed: Parsed,
    /// Shared by every span of the statement (`db.query.text` holds a count, not a copy).
    sanitized: Arc<str>,
}

/// Texts longer than this are scanned every time (and not kept): a cache of a service's
/// statements, not of generated bulk SQL.
const CACHED_TEXT: usize = 2048;
/// Statements kept per thread; the cache starts over when full (services run a bounded set
/// of statements, and a full restart is cheaper to get right than an eviction order).
const CACHED_STATEMENTS: usize = 256;

thread_local! {
    static SCANNED: std::cell::RefCell<std::collections::HashMap<Box<str>, std::rc::Rc<Scanned>, TextHash>> =
        std::cell::RefCell::new(std::collections::HashMap::default());
}

/// The statement cache's hasher: eight bytes per multiply instead of SipHash (300 of a
/// query's 650 instructions in `db_start`, docs/benchmarks.md). A flood of colliding
/// texts costs at most a full cache's comparisons: the cache holds [`CACHED_STATEMENTS`].
type TextHash = std::hash::BuildHasherDefault<WordHasher>;

#[derive(Default)]
struct WordHasher(u64);

impl std::hash::Hasher for WordHasher {
    fn finish(&self) -> u64 {
        // Fold the high bits down: the table indexes by the low ones.
        self.0 ^ (self.0 >> 29)
    }
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        let tail = words.remainder().iter().fold(0u64, |t, &b| t << 8 | u64::from(b));
        self.0 = (self.0.rotate_left(5) ^ tail ^ bytes.len() as u64).wrapping_mul(K);
    }
}

/// The scan of `sql` (operation, collection, summary) and its sanitised text — or, when
/// `is_sql` is false, no scan and the text as given — from a per-thread cache keyed by the
/// text: a service sends the same few statements again and again, and `parse` alone was 4.0k
/// of `db_start`'s 11.8k instructions per query (docs/benchmarks.md, "Databases").
fn scan(sql: &str, is_sql: bool) -> std::rc::Rc<Scanned> {
    let compute = || {
        std::rc::Rc::new(if is_sql {
            Scanned { parsed: parse(sql), sanitized: sanitize(sql).into() }
        } else {
            Scanned { parsed: Parsed::default(), sanitized: sql.into() }
        })
    };
    if sql.len() > CACHED_TEXT || !is_sql {
        return compute();
    }
    SCANNED
        .try_with(|cache| {
            let Ok(mut cache) = cache.try_borrow_mut() else { return compute() };
            if let Some(hit) = cache.get(sql) {
                return hit.clone();
            }
            if cache.len() >= CACHED_STATEMENTS {
                cache.clear();
            }
            let fresh = compute();
            cache.insert(sql.into(), fresh.clone());
            fresh
        })
        .unwrap_or_else(|_| compute())
}

/// The pack's value when it gave one, else the scan's.
fn given_or<'a>(given: Cow<'a, str>, parsed: &'a str) -> Cow<'a, str> {
    if given.is_empty() { Cow::Borrowed(parsed) } else { given }
}

pub fn db_start(f: &OtelDbV1<'_>) -> u64 {
    // Inside another database call (rare: a driver's query under a pool's): refine it, on
    // the published context.
    let inside = super::find_marker(
        |call| matches!(call.facts(), super::Facts::Db(_)).then_some(()),
        |cx| cx.get::<CurrentDb>().map(|_| ()),
    );
    if inside.is_some() {
        let cx = crate::context::current();
        if let Some(outer) = cx.get::<CurrentDb>() {
            refine(&cx, outer, f);
            return 0;
        }
    }
    let sql = text(&f.query_text);
    let system = text(&f.system);
    let scanned = scan(&sql, !NOT_SQL.iter().any(|s| system.eq_ignore_ascii_case(s)));
    let parsed = &scanned.parsed;
    // Given by the pack, else from the (cached) scan; borrowed until kept, and kept interned
    // when short: a statement's texts repeat on every call.
    let operation = given_or(text(&f.operation), parsed.operation.unwrap_or(""));
    let collection = given_or(text(&f.collection), parsed.collection.as_deref().unwrap_or(""));
    let summary = given_or(text(&f.summary), parsed.summary.as_deref().unwrap_or(""));
    let name = match (summary.is_empty(), operation.is_empty(), collection.is_empty()) {
        (false, _, _) => span::name(summary.as_bytes()),
        (_, false, false) => Cow::Owned(format!("{operation} {collection}")),
        (_, false, true) => span::name(operation.as_bytes()),
        (_, true, false) => span::name(collection.as_bytes()),
        _ => span::name(system.as_bytes()),
    };
    let conn = Conn {
        system: span::short_text(system.as_bytes()),
        namespace: span::short_text(text(&f.namespace).as_bytes()),
        address: span::short_text(text(&f.server_address).as_bytes()),
        port: i64::from(f.server_port),
    };
    let facts = Facts::Db(Db {
        conn: Arc::new(Mutex::new(conn)),
        operation: span::short_text(operation.as_bytes()),
        collection: span::short_text(collection.as_bytes()),
    });
    start(
        None,
        || name,
        2,
        facts,
        |rec, facts| {
            let Facts::Db(db) = facts else { return };
            let (true, Ok(conn)) = (rec.recording(), db.conn.lock()) else { return };
            rec.str("db.system.name", &conn.system);
            rec.str("db.namespace", &conn.namespace);
            rec.shared_str("db.query.text", &scanned.sanitized);
            rec.str("db.query.summary", &summary);
            rec.str("db.operation.name", &db.operation);
            rec.str("db.collection.name", &db.collection);
            if f.batch_size >= 2 {
                rec.i64("db.operation.batch.size", i64::from(f.batch_size));
            }
            rec.str("server.address", &conn.address);
            if conn.port != 0 {
                rec.i64("server.port", conn.port);
            }
        },
    )
}

pub fn db_end(rec: &Rec<'_>, call: &Call, seconds: f64, status_code: &str, error: &str, description: &str) {
    let Facts::Db(db) = call.facts() else { return };
    rec.str("db.response.status_code", status_code);
    if !error.is_empty() {
        rec.error(error, description);
    }
    let Ok(conn) = db.conn.lock() else { return };
    let mut attrs = Attrs::new();
    attrs.str("db.system.name", &conn.system).str("db.operation.name", &db.operation);
    attrs.str("db.collection.name", &db.collection).str("db.namespace", &conn.namespace);
    attrs.str("db.response.status_code", status_code).str("error.type", error);
    attrs.str("server.address", &conn.address).int("server.port", conn.port);
    record(rec, DURATION, seconds, attrs.as_slice());
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_db_start(fields: *const OtelDbV1<'_>) -> u64 {
    if lifecycle::state() == lifecycle::DISABLED || fields.is_null() {
        return 0;
    }
    guard(0, || db_start(unsafe { &*fields }))
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_db_end(
    span: u64,
    status_code: OtelStrV1<'_>,
    error_type: OtelStrV1<'_>,
    description: OtelStrV1<'_>,
) {
    if span == 0 {
        return;
    }
    guard((), || {
        finish(span, |rec, call, s| db_end(rec, call, s, &text(&status_code), &text(&error_type), &text(&description)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::{OtelAttrV1, OtelStrV1 as S};
    use crate::semconv::testing::{self, attr, span};

    #[test]
    fn parse_finds_operation_collection_and_summary() {
        let p = parse("SELECT name, price_cents FROM items WHERE id = ?1");
        assert_eq!(p.operation, Some("SELECT"));
        assert_eq!(p.collection.as_deref(), Some("items"));
        assert_eq!(p.summary.as_deref(), Some("SELECT items"));
        let p = parse("insert into \"orders\" (id) select id from carts join users on 1");
        assert_eq!(p.summary.as_deref(), Some("INSERT orders SELECT carts users"));
        assert_eq!(p.collection.as_deref(), Some("orders"));
        let p = parse("CREATE TABLE IF NOT EXISTS stock (item_id INTEGER)");
        assert_eq!(p.summary.as_deref(), Some("CREATE stock"));
        assert_eq!(parse("-- only a comment"), Parsed::default());
        assert_eq!(parse("FROB x").summary, None, "no summary without a known operation");
        assert_eq!(parse("DELETE FROM ?1").collection, None, "placeholders are not names");
        let p = parse("COPY otel_pg_copy (id, label) FROM STDIN");
        assert_eq!((p.operation, p.summary.as_deref()), (Some("COPY"), Some("COPY otel_pg_copy")));
        assert_eq!(p.collection.as_deref(), Some("otel_pg_copy"));
        assert_eq!(parse("COPY (SELECT id FROM t) TO STDOUT").summary.as_deref(), Some("COPY SELECT t"));
        assert_eq!(parse("START TRANSACTION ISOLATION LEVEL SERIALIZABLE").summary.as_deref(), Some("START"));
    }

    #[test]
    fn sanitize_replaces_literals_only() {
        assert_eq!(sanitize("SELECT a FROM t WHERE id = ?1 AND w = ?2"), "SELECT a FROM t WHERE id = ?1 AND w = ?2");
        assert_eq!(
            sanitize("SELECT * FROM t2 WHERE n = 'it''s' AND x=42 OR y = 1.5e3"),
            "SELECT * FROM t2 WHERE n = ? AND x=? OR y = ?"
        );
        assert_eq!(
            sanitize("INSERT INTO \"t 1\" VALUES (X'00ff', $1, :name, @p)"),
            "INSERT INTO \"t 1\" VALUES (?, $1, :name, @p)"
        );
        assert_eq!(sanitize("SELECT 'unterminated"), "SELECT ?");
        assert_eq!(sanitize("é = 'ü'"), "é = ?");
    }

    #[test]
    fn db_span_is_named_by_summary_and_fails_with_status() {
        testing::install();
        let fields = OtelDbV1 {
            system: S::new("sqlite"),
            namespace: S::new("db-test.db"),
            query_text: S::new("SELECT name FROM items WHERE id = 7"),
            ..Default::default()
        };
        let h = __otel_v1_db_start(&fields);
        __otel_v1_db_end(h, S::new("2067"), S::new("ConstraintViolation"), S::new("UNIQUE failed"));
        crate::exports::__otel_v1_span_end(h);
        let s = span("SELECT items", "db.namespace", "db-test.db");
        assert_eq!(s.span_kind, opentelemetry::trace::SpanKind::Client);
        assert_eq!(attr(&s, "db.query.text").as_deref(), Some("SELECT name FROM items WHERE id = ?"));
        assert_eq!(attr(&s, "db.operation.name").as_deref(), Some("SELECT"));
        assert_eq!(attr(&s, "db.collection.name").as_deref(), Some("items"));
        assert_eq!(attr(&s, "db.query.summary").as_deref(), Some("SELECT items"));
        assert_eq!(attr(&s, "db.response.status_code").as_deref(), Some("2067"));
        assert_eq!(attr(&s, "error.type").as_deref(), Some("ConstraintViolation"));

        let fields = OtelDbV1 {
            system: S::new("redis"),
            operation: S::new("GET"),
            namespace: S::new("db-redis"),
            ..Default::default()
        };
        let h = __otel_v1_db_start(&fields);
        __otel_v1_db_end(h, S::default(), S::default(), S::default());
        crate::exports::__otel_v1_span_end(h);
        let s = span("GET", "db.namespace", "db-redis");
        assert_eq!(s.status, opentelemetry::trace::Status::Unset);
    }

    #[test]
    fn redis_command_text_is_not_parsed_as_sql() {
        testing::install();
        let fields = OtelDbV1 {
            system: S::new("redis"),
            operation: S::new("SET"),
            query_text: S::new("SET ? ?"),
            namespace: S::new("db-redis-set"),
            ..Default::default()
        };
        let h = __otel_v1_db_start(&fields);
        __otel_v1_db_end(h, S::default(), S::default(), S::default());
        crate::exports::__otel_v1_span_end(h);
        let s = span("SET", "db.namespace", "db-redis-set");
        assert_eq!(attr(&s, "db.query.text").as_deref(), Some("SET ? ?"));
        assert_eq!(attr(&s, "db.operation.name").as_deref(), Some("SET"));
        assert_eq!(attr(&s, "db.query.summary"), None, "no SQL summary of a Redis command");

        let fields = OtelDbV1 {
            system: S::new("redis"),
            operation: S::new("PIPELINE"),
            query_text: S::new("SET ? ?; DELETE ?; GET ?"),
            namespace: S::new("db-redis-pipe"),
            batch_size: 3,
            ..Default::default()
        };
        let h = __otel_v1_db_start(&fields);
        __otel_v1_db_end(h, S::default(), S::default(), S::default());
        crate::exports::__otel_v1_span_end(h);
        let s = span("PIPELINE", "db.namespace", "db-redis-pipe");
        assert_eq!(attr(&s, "db.collection.name"), None);
        assert_eq!(attr(&s, "db.operation.batch.size").as_deref(), Some("3"));
    }

    #[test]
    fn a_call_under_a_current_call_refines_it_and_makes_no_span() {
        testing::install();
        let outer = OtelDbV1 {
            system: S::new("postgresql"),
            query_text: S::new("SELECT v FROM nested_items WHERE id = $1"),
            ..Default::default()
        };
        let h = __otel_v1_db_start(&outer);
        assert_ne!(h, 0);
        let token = crate::exports::__otel_v1_span_attach(h);
        let inner = OtelDbV1 {
            system: S::new("postgresql"),
            namespace: S::new("db-nested"),
            query_text: S::new("SELECT v FROM nested_items WHERE id = $1"),
            server_address: S::new("127.0.0.1"),
            server_port: 55432,
            ..Default::default()
        };
        assert_eq!(__otel_v1_db_start(&inner), 0, "the inner funnel adds no span");
        crate::exports::__otel_v1_ctx_detach(token);
        assert_ne!(__otel_v1_db_start(&inner), 0, "detached: a call of its own again");
        __otel_v1_db_end(h, S::new("23505"), S::new("23505"), S::new("duplicate key"));
        crate::exports::__otel_v1_span_end(h);
        let s = span("SELECT nested_items", "db.namespace", "db-nested");
        assert_eq!(attr(&s, "server.address").as_deref(), Some("127.0.0.1"));
        assert_eq!(attr(&s, "server.port").as_deref(), Some("55432"));
        assert_eq!(attr(&s, "db.query.text").as_deref(), Some("SELECT v FROM nested_items WHERE id = $1"));
        assert_eq!(attr(&s, "db.response.status_code").as_deref(), Some("23505"));
    }

    #[test]
    fn pool_wait_is_an_event_with_attributes_on_the_query_span() {
        testing::install();
        let fields = OtelDbV1 { system: S::new("postgresql"), namespace: S::new("db-event"), ..Default::default() };
        let h = __otel_v1_db_start(&fields);
        let (key, value) = ("db.client.connection.wait_time", 0.25f64);
        let attrs = [OtelAttrV1 {
            key_ptr: key.as_ptr(),
            key_len: key.len(),
            kind: 2,
            str_ptr: std::ptr::null(),
            str_len: 0,
            int: 0,
            float: value,
        }];
        let name = "db.client.connection.acquired";
        crate::exports::__otel_v1_span_add_event_attrs(h, name.as_ptr(), name.len(), attrs.as_ptr(), attrs.len());
        __otel_v1_db_end(h, S::default(), S::default(), S::default());
        crate::exports::__otel_v1_span_end(h);
        let s = span("postgresql", "db.namespace", "db-event");
        let event = s.events.iter().find(|e| e.name == name).expect("the event");
        assert_eq!(event.attributes[0].key.as_str(), key);
        assert_eq!(event.attributes[0].value, opentelemetry::Value::F64(0.25));
    }

    #[test]
    fn pool_wait_before_the_query_is_an_event_on_the_current_span() {
        testing::install();
        let fields =
            OtelDbV1 { system: S::new("postgresql"), namespace: S::new("db-current-event"), ..Default::default() };
        let h = __otel_v1_db_start(&fields);
        let (key, name) = ("db.client.connection.wait_time", "db.client.connection.acquired");
        let attrs = [OtelAttrV1 {
            key_ptr: key.as_ptr(),
            key_len: key.len(),
            kind: 2,
            str_ptr: std::ptr::null(),
            str_len: 0,
            int: 0,
            float: 0.5,
        }];
        // Outside any span: nothing, no panic.
        crate::exports::__otel_v1_current_span_add_event_attrs(name.as_ptr(), name.len(), attrs.as_ptr(), attrs.len());
        let token = crate::exports::__otel_v1_span_attach(h);
        crate::exports::__otel_v1_current_span_add_event_attrs(name.as_ptr(), name.len(), attrs.as_ptr(), attrs.len());
        crate::exports::__otel_v1_ctx_detach(token);
        __otel_v1_db_end(h, S::default(), S::default(), S::default());
        crate::exports::__otel_v1_span_end(h);
        let s = span("postgresql", "db.namespace", "db-current-event");
        let events: Vec<_> = s.events.iter().filter(|e| e.name == name).collect();
        assert_eq!(events.len(), 1, "one event, on the span that was current");
        assert_eq!(events[0].attributes[0].value, opentelemetry::Value::F64(0.5));
    }

    #[test]
    fn scans_are_cached_per_text_and_bounded() {
        let a = scan("SELECT v FROM cached_items WHERE id = 42", true);
        let b = scan("SELECT v FROM cached_items WHERE id = 42", true);
        assert!(std::rc::Rc::ptr_eq(&a, &b), "the second scan of a text is the cached one");
        assert_eq!(&*a.sanitized, "SELECT v FROM cached_items WHERE id = ?");
        assert_eq!(a.parsed.summary.as_deref(), Some("SELECT cached_items"));
        let redis = scan("SET ? ?", false);
        assert_eq!(redis.parsed, Parsed::default(), "not SQL: no scan");
        assert!(!std::rc::Rc::ptr_eq(&redis, &scan("SET ? ?", false)), "not SQL: not cached");
        for n in 0..CACHED_STATEMENTS + 1 {
            scan(&format!("SELECT {n} FROM t"), true);
        }
        assert!(SCANNED.with(|c| c.borrow().len()) <= CACHED_STATEMENTS);
        let long = format!("SELECT a FROM t WHERE x IN ({})", "1, ".repeat(CACHED_TEXT));
        assert!(!std::rc::Rc::ptr_eq(&scan(&long, true), &scan(&long, true)), "long texts are not kept");
    }
}
