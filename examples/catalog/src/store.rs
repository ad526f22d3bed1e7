//! The product store: PostgreSQL through a small sqlx pool, Redis in front as a cache.

use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgPool, PgPoolOptions};

/// Seconds a cached product lives.
const CACHE_TTL: u64 = 60;

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub price_cents: i64,
}

#[derive(Debug)]
pub enum StoreError {
    Exists,
    Database(sqlx::Error),
    Cache(redis::RedisError),
    Decode(serde_json::Error),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Exists => write!(f, "exists"),
            StoreError::Database(e) => write!(f, "database: {e}"),
            StoreError::Cache(e) => write!(f, "cache: {e}"),
            StoreError::Decode(e) => write!(f, "cached value: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.code().as_deref() == Some("23505") => StoreError::Exists,
            _ => StoreError::Database(e),
        }
    }
}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        StoreError::Cache(e)
    }
}

#[derive(Clone)]
pub struct Store {
    db: PgPool,
    cache: redis::aio::ConnectionManager,
}

impl Store {
    /// Connect both, create the tables and seed three products.
    pub async fn connect(database: &str, redis_url: &str) -> Result<Store, Box<dyn std::error::Error>> {
        // Two connections: concurrent requests wait for one (an event on their query span).
        let db = PgPoolOptions::new().max_connections(2).connect(database).await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS catalog_products (id BIGINT PRIMARY KEY, name TEXT NOT NULL, price_cents BIGINT NOT NULL)",
        )
        .execute(&db)
        .await?;
        sqlx::query("CREATE TABLE IF NOT EXISTS catalog_views (product_id BIGINT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT now())")
            .execute(&db)
            .await?;
        sqlx::query(
            "INSERT INTO catalog_products (id, name, price_cents) VALUES (1, 'widget', 250), (2, 'gadget', 1200), (3, 'gizmo', 75) ON CONFLICT (id) DO NOTHING",
        )
        .execute(&db)
        .await?;
        let client = redis::Client::open(redis_url)?;
        let cache = redis::aio::ConnectionManager::new(client).await?;
        Ok(Store { db, cache })
    }

    fn key(id: i64) -> String {
        format!("catalog:product:{id}")
    }

    /// The product, from the cache when it is there, else from the database (then cached).
    pub async fn product(&self, id: i64) -> Result<Option<Product>, StoreError> {
        let mut cache = self.cache.clone();
        let cached: Option<String> = cache.get(Self::key(id)).await?;
        if let Some(json) = cached {
            return serde_json::from_str(&json).map(Some).map_err(StoreError::Decode);
        }
        let found: Option<Product> = sqlx::query_as("SELECT id, name, price_cents FROM catalog_products WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db)
            .await?;
        if let Some(p) = &found {
            let json = serde_json::to_string(p).map_err(StoreError::Decode)?;
            let _: () = cache.set_ex(Self::key(id), json, CACHE_TTL).await?;
        }
        Ok(found)
    }

    /// Insert a product in a transaction; `Exists` when the id is taken.
    pub async fn create(&self, p: &Product) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        sqlx::query("INSERT INTO catalog_products (id, name, price_cents) VALUES ($1, $2, $3)")
            .bind(p.id)
            .bind(&p.name)
            .bind(p.price_cents)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut cache = self.cache.clone();
        let _: () = cache.del(Self::key(p.id)).await?;
        Ok(())
    }

    /// Record a view of `id`; the product's view count.
    pub async fn count_view(&self, id: i64) -> Result<i64, StoreError> {
        sqlx::query("INSERT INTO catalog_views (product_id) VALUES ($1)").bind(id).execute(&self.db).await?;
        let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM catalog_views WHERE product_id = $1")
            .bind(id)
            .fetch_one(&self.db)
            .await?;
        Ok(count)
    }
}
