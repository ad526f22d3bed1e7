//! Cargo-style terminal output: right-aligned, coloured status words on stderr, with
//! quiet/normal/verbose levels. Never writes to stdout (in wrapper mode cargo parses
//! rustc's stdout).

use std::io::{IsTerminal, Write};

/// How much to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// Status printer.
#[derive(Clone, Copy, Debug)]
pub struct Shell {
    pub verbosity: Verbosity,
    pub color: bool,
}

const GREEN: &str = "\x1b[1;32m";
const YELLOW: &str = "\x1b[1;33m";
const RED: &str = "\x1b[1;31m";
const CYAN: &str = "\x1b[1;36m";
const RESET: &str = "\x1b[0m";

impl Shell {
    /// A shell for the subcommand, colouring when stderr is a terminal (or forced by
    /// `CARGO_TERM_COLOR`).
    pub fn for_terminal(verbosity: Verbosity) -> Shell {
        let color = match std::env::var("CARGO_TERM_COLOR").as_deref() {
            Ok("always") => true,
            Ok("never") => false,
            _ => std::io::stderr().is_terminal(),
        };
        Shell { verbosity, color }
    }

    fn paint(&self, color: &str, text: &str) -> String {
        if self.color { format!("{color}{text}{RESET}") } else { text.to_string() }
    }

    fn line(&self, text: String) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{text}");
    }

    /// `   Weaving reqwest v0.12.4 (3 join points)`, or `None` when quiet.
    pub fn format_status(&self, word: &str, message: impl std::fmt::Display) -> Option<String> {
        (self.verbosity >= Verbosity::Normal)
            .then(|| format!("{} {message}", self.paint(GREEN, &format!("{word:>12}"))))
    }

    /// A status line only under `-v`.
    pub fn format_verbose(&self, word: &str, message: impl std::fmt::Display) -> Option<String> {
        (self.verbosity >= Verbosity::Verbose)
            .then(|| format!("{} {message}", self.paint(CYAN, &format!("{word:>12}"))))
    }

    pub fn status(&self, word: &str, message: impl std::fmt::Display) {
        if let Some(line) = self.format_status(word, message) {
            self.line(line);
        }
    }

    pub fn verbose(&self, word: &str, message: impl std::fmt::Display) {
        if let Some(line) = self.format_verbose(word, message) {
            self.line(line);
        }
    }

    pub fn warn(&self, message: impl std::fmt::Display) {
        if self.verbosity >= Verbosity::Normal {
            self.line(format!("{}: {message}", self.paint(YELLOW, "warning")));
        }
    }

    pub fn error(&self, message: impl std::fmt::Display) {
        self.line(format!("{}: {message}", self.paint(RED, "error")));
    }
}
