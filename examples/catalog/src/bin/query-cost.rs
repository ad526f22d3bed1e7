//! `query-cost pg|redis N`: N round trips of one kind inside one traced job, for
//! scripts/instructions-db.sh, which runs it under callgrind woven and plain at two values of N
//! and divides the difference: instructions per query, without start-up and connection cost.
//! PostgreSQL: `SELECT name FROM catalog_products WHERE id = $1` through the sqlx pool;
//! Redis: `GET catalog:cost` through a multiplexed connection.

use std::{env, error::Error};

use redis::AsyncCommands;

// otel:span
async fn job(
    kind: &str,
    n: u32,
    db: &sqlx::PgPool,
    cache: &mut redis::aio::MultiplexedConnection,
) -> Result<usize, Box<dyn Error>> {
    let mut bytes = 0;
    for i in 0..n {
        if kind == "pg" {
            let (name,): (String,) = sqlx::query_as("SELECT name FROM catalog_products WHERE id = $1")
                .bind(i64::from(i % 3 + 1))
                .fetch_one(db)
                .await?;
            bytes += name.len();
        } else {
            let value: Option<String> = cache.get("catalog:cost").await?;
            bytes += value.map_or(0, |v| v.len());
        }
    }
    Ok(bytes)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = env::args().skip(1);
    let kind = args.next().unwrap_or_else(|| "pg".to_owned());
    let n: u32 = args.next().as_deref().unwrap_or("100").parse()?;
    let database = env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://otel@127.0.0.1:55432/otel".to_owned());
    let redis_url = env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:56379/".to_owned());
    // The service's own start-up creates and seeds the table.
    catalog::store::Store::connect(&database, &redis_url).await?;
    let db = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&database).await?;
    let mut cache = redis::Client::open(redis_url)?.get_multiplexed_async_connection().await?;
    let _: () = cache.set("catalog:cost", "widget").await?;
    // One query of each kind before the measured job: statement caches and buffers are warm.
    job(&kind, 1, &db, &mut cache).await?;
    println!("{}", job(&kind, n, &db, &mut cache).await?);
    Ok(())
}
