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

pub async fn span_async(x: u32) -> u32 {
    x + 1
}

pub async fn span_async_result(text: &str) -> Result<u32, Error> {
    let n: u32 = text.parse()?;
    if n == 0 {
        return Err(Error);
    }
    Ok(n)
}

pub async fn hook_async(text: String) -> Result<usize, Error> {
    let n: usize = text.parse()?;
    Ok(n)
}

pub async fn span_async_unit() {}

pub fn span_impl_future(x: u32) -> impl Future<Output = u32> {
    async move { x * 2 }
}

pub fn span_boxed(x: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    Box::pin(async move { x })
}

pub fn future_wrapped(x: u32) -> impl Future<Output = u32> + Send {
    async move { x }
}

pub fn future_boxed(x: u32) -> Pin<Box<dyn Future<Output = u32> + Send + 'static>> {
    Box::pin(async move { x })
}

pub fn hook_impl_future(x: u32) -> impl Future<Output = u32> {
    async move { x }
}

pub async fn plain_async(x: u32) -> u32 {
    x
}
