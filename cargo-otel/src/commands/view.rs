//! `cargo otel view`: the recorded traces from the local file store as waterfalls.
//!
//! The store is what otel-runtime's `file` exporter writes (JSON Lines, one span a line, in
//! `target/otel/traces/*.jsonl`, or `$CARGO_OTEL_STORE`). Spans of one trace may come from
//! several processes: they are joined by trace id. Log records (the store's `logs/`) are
//! shown under the span that was current when they were emitted.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use serde::Deserialize;

use crate::flags::Args;
use crate::flags::defs::ViewOpts;

/// One span as the file store writes it.
#[derive(Debug, Clone, Deserialize)]
pub struct StoredSpan {
    pub trace_id: String,
    pub span_id: String,
    #[serde(default)]
    pub parent_span_id: String,
    pub name: String,
    pub kind: String,
    pub start_unix_nano: u64,
    pub end_unix_nano: u64,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub status_message: String,
    #[serde(default)]
    pub service_name: String,
    #[serde(default)]
    pub attributes: BTreeMap<String, serde_json::Value>,
}

/// Read every span in the store directory (lines that do not parse are skipped).
pub fn read_store(dir: &Path) -> Result<Vec<StoredSpan>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("no trace store at {} (run something with `cargo otel run` first)", dir.display()))?;
    let mut spans = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            let file = std::fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
            for line in std::io::BufReader::new(file).lines().map_while(Result::ok) {
                if let Ok(span) = serde_json::from_str::<StoredSpan>(&line) {
                    spans.push(span);
                }
            }
        }
    }
    Ok(spans)
}

/// One log record as the file store writes it (`logs/*.jsonl`).
#[derive(Debug, Clone, Deserialize)]
pub struct StoredLog {
    #[serde(default)]
    pub span_id: String,
    #[serde(default)]
    pub time_unix_nano: u64,
    #[serde(default)]
    pub severity_text: String,
    #[serde(default)]
    pub body: String,
}

/// The log records of the store's `logs/` by the span they were emitted under, oldest
/// first (no `logs/`: none).
pub fn read_logs(dir: &Path) -> HashMap<String, Vec<StoredLog>> {
    let mut by_span: HashMap<String, Vec<StoredLog>> = HashMap::new();
    for entry in std::fs::read_dir(dir.join("logs")).into_iter().flatten().flatten() {
        let path = entry.path();
        let Ok(file) = std::fs::File::open(&path) else { continue };
        if path.extension().is_some_and(|e| e == "jsonl") {
            for line in std::io::BufReader::new(file).lines().map_while(Result::ok) {
                if let Ok(log) = serde_json::from_str::<StoredLog>(&line)
                    && !log.span_id.is_empty()
                {
                    by_span.entry(log.span_id.clone()).or_default().push(log);
                }
            }
        }
    }
    for logs in by_span.values_mut() {
        logs.sort_by_key(|l| l.time_unix_nano);
    }
    by_span
}

/// Group spans by trace, oldest first.
pub fn traces(spans: Vec<StoredSpan>) -> Vec<Vec<StoredSpan>> {
    let mut by_trace: HashMap<String, Vec<StoredSpan>> = HashMap::new();
    for s in spans {
        by_trace.entry(s.trace_id.clone()).or_default().push(s);
    }
    let mut list: Vec<Vec<StoredSpan>> = by_trace.into_values().collect();
    for t in &mut list {
        t.sort_by_key(|s| s.start_unix_nano);
    }
    list.sort_by_key(|t| t.first().map_or(0, |s| s.start_unix_nano));
    list
}

const KEY_ATTRIBUTES: &[&str] = &[
    "http.route",
    "url.full",
    "url.path",
    "http.response.status_code",
    "db.system.name",
    "db.query.text",
    "thread.name",
    "error.type",
];

fn format_duration(nanos: u64) -> String {
    let ms = nanos as f64 / 1e6;
    if ms >= 1000.0 {
        format!("{:.2}s", ms / 1000.0)
    } else if ms >= 1.0 {
        format!("{ms:.1}ms")
    } else {
        format!("{:.0}µs", nanos as f64 / 1e3)
    }
}

/// Render one trace as an indented tree with a time bar, each span's log records (from
/// [`read_logs`]) under it.
pub fn render(trace: &[StoredSpan], logs: &HashMap<String, Vec<StoredLog>>, width: usize) -> String {
    let Some(first) = trace.first() else {
        return String::new();
    };
    let start = trace.iter().map(|s| s.start_unix_nano).min().unwrap_or(0);
    let end = trace.iter().map(|s| s.end_unix_nano).max().unwrap_or(start).max(start + 1);
    let total = end - start;
    let ids: std::collections::HashSet<&str> = trace.iter().map(|s| s.span_id.as_str()).collect();
    let mut children: HashMap<&str, Vec<&StoredSpan>> = HashMap::new();
    let mut roots = Vec::new();
    for s in trace {
        if s.parent_span_id.is_empty() || !ids.contains(s.parent_span_id.as_str()) {
            roots.push(s);
        } else {
            children.entry(s.parent_span_id.as_str()).or_default().push(s);
        }
    }
    let mut services: Vec<&str> = trace.iter().map(|s| s.service_name.as_str()).filter(|s| !s.is_empty()).collect();
    services.sort();
    services.dedup();
    let mut out = format!(
        "trace {}  {}  {} span{}  [{}]\n",
        first.trace_id,
        format_duration(total),
        trace.len(),
        if trace.len() == 1 { "" } else { "s" },
        services.join(", ")
    );
    struct Tree<'a> {
        children: HashMap<&'a str, Vec<&'a StoredSpan>>,
        logs: &'a HashMap<String, Vec<StoredLog>>,
        start: u64,
        total: u64,
        width: usize,
    }
    fn walk(out: &mut String, span: &StoredSpan, depth: usize, tree: &Tree<'_>) {
        let (start, total, width) = (tree.start, tree.total, tree.width);
        let offset = ((span.start_unix_nano.saturating_sub(start)) as f64 / total as f64 * width as f64) as usize;
        let len = (((span.end_unix_nano.saturating_sub(span.start_unix_nano)) as f64 / total as f64 * width as f64)
            .ceil() as usize)
            .max(1);
        let offset = offset.min(width.saturating_sub(1));
        let len = len.min(width - offset);
        let bar = format!("{}{}{}", " ".repeat(offset), "█".repeat(len), " ".repeat(width - offset - len));
        let label = format!("{}{}", "  ".repeat(depth), span.name);
        let attrs: Vec<String> = KEY_ATTRIBUTES
            .iter()
            .filter_map(|k| {
                span.attributes
                    .get(*k)
                    .map(|v| format!("{k}={}", v.as_str().map_or_else(|| v.to_string(), str::to_string)))
            })
            .collect();
        let status = if span.status == "error" { format!(" ERROR {}", span.status_message) } else { String::new() };
        out.push_str(&format!(
            "  {bar} {:>8}  {label:<40} {:<8} {:<10}{status} {}\n",
            format_duration(span.end_unix_nano.saturating_sub(span.start_unix_nano)),
            span.kind.to_uppercase(),
            span.service_name,
            attrs.join(" ")
        ));
        for log in tree.logs.get(&span.span_id).into_iter().flatten() {
            out.push_str(&format!(
                "  {} {:>8}  {}  · {} {}\n",
                " ".repeat(width),
                format!("+{}", format_duration(log.time_unix_nano.saturating_sub(start))),
                "  ".repeat(depth),
                log.severity_text,
                log.body
            ));
        }
        if let Some(kids) = tree.children.get(span.span_id.as_str()) {
            for kid in kids {
                walk(out, kid, depth + 1, tree);
            }
        }
    }
    let tree = Tree { children, logs, start, total, width };
    for root in roots {
        walk(&mut out, root, 0, &tree);
    }
    out
}

fn store_dir(args: &Args, opts: &ViewOpts) -> Result<PathBuf> {
    if let Some(dir) = &opts.store {
        return Ok(dir.clone());
    }
    if let Some(dir) = std::env::var_os("CARGO_OTEL_STORE") {
        return Ok(PathBuf::from(dir));
    }
    let metadata = opts.manifest.metadata().no_deps().exec().context("`cargo metadata` failed; pass --store DIR")?;
    Ok(super::build::otel_target_dir(args, &metadata).join("traces"))
}

pub fn run(args: &Args, opts: &ViewOpts) -> Result<ExitCode> {
    let dir = store_dir(args, opts)?;
    let (last, all, wanted) = (opts.last, opts.all, opts.trace.clone());
    let mut list = traces(read_store(&dir)?);
    let logs = read_logs(&dir);
    if let Some(id) = &wanted {
        list.retain(|t| t.first().is_some_and(|s| s.trace_id.starts_with(id.as_str())));
        if list.is_empty() {
            bail!("no trace {id} in {}", dir.display());
        }
    } else if !all && list.len() > last {
        list.drain(..list.len() - last);
    }
    if list.is_empty() {
        println!("no traces in {}", dir.display());
    }
    for trace in &list {
        println!("{}", render(trace, &logs, 30));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: &str, parent: &str, name: &str, start: u64, end: u64) -> StoredSpan {
        StoredSpan {
            trace_id: "t1".into(),
            span_id: id.into(),
            parent_span_id: parent.into(),
            name: name.into(),
            kind: "server".into(),
            start_unix_nano: start,
            end_unix_nano: end,
            status: String::new(),
            status_message: String::new(),
            service_name: "svc".into(),
            attributes: BTreeMap::new(),
        }
    }

    #[test]
    fn renders_children_under_parents() {
        let t = vec![span("a", "", "GET /x", 0, 10_000_000), span("b", "a", "child", 2_000_000, 4_000_000)];
        let out = render(&t, &HashMap::new(), 10);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("trace t1  10.0ms  2 spans  [svc]"), "{out}");
        assert!(lines[1].contains("GET /x"));
        assert!(lines[2].contains("  child"), "{out}");
        assert!(lines[2].contains("2.0ms"), "{out}");
    }

    #[test]
    fn log_records_appear_under_their_span() {
        let t = vec![span("a", "", "GET /x", 0, 10_000_000), span("b", "a", "child", 2_000_000, 4_000_000)];
        let log = |body: &str, at: u64| StoredLog {
            span_id: "b".into(),
            time_unix_nano: at,
            severity_text: "WARN".into(),
            body: body.into(),
        };
        let logs = HashMap::from([("b".to_string(), vec![log("slow query", 3_000_000)])]);
        let out = render(&t, &logs, 10);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[2].contains("child"), "{out}");
        assert!(lines[3].contains("+3.0ms") && lines[3].ends_with("· WARN slow query"), "{out}");
    }
}
