// editions: 2015 2018 2021 2024
// Call sites of std thread spawns, woven because std itself is not compiled by cargo.
use std::thread;

pub fn plain_spawns() -> u32 {
    let a = thread::spawn(match (|| 1,) { (__otel_a,) => { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::propagate_fn(__otel_a) } }).join().unwrap_or(0);
    let b = std::thread::Builder::new()
        .name("worker".into())
        .spawn(match (move || 2,) { (__otel_a,) => { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::propagate_fn(__otel_a) } })
        .map(|h| h.join().unwrap_or(0))
        .unwrap_or(0);
    let c = thread::scope(|s| {
        let h = s.spawn(match (|| 3,) { (__otel_a,) => { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::propagate_fn(__otel_a) } });
        h.join().unwrap_or(0)
    });
    // Not a thread spawn: must stay untouched.
    let v: Vec<u32> = vec![1, 2];
    a + b + c + v.len() as u32
}

pub fn wrapped_job(job: Box<dyn FnOnce() -> u32 + Send>) -> u32 { let job = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::propagate_fn(job) };
    thread::spawn(match (job,) { (__otel_a,) => { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::__otel_advice_golden::__OTEL_SCOPE); crate::__otel::propagate_fn(__otel_a) } }).join().unwrap_or(0)
}
