// editions: 2015 2018 2021 2024
// Argument patterns: tuples, `_`, `mut x`, `&(x, y)`.
pub fn span_tuple((a, b): (u8, u8)) -> u8 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_tuple"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_tuple")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    a + b
}

pub fn span_wild(_: u8, x: u8) -> u8 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_wild"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_wild")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    x
}

pub fn span_mut_arg(mut x: u8) -> u8 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_mut_arg"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_mut_arg")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    x += 1;
    x
}

pub fn span_ref_pattern(&(x, y): &(u8, u8)) -> u8 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_ref_pattern"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_ref_pattern")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    x * y
}

pub fn hook_tuple((a, b): (u8, u8)) -> u8 { let __otel_cx0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel_advice_golden::enter() }; crate::__otel::call(__otel_cx0, crate::__otel_advice_golden::exit, move || {
    a.max(b)
}) }
