// editions: 2018 2021 2024
// A `#![no_std]` crate with an optional std (the common shape on crates.io): woven code and
// advice name `::std`, so the weaver adds the `extern crate std` the crate lacks, under the
// cfg where it lacks it. Inner attributes in a body stay first; const fns a glob selects are
// passed over silently.
#![no_std]
#[cfg(feature = "std")]
extern crate std;

pub fn span_templated(n: u32, label: &str) -> usize {
    label.len() + n as usize
}

pub fn span_inner_attr(x: u8) -> u8 {
    #![allow(clippy::identity_op)]
    x + 0
}

pub async fn span_async(x: u32) -> u32 {
    x
}

pub fn hook_value(x: u32) -> Result<u32, ()> {
    Ok(x)
}

pub fn skip_value(x: u32) -> u32 {
    x
}

pub const fn span_const(x: u8) -> u8 {
    x
}

/// A doc comment, then the directive.
// otel:span no_std.directive
pub fn plain_with_directive(x: u8) -> u8 {
    x
}

pub fn plain_untouched(x: u8) -> u8 {
    x
}
