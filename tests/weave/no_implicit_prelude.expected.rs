// editions: 2015 2018 2021 2024
// `#![no_implicit_prelude]`: nothing is in scope by name, not even `Option`; woven code
// names everything by path, and the prelude and advice import std's prelude themselves.
#![no_implicit_prelude]

pub fn span_value(x: u32) -> ::std::option::Option<u32> { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_value"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_value")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    ::std::option::Option::Some(x)
}

pub fn hook_result(x: u32) -> ::std::result::Result<u32, ()> { let __otel_cx0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel_advice_golden::enter() }; crate::__otel::call(__otel_cx0, crate::__otel_advice_golden::exit, move || {
    ::std::result::Result::Ok(x)
}) }

pub fn layered_both(x: u32) -> u32 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("outer"), crate::__otel::SERVER, &[]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0); let __otel_cx1 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel_advice_golden::enter() }; crate::__otel::call(__otel_cx1, crate::__otel_advice_golden::exit, move || {
    x
}) }

pub fn plain_untouched(x: u8) -> u8 {
    x
}
