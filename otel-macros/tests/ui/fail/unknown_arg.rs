#[otel_macros::span(name = "load {arg.id}")]
fn load(key: u32) -> u32 {
    key
}

fn main() {
    let _ = load(1);
}
