// editions: 2015 2018 2021 2024
// unsafe fn, extern "C" fn, #[track_caller], #[inline], cfg'd fns and modules, nested fns,
// impl blocks in fn bodies, const fn (reported, not instrumented), macro-generated fns.
pub unsafe fn span_unsafe(p: *const u8) -> u8 {
    unsafe { *p }
}

pub extern "C" fn span_extern(x: u32) -> u32 {
    x
}

#[track_caller]
pub fn span_track_caller() -> u32 {
    std::panic::Location::caller().line()
}

#[track_caller]
pub fn hook_track_caller() -> u32 {
    std::panic::Location::caller().line()
}

#[inline]
pub fn span_inline(x: u8) -> u8 {
    x
}

#[cfg(unix)]
pub fn span_cfg() -> u8 {
    1
}

#[cfg(not(unix))]
pub fn span_cfg() -> u8 {
    2
}

#[cfg(any())]
mod never {
    pub fn span_in_cfg_out_module() {}
}

pub fn plain_outer() -> u8 {
    fn span_nested(x: u8) -> u8 {
        x
    }
    struct Local;
    impl Local {
        fn span_local_method(&self) -> u8 {
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
pub fn plain_with_directive(x: u8) -> u8 {
    x
}
