// editions: 2015 2018 2021 2024
// Argument patterns: tuples, `_`, `mut x`, `&(x, y)`.
pub fn span_tuple((a, b): (u8, u8)) -> u8 {
    a + b
}

pub fn span_wild(_: u8, x: u8) -> u8 {
    x
}

pub fn span_mut_arg(mut x: u8) -> u8 {
    x += 1;
    x
}

pub fn span_ref_pattern(&(x, y): &(u8, u8)) -> u8 {
    x * y
}

pub fn hook_tuple((a, b): (u8, u8)) -> u8 {
    a.max(b)
}
