// editions: 2015 2018 2021 2024
// Free functions: unit, value, Result with `?`, early return, `-> !`, `-> impl Trait`.
use std::num::ParseIntError;

pub fn span_unit() {
    let _ = 1 + 1;
}

pub fn span_value(x: u32) -> u32 {
    x + 1
}

pub fn span_result(text: &str) -> Result<u32, ParseIntError> {
    let n: u32 = text.parse()?;
    Ok(n * 2)
}

pub fn hook_result(text: &str) -> Result<u32, ParseIntError> {
    let n: u32 = text.parse()?;
    if n > 10 {
        return Ok(10);
    }
    Ok(n)
}

pub fn span_early(x: i32) -> i32 {
    if x < 0 {
        return 0;
    }
    x
}

pub fn span_never() -> ! {
    panic!("never returns")
}

pub fn span_impl_trait(n: u32) -> impl Iterator<Item = u32> {
    (0..n).map(|x| x * 2)
}

pub fn hook_impl_trait(n: u32) -> impl Iterator<Item = u32> {
    0..n
}

pub fn skip_value(x: u32) -> u32 {
    x * 3
}

pub fn replace_arg(value: u32) -> u32 {
    value + 1
}

pub fn coded_fn() -> u8 {
    2
}

pub fn layered_fn(x: u8) -> u8 {
    x
}

pub fn plain_untouched(x: u8) -> u8 {
    x
}
