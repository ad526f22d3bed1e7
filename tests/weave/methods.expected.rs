// editions: 2015 2018 2021 2024
// Receivers: self, mut self, &self, &mut self, self: Box<Self>, self: Pin<&mut Self>.
use std::pin::Pin;

pub struct Counter {
    n: u32,
}

impl Counter {
    pub fn span_by_value(self) -> u32 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("Counter::span_by_value"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "Counter::span_by_value")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
        self.n
    }

    pub fn span_mut_value(mut self) -> u32 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("Counter::span_mut_value"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "Counter::span_mut_value")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
        self.n += 1;
        self.n
    }

    pub fn span_ref(&self) -> &u32 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("Counter::span_ref"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "Counter::span_ref")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
        &self.n
    }

    pub fn hook_ref(&self) -> &u32 { let __otel_cx0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel_advice_golden::enter() }; crate::__otel::call(__otel_cx0, crate::__otel_advice_golden::exit, move || {
        &self.n
    }) }

    pub fn span_mut_ref(&mut self) -> u32 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("Counter::span_mut_ref"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "Counter::span_mut_ref")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
        self.n += 1;
        self.n
    }

    pub fn hook_mut_ref(&mut self) -> &mut u32 { let __otel_cx0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel_advice_golden::enter() }; crate::__otel::call(__otel_cx0, crate::__otel_advice_golden::exit, move || {
        &mut self.n
    }) }

    pub fn span_boxed(self: Box<Self>) -> u32 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("Counter::span_boxed"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "Counter::span_boxed")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
        self.n
    }

    pub fn span_pinned(self: Pin<&mut Self>) -> u32 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("Counter::span_pinned"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "Counter::span_pinned")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
        self.n
    }

    pub fn plain_method(&self) -> u32 {
        self.n
    }
}
