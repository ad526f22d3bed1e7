//! `cargo otel`: one binary, two modes. With `CARGO_OTEL_WRAPPER` set it is rustc's
//! wrapper (cargo runs it for every compilation); otherwise it is the cargo subcommand.

use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::var_os(cargo_otel::wrapper::WRAPPER_ENV).is_some() {
        return cargo_otel::wrapper::main();
    }
    cargo_otel::commands::main()
}
