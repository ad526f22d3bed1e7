// editions: 2015 2018 2021 2024
// Generics with bounds and where clauses, lifetimes, impl Trait arguments, const generics.
use std::fmt::Display;

pub fn span_bounded<T: Display + Clone>(value: T) -> String {
    format!("{}", value.clone())
}

pub fn span_where<T, U>(a: T, b: U) -> (T, U)
where
    T: Clone,
    U: Default,
{
    (a.clone(), b)
}

pub fn span_lifetimes<'a, 'b: 'a>(x: &'a str, _y: &'b str) -> &'a str {
    x
}

pub fn hook_elided(x: &str) -> &str {
    x.trim()
}

pub fn span_impl_arg(items: impl IntoIterator<Item = u32>) -> u32 {
    items.into_iter().sum()
}

pub fn span_const<const N: usize>(values: [u8; N]) -> usize {
    values.len() + N
}

pub fn hook_generic<T: Default>() -> T {
    T::default()
}
