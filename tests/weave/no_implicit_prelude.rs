// editions: 2015 2018 2021 2024
// `#![no_implicit_prelude]`: nothing is in scope by name, not even `Option`; woven code
// names everything by path, and the prelude and advice import std's prelude themselves.
#![no_implicit_prelude]

pub fn span_value(x: u32) -> ::std::option::Option<u32> {
    ::std::option::Option::Some(x)
}

pub fn hook_result(x: u32) -> ::std::result::Result<u32, ()> {
    ::std::result::Result::Ok(x)
}

pub fn layered_both(x: u32) -> u32 {
    x
}

pub fn plain_untouched(x: u8) -> u8 {
    x
}
