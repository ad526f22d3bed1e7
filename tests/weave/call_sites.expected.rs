// editions: 2015 2018 2021 2024
// Call sites of std thread spawns, woven because std itself is not compiled by cargo.
use std::thread;

pub fn plain_spawns() -> u32 {
    let a = thread::spawn(crate::__otel::propagate_fn(|| 1)).join().unwrap_or(0);
    let b = std::thread::Builder::new()
        .name("worker".into())
        .spawn(crate::__otel::propagate_fn(move || 2))
        .map(|h| h.join().unwrap_or(0))
        .unwrap_or(0);
    let c = thread::scope(|s| {
        let h = s.spawn(crate::__otel::propagate_fn(|| 3));
        h.join().unwrap_or(0)
    });
    // Not a thread spawn: must stay untouched.
    let v: Vec<u32> = vec![1, 2];
    a + b + c + v.len() as u32
}

pub fn wrapped_job(job: Box<dyn FnOnce() -> u32 + Send>) -> u32 { let job = crate::__otel::propagate_fn(job);
    thread::spawn(crate::__otel::propagate_fn(job)).join().unwrap_or(0)
}
