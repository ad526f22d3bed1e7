// editions: 2018 2021 2024
// A `#![no_std]` crate with an optional std (the common shape on crates.io): woven code and
// advice name `::std`, so the weaver adds the `extern crate std` the crate lacks, under the
// cfg where it lacks it. Inner attributes in a body stay first; const fns a glob selects are
// passed over silently.
#![no_std]
#[cfg(feature = "std")]
extern crate std;

pub fn span_templated(n: u32, label: &str) -> usize { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_templated"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_templated")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    label.len() + n as usize
}

pub fn span_inner_attr(x: u8) -> u8 {
    #![allow(clippy::identity_op)] let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_inner_attr"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_inner_attr")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    x + 0
}

pub async fn span_async(x: u32) -> u32 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_async"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_async")]) }; crate::__otel::instrument(__otel_s0, async move { #[allow(unreachable_code, clippy::diverging_sub_expression)] if false { let __otel_never: u32 = loop {}; return __otel_never; }
    x
}).await }

pub fn hook_value(x: u32) -> Result<u32, ()> { let __otel_cx0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel_advice_golden::enter() }; crate::__otel::call(__otel_cx0, crate::__otel_advice_golden::exit, move || {
    Ok(x)
}) }

pub fn skip_value(x: u32) -> u32 { let __otel_cx0 = match { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel_advice_golden::maybe_skip() } { crate::__otel::std::ops::ControlFlow::Break(__otel_r) => return __otel_r, crate::__otel::std::ops::ControlFlow::Continue(__otel_c) => __otel_c };
    x
}

pub const fn span_const(x: u8) -> u8 {
    x
}

/// A doc comment, then the directive.
// otel:span no_std.directive
pub fn plain_with_directive(x: u8) -> u8 { let __otel_s0 = crate::__otel::Span::start_attrs_in("user", crate::__otel::OtelStrV1::from_static("no_std.directive"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "plain_with_directive")]); let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    x
}

pub fn plain_untouched(x: u8) -> u8 {
    x
}
