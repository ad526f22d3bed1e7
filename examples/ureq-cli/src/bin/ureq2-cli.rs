//! `ureq2-cli URL...`: the same as `ureq-cli`, on ureq 2.

fn main() {
    let mut failed = false;
    for url in std::env::args().skip(1) {
        match ureq2::get(&url).call() {
            Ok(response) => println!("{url} {}", response.status()),
            Err(ureq2::Error::Status(status, _)) => {
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
