// Advice for the golden fixtures: generic so one set serves every shape.
pub fn enter() -> u64 {
    7
}

pub fn exit<R>(_context: u64, _result: &R) {}

pub fn maybe_skip<R>() -> ::std::ops::ControlFlow<R, ()> {
    ::std::ops::ControlFlow::Continue(())
}

pub fn double(value: &mut u32) {
    *value *= 2;
}

pub fn propagate_future<F: ::std::future::Future>(future: F) -> __otel::Propagated<F> {
    __otel::propagate(future)
}
