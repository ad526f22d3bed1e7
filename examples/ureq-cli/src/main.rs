//! `ureq-cli URL...`: GET each URL with ureq 3 and print `URL STATUS` (or `URL error: …`).
//! Exits 1 when any request failed (a 4xx/5xx status or a transport error).

fn main() {
    let mut failed = false;
    for url in std::env::args().skip(1) {
        match ureq::get(&url).call() {
            Ok(response) => println!("{url} {}", response.status().as_u16()),
            Err(ureq::Error::StatusCode(status)) => {
                failed = true;
                println!("{url} {status}");
            }
            Err(e) => {
                failed = true;
                println!("{url} error: {e}");
            }
        }
    }
    std::process::exit(i32::from(failed));
}
