// editions: 2015 2018 2021 2024
// Generics with bounds and where clauses, lifetimes, impl Trait arguments, const generics.
use std::fmt::Display;

pub fn span_bounded<T: Display + Clone>(value: T) -> String { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_bounded"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_bounded")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    format!("{}", value.clone())
}

pub fn span_where<T, U>(a: T, b: U) -> (T, U)
where
    T: Clone,
    U: Default,
{ let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_where"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_where")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    (a.clone(), b)
}

pub fn span_lifetimes<'a, 'b: 'a>(x: &'a str, _y: &'b str) -> &'a str { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_lifetimes"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_lifetimes")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    x
}

pub fn hook_elided(x: &str) -> &str { let __otel_cx0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel_advice_golden::enter() }; crate::__otel::call(__otel_cx0, crate::__otel_advice_golden::exit, move || {
    x.trim()
}) }

pub fn span_impl_arg(items: impl IntoIterator<Item = u32>) -> u32 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_impl_arg"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_impl_arg")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    items.into_iter().sum()
}

pub fn span_const<const N: usize>(values: [u8; N]) -> usize { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_const"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_const")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    values.len() + N
}

pub fn hook_generic<T: Default>() -> T { let __otel_cx0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel_advice_golden::enter() }; crate::__otel::call(__otel_cx0, crate::__otel_advice_golden::exit, move || {
    T::default()
}) }
