// editions: 2018 2021 2024
// Trait impl methods (a Service-like `call`), default methods, async fn in traits,
// a method whose future is an associated type.
use std::future::Future;
use std::pin::Pin;

pub trait Service<Request> {
    type Response;
    type Future: Future<Output = Self::Response>;
    fn call(&mut self, req: Request) -> Self::Future;

    fn span_default(&self) -> u32 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("Service::span_default"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "Service::span_default")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
        1
    }
}

pub struct Echo;

impl Service<String> for Echo {
    type Response = String;
    type Future = Pin<Box<dyn Future<Output = String> + Send>>;

    fn call(&mut self, req: String) -> Self::Future {
        Box::pin(async move { req })
    }
}

pub trait Store {
    fn span_get(&self, key: u32) -> impl Future<Output = Option<u32>> + Send;
    async fn span_put(&self, key: u32) -> bool;
}

pub struct Memory;

impl Store for Memory {
    async fn span_get(&self, key: u32) -> Option<u32> { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("Memory::span_get"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "Memory::span_get")]) }; crate::__otel::instrument(__otel_s0, async move { #[allow(unreachable_code, clippy::diverging_sub_expression)] if false { let __otel_never: Option < u32 > = loop {}; return __otel_never; }
        Some(key)
    }).await }

    async fn span_put(&self, _key: u32) -> bool { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("Memory::span_put"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "Memory::span_put")]) }; crate::__otel::instrument(__otel_s0, async move { #[allow(unreachable_code, clippy::diverging_sub_expression)] if false { let __otel_never: bool = loop {}; return __otel_never; }
        true
    }).await }
}

pub struct Assoc;

impl Service<u8> for Assoc {
    type Response = u8;
    type Future = std::future::Ready<u8>;

    fn call(&mut self, req: u8) -> Self::Future {
        std::future::ready(req)
    }
}

impl Assoc {
    pub fn span_assoc(&mut self, req: u8) -> <Assoc as Service<u8>>::Future { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("Assoc::span_assoc"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "Assoc::span_assoc")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
        self.call(req)
    }
}
