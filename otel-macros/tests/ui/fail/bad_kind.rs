#[otel_macros::span(kind = "sideways")]
fn load(key: u32) -> u32 {
    key
}

fn main() {
    let _ = load(1);
}
