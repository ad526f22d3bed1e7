// editions: 2015 2018 2021 2024
// Receivers: self, mut self, &self, &mut self, self: Box<Self>, self: Pin<&mut Self>.
use std::pin::Pin;

pub struct Counter {
    n: u32,
}

impl Counter {
    pub fn span_by_value(self) -> u32 {
        self.n
    }

    pub fn span_mut_value(mut self) -> u32 {
        self.n += 1;
        self.n
    }

    pub fn span_ref(&self) -> &u32 {
        &self.n
    }

    pub fn hook_ref(&self) -> &u32 {
        &self.n
    }

    pub fn span_mut_ref(&mut self) -> u32 {
        self.n += 1;
        self.n
    }

    pub fn hook_mut_ref(&mut self) -> &mut u32 {
        &mut self.n
    }

    pub fn span_boxed(self: Box<Self>) -> u32 {
        self.n
    }

    pub fn span_pinned(self: Pin<&mut Self>) -> u32 {
        self.n
    }

    pub fn plain_method(&self) -> u32 {
        self.n
    }
}
