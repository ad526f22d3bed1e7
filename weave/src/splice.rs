//! Stage 5, splice: apply text insertions to a source file without moving any line.
//!
//! Edits are insertions at (line, column) positions taken from syn spans. Every inserted
//! text is a single line, so the original code keeps its line numbers; only code after an
//! insertion point on the same line shifts right.

use proc_macro2::LineColumn;

/// Insert `text` at `at` (1-based line, 0-based char column, as proc-macro2 reports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub at: LineColumn,
    pub text: String,
}

impl Edit {
    pub fn new(at: LineColumn, text: impl Into<String>) -> Edit {
        Edit { at, text: text.into() }
    }
}

/// Byte offset of a line/column position in `text`.
pub fn offset_of(text: &str, at: LineColumn) -> Option<usize> {
    let mut line_start = 0;
    for _ in 1..at.line {
        line_start += text[line_start..].find('\n')? + 1;
    }
    let line = &text[line_start..];
    let mut chars = line.char_indices();
    let offset = match chars.nth(at.column) {
        Some((i, _)) => i,
        None if line[..].chars().count() == at.column => line.len(),
        None => return None,
    };
    Some(line_start + offset)
}

/// Apply edits; insertions at one position keep their given order.
pub fn apply(text: &str, edits: &[Edit]) -> Result<String, String> {
    let mut positioned: Vec<(usize, usize, &str)> = Vec::with_capacity(edits.len());
    for (seq, edit) in edits.iter().enumerate() {
        if edit.text.contains('\n') {
            return Err(format!("internal: multi-line insertion at {}:{}", edit.at.line, edit.at.column));
        }
        let offset = offset_of(text, edit.at)
            .ok_or_else(|| format!("position {}:{} is outside the file", edit.at.line, edit.at.column))?;
        positioned.push((offset, seq, &edit.text));
    }
    positioned.sort();
    let mut out = String::with_capacity(text.len() + positioned.iter().map(|p| p.2.len()).sum::<usize>());
    let mut last = 0;
    for (offset, _, insert) in positioned {
        out.push_str(&text[last..offset]);
        out.push_str(insert);
        last = offset;
    }
    out.push_str(&text[last..]);
    Ok(out)
}

/// Turn `forbid(unsafe_code)` into `deny(unsafe_code)` in a crate root's inner attributes,
/// keeping columns (`deny  (`), so the prelude's `#[allow(unsafe_code)]` is accepted.
pub fn relax_forbid_text(text: &str, ast: &syn::File) -> String {
    let mut out = text.to_string();
    let mut spans = Vec::new();
    for attr in &ast.attrs {
        let tokens = quote::ToTokens::to_token_stream(attr).to_string();
        if tokens.contains("forbid") && tokens.contains("unsafe_code") {
            if let (Some(a), Some(b)) =
                (offset_of(text, attr.pound_token.span.start()), offset_of(text, attr.bracket_token.span.close().end()))
            {
                spans.push((a, b));
            }
        }
    }
    for (a, b) in spans.into_iter().rev() {
        let relaxed = out[a..b].replace("forbid", "deny  ");
        out.replace_range(a..b, &relaxed);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lc(line: usize, column: usize) -> LineColumn {
        LineColumn { line, column }
    }

    #[test]
    fn insertions_keep_lines() {
        let text = "fn a() {\n    body();\n}\n";
        let out = apply(text, &[Edit::new(lc(1, 8), " pro();"), Edit::new(lc(3, 0), "epi(); ")]).expect("apply");
        assert_eq!(out, "fn a() { pro();\n    body();\nepi(); }\n");
        assert_eq!(out.lines().count(), text.lines().count());
    }

    #[test]
    fn columns_count_chars_not_bytes() {
        let text = "let é = 1; x\n";
        assert_eq!(offset_of(text, lc(1, 11)), Some(12));
    }

    #[test]
    fn forbid_becomes_deny_in_place() {
        let text = "#![forbid(unsafe_code)]\n#![forbid(missing_docs)]\nfn a() {}\n";
        let ast = syn::parse_file(text).expect("parse");
        let out = relax_forbid_text(text, &ast);
        assert_eq!(out, "#![deny  (unsafe_code)]\n#![forbid(missing_docs)]\nfn a() {}\n");
    }
}
