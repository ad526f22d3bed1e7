// editions: 2018 2021 2024
// Trait impl methods (a Service-like `call`), default methods, async fn in traits,
// a method whose future is an associated type.
use std::future::Future;
use std::pin::Pin;

pub trait Service<Request> {
    type Response;
    type Future: Future<Output = Self::Response>;
    fn call(&mut self, req: Request) -> Self::Future;

    fn span_default(&self) -> u32 {
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
    async fn span_get(&self, key: u32) -> Option<u32> {
        Some(key)
    }

    async fn span_put(&self, _key: u32) -> bool {
        true
    }
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
    pub fn span_assoc(&mut self, req: u8) -> <Assoc as Service<u8>>::Future {
        self.call(req)
    }
}
