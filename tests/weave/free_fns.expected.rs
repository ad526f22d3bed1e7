// editions: 2015 2018 2021 2024
// Free functions: unit, value, Result with `?`, early return, `-> !`, `-> impl Trait`.
use std::num::ParseIntError;

pub fn span_unit() { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_unit"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_unit")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    let _ = 1 + 1;
}

pub fn span_value(x: u32) -> u32 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_value"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_value")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    x + 1
}

pub fn span_result(text: &str) -> Result<u32, ParseIntError> { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_result"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_result")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    let n: u32 = text.parse()?;
    Ok(n * 2)
}

pub fn hook_result(text: &str) -> Result<u32, ParseIntError> { let __otel_cx0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel_advice_golden::enter() }; crate::__otel::call(__otel_cx0, crate::__otel_advice_golden::exit, move || {
    let n: u32 = text.parse()?;
    if n > 10 {
        return Ok(10);
    }
    Ok(n)
}) }

pub fn span_early(x: i32) -> i32 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_early"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_early")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    if x < 0 {
        return 0;
    }
    x
}

pub fn span_never() -> ! { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_never"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_never")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    panic!("never returns")
}

pub fn span_impl_trait(n: u32) -> impl Iterator<Item = u32> { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_impl_trait"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_impl_trait")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    (0..n).map(|x| x * 2)
}

pub fn hook_impl_trait(n: u32) -> impl Iterator<Item = u32> { let __otel_cx0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel_advice_golden::enter() }; crate::__otel::call(__otel_cx0, crate::__otel_advice_golden::exit, move || {
    0..n
}) }

pub fn skip_value(x: u32) -> u32 { let __otel_cx0 = match { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel_advice_golden::maybe_skip() } { crate::__otel::std::ops::ControlFlow::Break(__otel_r) => return __otel_r, crate::__otel::std::ops::ControlFlow::Continue(__otel_c) => __otel_c };
    x * 3
}

pub fn replace_arg(value: u32) -> u32 { #[allow(unused_mut)] let mut value = value; let __otel_cx0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel_advice_golden::double(&mut value) };
    value + 1
}

pub fn coded_fn() -> u8 { let _coded = 1u8 ;
    2
}

pub fn layered_fn(x: u8) -> u8 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("outer"), crate::__otel::SERVER, &[]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0); let __otel_cx1 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel_advice_golden::enter() }; crate::__otel::call(__otel_cx1, crate::__otel_advice_golden::exit, move || {
    x
}) }

pub fn plain_untouched(x: u8) -> u8 {
    x
}
