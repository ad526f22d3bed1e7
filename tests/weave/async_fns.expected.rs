// editions: 2018 2021 2024
// Async shapes: `async fn`, `impl Future`, `Pin<Box<dyn Future + Send>>`.
use std::future::Future;
use std::pin::Pin;

#[derive(Debug)]
pub struct Error;

impl From<std::num::ParseIntError> for Error {
    fn from(_: std::num::ParseIntError) -> Error {
        Error
    }
}

pub async fn span_async(x: u32) -> u32 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_async"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_async")]) }; crate::__otel::instrument(__otel_s0, async move { #[allow(unreachable_code, clippy::diverging_sub_expression)] if false { let __otel_never: u32 = loop {}; return __otel_never; }
    x + 1
}).await }

pub async fn span_async_result(text: &str) -> Result<u32, Error> { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_async_result"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_async_result")]) }; crate::__otel::instrument(__otel_s0, async move { #[allow(unreachable_code, clippy::diverging_sub_expression)] if false { let __otel_never: Result < u32 , Error > = loop {}; return __otel_never; }
    let n: u32 = text.parse()?;
    if n == 0 {
        return Err(Error);
    }
    Ok(n)
}).await }

pub async fn hook_async(text: String) -> Result<usize, Error> { let __otel_cx0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel_advice_golden::enter() }; crate::__otel::instrument_with(crate::__otel::Span::none(), async move { #[allow(unreachable_code, clippy::diverging_sub_expression)] if false { let __otel_never: Result < usize , Error > = loop {}; return __otel_never; }
    let n: usize = text.parse()?;
    Ok(n)
}, move |_, __otel_out| crate::__otel_advice_golden::exit(__otel_cx0, __otel_out)).await }

pub async fn span_async_unit() { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_async_unit"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_async_unit")]) }; crate::__otel::instrument(__otel_s0, async move { #[allow(unreachable_code, clippy::diverging_sub_expression)] if false { let __otel_never: () = loop {}; return __otel_never; }}).await }

pub fn span_impl_future(x: u32) -> impl Future<Output = u32> { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_impl_future"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_impl_future")]) }; let __otel_e0 = __otel_s0.enter(); let __otel_f0 = crate::__otel::run(move || {
    async move { x * 2 }
}); crate::__otel::std::mem::drop(__otel_e0); crate::__otel::instrument(__otel_s0, __otel_f0) }

pub fn span_boxed(x: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_boxed"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_boxed")]) }; let __otel_e0 = __otel_s0.enter(); let __otel_f0 = crate::__otel::run(move || {
    Box::pin(async move { x })
}); crate::__otel::std::mem::drop(__otel_e0); crate::__otel::std::boxed::Box::pin(crate::__otel::instrument(__otel_s0, __otel_f0)) }

pub fn future_wrapped(x: u32) -> impl Future<Output = u32> + Send { crate::__otel_advice_golden::propagate_future(crate::__otel::run(move || {
    async move { x }
})) }

pub fn future_boxed(x: u32) -> Pin<Box<dyn Future<Output = u32> + Send + 'static>> { crate::__otel::std::boxed::Box::pin(crate::__otel_advice_golden::propagate_future(crate::__otel::run(move || {
    Box::pin(async move { x })
}))) }

pub fn hook_impl_future(x: u32) -> impl Future<Output = u32> { let __otel_cx0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel_advice_golden::enter() }; let __otel_s0 = crate::__otel::Span::none(); let __otel_e0 = __otel_s0.enter(); let __otel_f0 = crate::__otel::run(move || {
    async move { x }
}); crate::__otel::std::mem::drop(__otel_e0); crate::__otel::instrument_with(__otel_s0, __otel_f0, move |_, __otel_out| crate::__otel_advice_golden::exit(__otel_cx0, __otel_out)) }

pub async fn plain_async(x: u32) -> u32 {
    x
}
