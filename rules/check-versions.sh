#!/usr/bin/env bash
# Compile every built-in pack against the lowest and the highest version its `versions`
# range claims, with `cargo otel --strict` (a woven crate that fails to compile is an error,
# not a silent fallback). Each check is a throwaway cargo project in a temp dir that depends
# on exactly that version (`=x.y.z`) plus the cfg-gated otel-runtime, with a tiny main that
# calls the instrumented API. Prints a pass/fail table; exits non-zero if any check failed.
#
# Usage: rules/check-versions.sh [PACK...]      (default: all packs below)
# Env:   CARGO_OTEL   the cargo-otel binary   (default: <repo>/target/debug/cargo-otel)
#        CHECK_TARGET shared target dir        (default: <repo>/target/check-versions)
#        KEEP=1       keep the temp projects   (their paths are printed)
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cargo_otel="${CARGO_OTEL:-$repo/target/debug/cargo-otel}"
target="${CHECK_TARGET:-$repo/target/check-versions}"
work="$(mktemp -d "${TMPDIR:-/tmp}/otel-check-versions.XXXXXX")"
[[ -n "${KEEP:-}" ]] || trap 'rm -rf "$work"' EXIT

if [[ ! -x "$cargo_otel" ]]; then
    echo "check-versions: $cargo_otel not found; run \`cargo build -p cargo-otel\` first" >&2
    exit 2
fi

# pack (the folder in rules/) | crate | version | dependency spec (TOML inline table body, version added) | extra deps
# (TOML lines, `\n` between several);
# the main.rs of each pack is in `mains` (multi-line, so not in the `|` record).
checks=()
declare -A mains
add() { checks+=("$1|$2|$3|$4|$5"); mains[$1]="$6"; }

tokio_main='#[tokio::main]
async fn main() {
    tokio::spawn(async {}).await.unwrap();
    tokio::task::spawn_blocking(|| ()).await.unwrap();
    tokio::task::LocalSet::new().run_until(async { tokio::task::spawn_local(async {}).await.unwrap() }).await;
    let mut set = tokio::task::JoinSet::new();
    set.spawn(async {});
    set.spawn_blocking(|| ());
    while set.join_next().await.is_some() {}
    tokio::runtime::Handle::current().spawn(async {}).await.unwrap();
}'
add tokio tokio 1.38.0 'features = ["rt-multi-thread", "macros"]' '' "$tokio_main"
add tokio tokio 1.54.1 'features = ["rt-multi-thread", "macros"]' '' "$tokio_main"

axum_main='use axum::{routing::get, Router};
#[tokio::main]
async fn main() {
    let app = Router::new().route("/items/{id}", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = axum::serve(listener, app);
    drop(server);
}'
add axum axum 0.8.0 '' 'tokio = { version = "1", features = ["rt-multi-thread", "macros", "net"] }' "$axum_main"
add axum axum 0.8.9 '' 'tokio = { version = "1", features = ["rt-multi-thread", "macros", "net"] }' "$axum_main"

reqwest_main='#[tokio::main]
async fn main() {
    let client = reqwest::Client::new();
    let _ = client.get("http://127.0.0.1:9/").send().await;
    let request = client.get("http://127.0.0.1:9/").build().unwrap();
    let _ = client.execute(request).await;
    let _ = tokio::task::spawn_blocking(|| reqwest::blocking::get("http://127.0.0.1:9/")).await;
}'
for v in 0.11.0 0.11.27 0.12.0 0.12.28 0.13.0 0.13.5; do
    add reqwest reqwest "$v" 'default-features = false, features = ["blocking"]' \
        'tokio = { version = "1", features = ["rt-multi-thread", "macros"] }' "$reqwest_main"
done
# reqwest 0.11 runs on hyper 0.14: the hyper-0.14 pack weaves into it too (client only).
# Packs a check switches off (`disable` in the check's workspace metadata), by pack-version.
declare -A disable=()

rusqlite_main='fn main() {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)").unwrap();
    conn.execute("INSERT INTO t (id, name) VALUES (?1, ?2)", (1, "a")).unwrap();
    let name: String = conn.query_row("SELECT name FROM t WHERE id = ?1", [1], |r| r.get(0)).unwrap();
    let _: rusqlite::Result<String> = conn.query_row_and_then("SELECT name FROM t WHERE id = ?1", [1], |r| r.get(0));
    let mut stmt = conn.prepare("SELECT id FROM t WHERE name = ?1").unwrap();
    let ids: Vec<i64> = stmt.query_map([&name], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let mut insert = conn.prepare("INSERT INTO t (name) VALUES (?1)").unwrap();
    insert.execute(["b"]).unwrap();
    assert_eq!(ids, vec![1]);
}'
for v in 0.32.0 0.41.1; do
    add rusqlite rusqlite "$v" 'features = ["bundled"]' '' "$rusqlite_main"
done

log_main='fn main() {
    log::set_max_level(log::LevelFilter::Info);
    log::info!("plain {}", 1);
    log::warn!(target: "t", "with target");
}'
for v in 0.4.22 0.4.35; do
    add log log "$v" '' '' "$log_main"
done

# The runtime links this version (`=x.y.z` pins the runtime's copy too): both doors woven,
# and an application span over a context read back through the API.
opentelemetry_main='use opentelemetry::trace::{TraceContextExt, Tracer};
fn main() {
    let _guard = opentelemetry::Context::new().with_value(7u8).attach();
    let seen = opentelemetry::global::tracer("check").in_span("api", |cx| cx.get::<u8>().copied());
    assert_eq!(seen, Some(7));
}'
for v in 0.33.0 0.33.1; do
    add opentelemetry opentelemetry "$v" 'default-features = false, features = ["trace"]' '' "$opentelemetry_main"
done

tracing_main='use tracing_core::span::{Attributes, Id, Record};
struct S;
impl tracing_core::Subscriber for S {
    fn enabled(&self, _: &tracing_core::Metadata<'"'"'_>) -> bool { true }
    fn new_span(&self, _: &Attributes<'"'"'_>) -> Id { Id::from_u64(1) }
    fn record(&self, _: &Id, _: &Record<'"'"'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &tracing_core::Event<'"'"'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}
fn main() {
    let dispatch = tracing_core::Dispatch::new(S);
    tracing_core::dispatcher::with_default(&dispatch, || {});
}'
for v in 0.1.30 0.1.36; do
    add tracing tracing-core "$v" '' '' "$tracing_main"
done

tracing_subscriber_main='fn main() {
    let full = tracing_subscriber::fmt().with_ansi(false).finish();
    let json = tracing_subscriber::fmt().json().finish();
    tracing::subscriber::with_default(full, || tracing::info!(n = 1, "full"));
    tracing::subscriber::with_default(json, || tracing::info!(n = 2, "json"));
}'
for v in 0.3.0 0.3.23; do
    add tracing-subscriber tracing-subscriber "$v" 'default-features = false, features = ["fmt", "std", "ansi", "json"]' 'tracing = "0.1"' "$tracing_subscriber_main"
done

env_logger_main='fn main() {
    env_logger::Builder::new().filter_level(log::LevelFilter::Info).init();
    log::info!("default format {}", 1);
}'
for v in 0.10.0 0.11.0 0.11.12; do
    add env_logger env_logger "$v" 'default-features = false' 'log = "0.4.22"' "$env_logger_main"
done

redis_main='use redis::{AsyncCommands, Commands};
#[tokio::main]
async fn main() {
    let client = redis::Client::open("redis://127.0.0.1:9/").unwrap();
    if let Ok(mut con) = client.get_connection() {
        let _: redis::RedisResult<()> = con.set("k", 1);
        let _: redis::RedisResult<(i32, i32)> = redis::pipe().get("a").get("b").query(&mut con);
    }
    if let Ok(mut con) = client.get_multiplexed_async_connection().await {
        let _: redis::RedisResult<Option<String>> = con.get("k").await;
        let _: redis::RedisResult<(i32,)> = redis::pipe().atomic().incr("c", 1).query_async(&mut con).await;
    }
    if let Ok(mut manager) = redis::aio::ConnectionManager::new(client).await {
        let _: redis::RedisResult<()> = manager.set("k", 1).await;
    }
}'
# 1.6 renamed `req_packed_commands`' parameter: two packs, one advice file.
for v in 0.32.0 1.5.0; do
    add redis redis "$v" 'features = ["tokio-comp", "aio", "connection-manager"]' \
        'tokio = { version = "1", features = ["rt-multi-thread", "macros"] }' "$redis_main"
done
for v in 1.6.0 1.8.1; do
    add redis-1.6 redis "$v" 'features = ["tokio-comp", "aio", "connection-manager"]' \
        'tokio = { version = "1", features = ["rt-multi-thread", "macros"] }' "$redis_main"
done
# ureq: 3.x is the `ureq` pack (http-crate types), 2.4+ the `ureq-2` pack (its own Request).
# Plain HTTP only (no TLS stack): the join points are not feature-gated.
ureq_main='fn main() {
    let _ = ureq::get("http://127.0.0.1:9/").call();
    let _ = ureq::post("http://127.0.0.1:9/").send("x");
    let agent = ureq::Agent::new_with_defaults();
    let _ = agent.run(ureq::http::Request::get("http://127.0.0.1:9/").body(()).unwrap());
}'
for v in 3.0.0 3.5.2; do
    add ureq ureq "$v" 'default-features = false' '' "$ureq_main"
done
ureq2_main='fn main() {
    let _ = ureq::get("http://127.0.0.1:9/").call();
    let _ = ureq::post("http://127.0.0.1:9/").send_string("x");
    let _ = ureq::AgentBuilder::new().build().get("http://127.0.0.1:9/").call();
}'
for v in 2.4.0 2.12.1; do
    add ureq-2 ureq "$v" 'default-features = false' '' "$ureq2_main"
done
# warp 0.3 (hyper 0.14) and 0.4 (hyper 1, `server` feature): one pack; the hyper packs weave
# alongside (they own the SERVER span the route goes to).
warp_main='use warp::Filter;
#[tokio::main]
async fn main() {
    let routes = warp::path!("users" / u32).map(|id: u32| id.to_string())
        .or(warp::path("files").and(warp::path::tail()).map(|t: warp::path::Tail| t.as_str().to_string()));
    drop(warp::serve(routes).run(([127, 0, 0, 1], 0)));
}'
warp_tokio='tokio = { version = "1", features = ["rt-multi-thread", "macros", "net"] }'
for v in 0.3.0 0.3.7; do
    add warp warp "$v" 'default-features = false' "$warp_tokio" "$warp_main"
done
for v in 0.4.0 0.4.3; do
    add warp warp "$v" 'default-features = false, features = ["server"]' "$warp_tokio" "$warp_main"
done
poem_main='use poem::{get, handler, web::Path, Route, Server, listener::TcpListener};
#[handler]
fn user(Path(id): Path<u32>) -> String { id.to_string() }
#[tokio::main]
async fn main() {
    let app = Route::new().at("/users/:id", get(user)).nest("/api", Route::new().at("/x", get(user)));
    drop(Server::new(TcpListener::bind("127.0.0.1:0")).run(app));
}'
for v in 3.0.0 3.1.12; do
    add poem poem "$v" 'default-features = false, features = ["server"]' "$warp_tokio" "$poem_main"
done
lapin_main='use futures_lite::StreamExt;
use lapin::{options::*, types::FieldTable, BasicProperties, Connection, ConnectionProperties};
fn main() {
    futures_lite::future::block_on(async {
        if let Ok(c) = Connection::connect("amqp://127.0.0.1:9/%2f", ConnectionProperties::default()).await {
            let ch = c.create_channel().await.unwrap();
            let _ = ch.basic_publish("", "q", BasicPublishOptions::default(), b"x", BasicProperties::default()).await;
            let mut consumer = ch.basic_consume("q", "t", BasicConsumeOptions::default(), FieldTable::default()).await.unwrap();
            let _ = consumer.next().await;
            consumer.set_delegate(|_d: lapin::message::DeliveryResult| async {});
        }
    });
}'
for v in 2.0.0 2.5.5; do
    add lapin lapin "$v" 'default-features = false' 'futures-lite = "2"' "$lapin_main"
done
nats_main='use futures::StreamExt;
#[tokio::main]
async fn main() {
    if let Ok(client) = async_nats::connect("nats://127.0.0.1:9").await {
        let _ = client.publish("s", "x".into()).await;
        let _ = client.publish_with_reply("s", "r", "x".into()).await;
        let _ = client.publish_with_headers("s", async_nats::HeaderMap::new(), "x".into()).await;
        let _ = client.request("s", "x".into()).await;
        let mut sub = client.subscribe("s").await.unwrap();
        let _ = sub.next().await;
    }
}'
for v in 0.33.0 0.39.0; do
    add async-nats async-nats "$v" '' 'futures = "0.3"\ntokio = { version = "1", features = ["rt-multi-thread", "macros"] }' "$nats_main"
done
diesel_main='use diesel::connection::SimpleConnection;
use diesel::prelude::*;
diesel::table! { t (id) { id -> Integer, name -> Text, } }
fn main() {
    if let Ok(mut c) = PgConnection::establish("postgres://otel@127.0.0.1:9/otel") {
        let _ = c.batch_execute("SELECT 1");
        let _ = c.transaction(|c| diesel::insert_into(t::table).values((t::id.eq(1), t::name.eq("a"))).execute(c));
        let _: QueryResult<Vec<String>> = t::table.filter(t::id.eq(1)).select(t::name).load(&mut c);
    }
    let manager = diesel::r2d2::ConnectionManager::<PgConnection>::new("postgres://otel@127.0.0.1:9/otel");
    drop(diesel::r2d2::Pool::builder().max_size(1).build_unchecked(manager).get());
    let mut s = SqliteConnection::establish(":memory:").unwrap();
    s.batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)").unwrap();
    diesel::insert_into(t::table).values((t::id.eq(1), t::name.eq("a"))).execute(&mut s).unwrap();
    let names: Vec<String> = t::table.filter(t::id.eq(1)).select(t::name).load(&mut s).unwrap();
    assert_eq!(names, ["a"]);
}'
# diesel 2.0 and 2.1 allow only pq-sys 0.4/0.5, which link the system libpq (`scripts/services.sh
# deps` installs libpq-dev); 2.2+ take pq-sys 0.7, built here from its bundled sources. SQLite
# is bundled at both ends.
add diesel diesel 2.0.0 'default-features = false, features = ["postgres", "sqlite", "r2d2"]' \
    'libsqlite3-sys = { version = "*", features = ["bundled"] }' "$diesel_main"
add diesel diesel 2.3.14 'default-features = false, features = ["postgres", "sqlite", "r2d2"]' \
    'libsqlite3-sys = { version = "*", features = ["bundled"] }\npq-sys = { version = "0.7", default-features = false, features = ["bundled_without_openssl"] }' "$diesel_main"
# System libraries a check links, installed from Debian's packages first, by pack-version.
declare -A deps=([diesel-2.0.0]=libpq)
# sqlx: every sqlx pack at once (sqlx-core's, and each backend's for its layout), through the
# `sqlx` facade; the check is named after sqlx-core (the woven crate the script looks for),
# and --strict fails on any woven backend that does not compile. 0.8.2/0.8.3 are the ends of
# the two sqlx-postgres packs.
sqlx_main='use sqlx::{Connection, Executor};
#[tokio::main]
async fn main() {
    let pool = sqlx::sqlite::SqlitePoolOptions::new().connect("sqlite::memory:").await.unwrap();
    pool.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)").await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("INSERT INTO t (id) VALUES (?)").bind(1i64).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM t").fetch_one(&pool).await.unwrap();
    assert_eq!(n, 1);
    let _ = sqlx::PgConnection::connect("postgres://127.0.0.1:9/x").await;
    let _ = sqlx::MySqlConnection::connect("mysql://127.0.0.1:9/x").await;
}'
for v in 0.7.0 0.7.4 0.8.0 0.8.2 0.8.3 0.8.6; do
    add sqlx sqlx-core "$v" '' \
        "sqlx = { version = \"=$v\", default-features = false, features = [\"runtime-tokio\", \"postgres\", \"mysql\", \"sqlite\"] }\\ntokio = { version = \"1\", features = [\"rt-multi-thread\", \"macros\"] }" "$sqlx_main"
done

# Both hyper mains build and poll (once, with a no-op waker, never run) an HTTP/2 server
# connection, so the HTTP/2 join points (`execute_h2stream`, `H2Stream::poll2`, the response
# head's `from_parts`) are compiled for concrete types, not only type-checked.
hyper_main='use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
struct Io;
impl hyper::rt::Read for Io {
    fn poll_read(self: Pin<&mut Self>, _: &mut Context<'"'"'_>, _: hyper::rt::ReadBufCursor<'"'"'_>) -> Poll<std::io::Result<()>> {
        Poll::Pending
    }
}
impl hyper::rt::Write for Io {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'"'"'_>, b: &[u8]) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Ok(b.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'"'"'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'"'"'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
#[derive(Clone)]
struct Exec;
impl<F: std::future::Future> hyper::rt::Executor<F> for Exec {
    fn execute(&self, _: F) {}
}
fn main() {
    let service = hyper::service::service_fn(|_req: hyper::Request<hyper::body::Incoming>| async {
        Ok::<_, Infallible>(hyper::Response::new(String::new()))
    });
    let _builder = hyper::server::conn::http1::Builder::new();
    let conn = hyper::server::conn::http2::Builder::new(Exec).serve_connection(Io, service);
    let mut conn = std::pin::pin!(conn);
    let _ = std::future::Future::poll(conn.as_mut(), &mut Context::from_waker(std::task::Waker::noop()));
}'
for v in 1.0.0 1.12.0; do
    add hyper hyper "$v" 'features = ["server", "http1", "http2", "client"]' '' "$hyper_main"
done

hyper014_main='use std::convert::Infallible;
use std::task::Context;
fn main() {
    let service = hyper::service::service_fn(|_req: hyper::Request<hyper::Body>| async {
        Ok::<_, Infallible>(hyper::Response::new(hyper::Body::empty()))
    });
    let _http = hyper::server::conn::Http::new();
    let (io, _peer) = tokio::io::duplex(64);
    let conn = hyper::server::conn::Http::new().http2_only(true).serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let _ = std::future::Future::poll(conn.as_mut(), &mut Context::from_waker(std::task::Waker::noop()));
    let client = hyper::Client::new();
    drop(client.get(hyper::Uri::from_static("http://127.0.0.1:9/")));
}'
# 0.14.0 still compiles against today's tokio 1.x, h2 0.3, socket2 0.3.19 (no pins needed).
for v in 0.14.0 0.14.32; do
    add hyper-0.14 hyper "$v" 'features = ["server", "client", "http1", "http2", "tcp", "runtime"]' \
        'tokio = { version = "1", features = ["io-util"] }' "$hyper014_main"
done

hyper_util_main='fn main() {
    let client: hyper_util::client::legacy::Client<_, String> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    drop(client.get("http://127.0.0.1:9/".parse().unwrap()));
}'
# hyper-util 0.1.0 calls `Socket::bind_device` without enabling socket2's `all` feature,
# which the tokio of its day enabled for it; with today's tokio the crate does not compile,
# woven or not, so its check enables the feature itself.
add hyper-util hyper-util 0.1.0 'features = ["client-legacy", "http1", "tokio"]' 'socket2 = { version = "0.5", features = ["all"] }' "$hyper_util_main"
add hyper-util hyper-util 0.1.21 'features = ["client-legacy", "http1", "tokio"]' '' "$hyper_util_main"

actix_web_main='use actix_web::{web, App, HttpResponse, HttpServer};
fn main() {
    actix_web::rt::System::new().block_on(async {
        let server = HttpServer::new(|| {
            App::new()
                .route("/items/{id}", web::get().to(|| async { HttpResponse::Ok().finish() }))
                .service(web::scope("/api").route("/x", web::get().to(|| async { HttpResponse::Ok().finish() })))
        })
        .bind("127.0.0.1:0")
        .unwrap()
        .run();
        drop(server);
    });
}'
# actix-web 4 runs on actix-http 3: its check weaves both (the actix-http pack owns the span).
add actix-web actix-web 4.0.0 'default-features = false, features = ["macros"]' '' "$actix_web_main"
add actix-web actix-web 4.18.1 'default-features = false, features = ["macros"]' '' "$actix_web_main"
# actix-http at both ends, with the actix-web of its day (4.0.0 took 3.0.0; today's takes 3.20).
add actix-http actix-http 3.0.0 'default-features = false' 'actix-web = { version = "=4.0.0", default-features = false, features = ["macros"] }' "$actix_web_main"
add actix-http actix-http 3.20.0 'default-features = false' 'actix-web = { version = "4", default-features = false, features = ["macros"] }' "$actix_web_main"

awc_main='fn main() {
    actix_rt::System::new().block_on(async {
        let client = awc::Client::default();
        let _ = client.get("http://127.0.0.1:9/").send().await;
        let frozen = client.get("http://127.0.0.1:9/").freeze().unwrap();
        let _ = frozen.send().await;
        let _ = frozen.extra_header(("x-check", "1")).send().await;
    });
}'
add awc awc 3.0.0 'default-features = false' 'actix-rt = "2"' "$awc_main"
add awc awc 3.11.0 'default-features = false' 'actix-rt = "2"' "$awc_main"

tokio_postgres_main='use tokio_postgres::NoTls;
#[tokio::main]
async fn main() {
    // No server needed: the connect fails; the point is that every woven fn compiles.
    if let Ok((mut client, connection)) = tokio_postgres::connect("host=127.0.0.1 port=9 user=x dbname=x", NoTls).await {
        tokio::spawn(connection);
        let _ = client.batch_execute("SELECT 1").await;
        let _ = client.simple_query("SELECT 1").await;
        let statement = client.prepare("SELECT $1::INT4").await.unwrap();
        let _ = client.prepare_typed("SELECT $1", &[tokio_postgres::types::Type::INT4]).await;
        let _ = client.query(&statement, &[&1i32]).await;
        let _ = client.query_one("SELECT $1::INT4", &[&1i32]).await;
        let _ = client.query_opt("SELECT $1::INT4", &[&1i32]).await;
        let _ = client.execute("SELECT $1::INT4", &[&1i32]).await;
        let _ = client.query_raw("SELECT 1", std::iter::empty::<i32>()).await;
        let _ = client.execute_raw("SELECT 1", std::iter::empty::<i32>()).await;
        let _ = client.copy_out("COPY t TO STDOUT").await;
        let _ = client.copy_in::<_, bytes::Bytes>("COPY t FROM STDIN").await;
        let tx = client.transaction().await.unwrap();
        let _ = tx.query("SELECT 1", &[]).await;
        tx.commit().await.unwrap();
    }
    std::thread::spawn(|| {
        if let Ok(mut client) = postgres::Client::connect("host=127.0.0.1 port=9 user=x", postgres::NoTls) {
            let _ = client.query("SELECT 1", &[]);
        }
    }).join().unwrap();
}'
# The sync `postgres` crate of each end (0.19.0 wraps tokio-postgres 0.7.0) checks that the
# pack's futures still fit its blocking wrappers.
add tokio-postgres tokio-postgres 0.7.0 '' 'postgres = "=0.19.0"\nbytes = "1"\ntokio = { version = "1", features = ["rt-multi-thread", "macros"] }' "$tokio_postgres_main"
add tokio-postgres tokio-postgres 0.7.18 '' 'postgres = "=0.19.14"\nbytes = "1"\ntokio = { version = "1", features = ["rt-multi-thread", "macros"] }' "$tokio_postgres_main"

deadpool_main='#[tokio::main]
async fn main() {
    let config: tokio_postgres::Config = "host=127.0.0.1 port=9 user=x".parse().unwrap();
    let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
    let pool = deadpool_postgres::Pool::builder(manager).max_size(1).build().unwrap();
    let _ = pool.get().await;
}'
# Through deadpool-postgres: 0.13 uses deadpool 0.12, 0.14 uses deadpool 0.13.
add deadpool deadpool 0.12.0 'features = ["managed", "rt_tokio_1"]' 'deadpool-postgres = "0.13"\ntokio-postgres = "0.7"\ntokio = { version = "1", features = ["rt-multi-thread", "macros"] }' "$deadpool_main"
add deadpool deadpool 0.13.1 'features = ["managed", "rt_tokio_1"]' 'deadpool-postgres = "0.14"\ntokio-postgres = "0.7"\ntokio = { version = "1", features = ["rt-multi-thread", "macros"] }' "$deadpool_main"

r2d2_main='struct M;
impl r2d2::ManageConnection for M {
    type Connection = u32;
    type Error = std::io::Error;
    fn connect(&self) -> Result<u32, std::io::Error> { Ok(1) }
    fn is_valid(&self, _: &mut u32) -> Result<(), std::io::Error> { Ok(()) }
    fn has_broken(&self, _: &mut u32) -> bool { false }
}
fn main() {
    let pool = r2d2::Pool::builder().max_size(1).build(M).unwrap();
    assert_eq!(*pool.get().unwrap(), 1);
    assert!(pool.get_timeout(std::time::Duration::from_millis(10)).is_ok());
}'
for v in 0.8.9 0.8.10; do
    add r2d2 r2d2 "$v" '' '' "$r2d2_main"
done

# tonic: a lazy channel and the generic client (its funnels are generic, type-checked where
# they are woven), no codegen; 0.12 is the `tonic-0_12` pack (its own response body type).
tonic_main='#[tokio::main]
async fn main() {
    let channel = tonic::transport::Endpoint::from_static("http://127.0.0.1:9").connect_lazy();
    let mut client = tonic::client::Grpc::new(channel);
    let _ = client.ready().await;
    let _server = tonic::transport::Server::builder();
}'
# tonic 0.12's router is axum 0.7, which no pack covers (an error under --strict): off.
for v in 0.12.0 0.12.3; do
    add tonic-0.12 tonic "$v" '' 'tokio = { version = "1", features = ["rt-multi-thread", "macros"] }' "$tonic_main"
    disable[tonic-0.12-$v]=axum
done
for v in 0.13.0 0.14.9; do
    add tonic tonic "$v" '' 'tokio = { version = "1", features = ["rt-multi-thread", "macros"] }' "$tonic_main"
done

std_main='fn main() {
    std::thread::spawn(|| ()).join().unwrap();
    std::thread::Builder::new().name("w".into()).spawn(|| ()).unwrap().join().unwrap();
    std::thread::scope(|s| {
        s.spawn(|| ());
        std::thread::Builder::new().spawn_scoped(s, || ()).unwrap();
    });
}'
add std @workspace - '' '' "$std_main"

wanted=("$@")
results=()
failed=0
for check in "${checks[@]}"; do
    IFS='|' read -r pack crate version spec extra <<<"$check"
    main="${mains[$pack]}"
    if ((${#wanted[@]})) && [[ ! " ${wanted[*]} " == *" $pack "* ]]; then
        continue
    fi
    dir="$work/$pack-$version"
    mkdir -p "$dir/src"
    {
        echo '[package]'
        echo "name = \"check-${pack//./_}\""
        echo 'version = "0.0.0"'
        echo 'edition = "2021"'
        echo 'publish = false'
        echo
        echo '[workspace]'
        echo
        echo '[dependencies]'
        if [[ "$crate" != "@workspace" ]]; then
            if [[ -n "$spec" ]]; then
                echo "$crate = { version = \"=$version\", $spec }"
            else
                echo "$crate = \"=$version\""
            fi
        fi
        [[ -n "$extra" ]] && printf '%b\n' "$extra" # `\n` separates several
        echo
        echo "[target.'cfg(cargo_otel)'.dependencies]"
        echo "otel-runtime = { path = \"$repo/runtime\" }"
        echo
        echo '[lints.rust]'
        echo 'unexpected_cfgs = { level = "warn", check-cfg = ["cfg(cargo_otel)"] }'
        if [[ -n "${disable[$pack-$version]:-}" ]]; then
            echo
            echo '[workspace.metadata.otel]'
            echo "disable = [\"${disable[$pack-$version]}\"]"
        fi
    } >"$dir/Cargo.toml"
    printf '%s\n' "$main" >"$dir/src/main.rs"
    log="$dir/build.log"
    if [[ -n "${deps[$pack-$version]:-}" ]]; then
        bash "$repo/scripts/services.sh" deps ${deps[$pack-$version]} || { results+=("$pack|$crate|$version|FAIL|services.sh deps"); failed=$((failed + 1)); continue; }
    fi
    echo "check-versions: $pack against $crate $version ($dir)" >&2
    # Evict a cached build of the crate so it is woven (and reported) in this run.
    if [[ "$crate" != "@workspace" ]]; then
        (cd "$dir" && CARGO_TARGET_DIR="$target" cargo clean -q -p "$crate@$version" --target "$(rustc -vV | sed -n 's/^host: //p')" 2>/dev/null) || true
    fi
    if (cd "$dir" && "$cargo_otel" otel --strict --otel-target-dir "$target" build) >"$log" 2>&1 \
        && { [[ "$crate" == "@workspace" ]] || grep -q "Weaving $crate v$version" "$log"; }; then
        woven="$(grep -o "Weaving $( [[ $crate == @workspace ]] && echo "check-${pack//./_}" || echo "$crate") v[^ ]* ([^)]*)" "$log" | head -1)"
        results+=("$pack|$crate|$version|pass|$woven")
    else
        failed=$((failed + 1))
        first="$(grep -m1 -E '^(error|warning: .*not instrumented)' "$log" || tail -1 "$log")"
        results+=("$pack|$crate|$version|FAIL|$first")
        [[ -n "${KEEP:-}" ]] || cp "$log" "${TMPDIR:-/tmp}/otel-check-$pack-$version.log"
    fi
done

printf '\n| %-8s | %-8s | %-8s | %-6s | %s\n' pack crate version result detail
printf '|----------|----------|----------|--------|-------\n'
for r in "${results[@]}"; do
    IFS='|' read -r pack crate version result detail <<<"$r"
    printf '| %-8s | %-8s | %-8s | %-6s | %s\n' "$pack" "$crate" "$version" "$result" "$detail"
done
exit $((failed > 0))
