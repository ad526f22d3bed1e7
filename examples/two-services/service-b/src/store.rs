//! The inventory: an SQLite file, created and seeded on start, read with blocking calls.
//!
//! Every function here blocks, so the server calls them from `spawn_blocking`.

use std::{error::Error, fs, path::Path};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

/// The warehouses whose stock the server looks up in parallel.
pub const WAREHOUSES: [&str; 2] = ["north", "south"];

/// A row of the `items` table.
#[derive(Debug)]
pub struct ItemRow {
    pub name: String,
    pub price_cents: i64,
}

/// Creates the database file, its directory and tables if missing, and seeds the rows.
pub fn init(path: &Path) -> Result<(), Box<dyn Error>> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    }
    let conn = Connection::open(path)?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS items (
             id          INTEGER PRIMARY KEY,
             name        TEXT    NOT NULL,
             price_cents INTEGER NOT NULL
         );
         CREATE TABLE IF NOT EXISTS stock (
             item_id   INTEGER NOT NULL REFERENCES items(id),
             warehouse TEXT    NOT NULL,
             quantity  INTEGER NOT NULL,
             PRIMARY KEY (item_id, warehouse)
         );
         INSERT OR IGNORE INTO items (id, name, price_cents) VALUES
             (1, 'widget', 1250),
             (2, 'gadget', 4999),
             (3, 'gizmo', 799);
         INSERT OR IGNORE INTO stock (item_id, warehouse, quantity) VALUES
             (1, 'north', 12), (1, 'south', 30),
             (2, 'north', 0),  (2, 'south', 0),
             (3, 'north', 5),  (3, 'south', 1);",
    )?;
    Ok(())
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
}

/// The item `id`, or `None` when there is no such item.
pub fn item(path: &Path, id: u32) -> rusqlite::Result<Option<ItemRow>> {
    open(path)?
        .query_row("SELECT name, price_cents FROM items WHERE id = ?1", params![id], |row| {
            Ok(ItemRow { name: row.get(0)?, price_cents: row.get(1)? })
        })
        .optional()
}

/// The quantity of item `id` in `warehouse` (0 when the warehouse has no row for it).
pub fn stock(path: &Path, id: u32, warehouse: &str) -> rusqlite::Result<u32> {
    let quantity: Option<u32> = open(path)?
        .query_row("SELECT quantity FROM stock WHERE item_id = ?1 AND warehouse = ?2", params![id, warehouse], |row| {
            row.get(0)
        })
        .optional()?;
    Ok(quantity.unwrap_or(0))
}
