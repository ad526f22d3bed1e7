use otel_macros::span;

#[derive(Debug, PartialEq)]
struct Error;

impl From<std::num::ParseIntError> for Error {
    fn from(_: std::num::ParseIntError) -> Error {
        Error
    }
}

#[span]
fn parse(text: &str) -> Result<u32, Error> {
    let n: u32 = text.parse()?;
    if n > 100 {
        return Ok(100);
    }
    Ok(n)
}

#[span(name = "sum {arg.n}", kind = "client")]
fn sum(n: u32) -> u32 {
    (1..=n).sum()
}

#[span]
async fn double(text: String) -> Result<u32, Error> {
    Ok(parse(&text)? * 2)
}

#[span]
fn later(x: u32) -> impl std::future::Future<Output = u32> {
    async move { x + 1 }
}

struct Counter(u32);

impl Counter {
    #[span]
    fn bump(&mut self) -> &mut u32 {
        self.0 += 1;
        &mut self.0
    }
}

fn main() {
    // No exporter: this test is about the code keeping its meaning.
    unsafe { std::env::set_var("OTEL_TRACES_EXPORTER", "none") };
    assert_eq!(parse("7"), Ok(7));
    assert_eq!(parse("700"), Ok(100));
    assert_eq!(parse("x"), Err(Error));
    assert_eq!(sum(4), 10);
    let mut c = Counter(1);
    assert_eq!(*c.bump(), 2);
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    assert_eq!(rt.block_on(double("21".to_string())), Ok(42));
    assert_eq!(rt.block_on(later(1)), 2);
}
