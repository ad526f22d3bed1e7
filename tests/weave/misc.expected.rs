// editions: 2015 2018 2021 2024
// unsafe fn, extern "C" fn, #[track_caller], #[inline], cfg'd fns and modules, nested fns,
// impl blocks in fn bodies, const fn (reported, not instrumented), macro-generated fns.
pub unsafe fn span_unsafe(p: *const u8) -> u8 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_unsafe"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_unsafe")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    unsafe { *p }
}

pub extern "C" fn span_extern(x: u32) -> u32 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_extern"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_extern")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    x
}

#[track_caller]
pub fn span_track_caller() -> u32 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_track_caller"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_track_caller")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    std::panic::Location::caller().line()
}

#[track_caller]
pub fn hook_track_caller() -> u32 {
    std::panic::Location::caller().line()
}

#[inline]
pub fn span_inline(x: u8) -> u8 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_inline"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_inline")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    x
}

#[cfg(unix)]
pub fn span_cfg() -> u8 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_cfg"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_cfg")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    1
}

#[cfg(not(unix))]
pub fn span_cfg() -> u8 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_cfg"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_cfg")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    2
}

#[cfg(any())]
mod never {
    pub fn span_in_cfg_out_module() { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("never::span_in_cfg_out_module"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "never::span_in_cfg_out_module")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);}
}

pub fn plain_outer() -> u8 {
    fn span_nested(x: u8) -> u8 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("span_nested"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "span_nested")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
        x
    }
    struct Local;
    impl Local {
        fn span_local_method(&self) -> u8 { let __otel_s0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::Span::start_attrs_in("golden", crate::__otel::OtelStrV1::from_static("Local::span_local_method"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "Local::span_local_method")]) }; let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
            3
        }
    }
    span_nested(1) + Local.span_local_method()
}

pub const fn span_const_fn() -> u8 {
    1
}

macro_rules! make_fn {
    ($name:ident) => {
        pub fn $name() -> u8 {
            4
        }
    };
}

make_fn!(span_from_macro);

// otel:span custom.name
pub fn plain_with_directive(x: u8) -> u8 { let __otel_s0 = crate::__otel::Span::start_attrs_in("user", crate::__otel::OtelStrV1::from_static("custom.name"), crate::__otel::INTERNAL, &[crate::__otel::Attr::lit("code.function.name", "plain_with_directive")]); let __otel_g0 = crate::__otel::SpanGuard::new(__otel_s0);
    x
}
// warning: tests/weave/pack.toml:14:6: rule `golden/hook` not applied to fn `hook_track_caller` at tests/weave/misc.rs:18:8: `#[track_caller]` fn: moving the body into a closure would change `Location::caller()`
