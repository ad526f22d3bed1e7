//! actix-shop: quotes built from prices, the prices served by the same process and fetched
//! through awc, as a second service would be.
//!
//! There is no tracing code here. Built with `cargo otel build`, a quote is one trace:
//! the SERVER span `GET /quotes/{id}`, under it the CLIENT span of the awc call, under that
//! the SERVER span `GET /prices/{id}` of the same process (the context travels in the
//! request's `traceparent`).
//!
//! Routes:
//! - `GET /prices/{id}`: `{"id", "cents"}`; 404 (from the handler) for an id above 99.
//! - `GET /quotes/{id}`: the price, fetched from `/prices/{id}`, as `{"id", "cents", "tax"}`.
//! - `GET /shop/{id}/refresh`: the price fetched by a task spawned with
//!   `actix_web::rt::spawn` (the handler awaits it), under a `web::scope("/shop")`.
//! - `GET /broken`: 500.
//! - anything else: 404 from the routing (no resource matches).
//!
//! Middleware: after a `/shop/…` request is answered, an App-level `wrap_fn` writes an
//! audit entry in a spawned task (and waits for it), as an access log would.
//!
//! Environment: `SHOP_ADDR` (default `127.0.0.1:3003`; port 0 picks a free port). The first
//! line on stdout is `actix-shop listening on ADDR`. SIGINT or SIGTERM stops it gracefully.

use std::{env, io};

use actix_web::{dev::Service, rt, web, App, HttpResponse, HttpServer};

const DEFAULT_ADDR: &str = "127.0.0.1:3003";

/// Where the prices are served (this process's own address).
#[derive(Clone)]
struct Prices(String);

async fn price(path: web::Path<u32>) -> HttpResponse {
    let id = path.into_inner();
    if id > 99 {
        return HttpResponse::NotFound().body(format!("no price for {id}"));
    }
    HttpResponse::Ok().content_type("application/json").body(format!(r#"{{"id":{id},"cents":{}}}"#, 100 + id * 10))
}

/// `cents` from `/prices/{id}` through awc.
async fn fetch_cents(client: &awc::Client, prices: &Prices, id: u32) -> Result<u32, String> {
    let url = format!("{}/prices/{id}", prices.0);
    let mut response = client.get(url).send().await.map_err(|e| format!("send: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("prices answered {}", response.status()));
    }
    let body = response.body().await.map_err(|e| format!("body: {e}"))?;
    let text = String::from_utf8_lossy(&body);
    text.split("\"cents\":")
        .nth(1)
        .and_then(|rest| rest.trim_end_matches('}').parse().ok())
        .ok_or_else(|| format!("unexpected price body {text}"))
}

async fn quote(path: web::Path<u32>, client: web::Data<awc::Client>, prices: web::Data<Prices>) -> HttpResponse {
    let id = path.into_inner();
    match fetch_cents(&client, &prices, id).await {
        Ok(cents) => HttpResponse::Ok()
            .content_type("application/json")
            .body(format!(r#"{{"id":{id},"cents":{cents},"tax":{}}}"#, cents / 5)),
        Err(e) => HttpResponse::BadGateway().body(e),
    }
}

async fn refresh(path: web::Path<u32>, prices: web::Data<Prices>) -> HttpResponse {
    let id = path.into_inner();
    let prices = prices.get_ref().clone();
    // The fetch runs in its own task on this worker's runtime, as a background refresh would;
    // the handler waits for it only to answer.
    let task = rt::spawn(async move { fetch_cents(&awc::Client::default(), &prices, id).await });
    match task.await {
        Ok(Ok(cents)) => HttpResponse::Ok().body(format!("refreshed {id}: {cents}")),
        Ok(Err(e)) => HttpResponse::BadGateway().body(e),
        Err(e) => HttpResponse::InternalServerError().body(format!("task: {e}")),
    }
}

/// The audit entry of a `/shop/…` request (stderr stands in for an audit log).
async fn audit(path: String, status: u16) {
    eprintln!("actix-shop: audit {path} {status}");
}

async fn broken() -> HttpResponse {
    HttpResponse::InternalServerError().body("the shop is broken")
}

fn main() -> io::Result<()> {
    rt::System::new().block_on(serve())
}

async fn serve() -> io::Result<()> {
    let addr = env::var("SHOP_ADDR").unwrap_or_else(|_| DEFAULT_ADDR.to_owned());
    let listener = std::net::TcpListener::bind(&addr)?;
    let local = listener.local_addr()?;
    let prices = Prices(format!("http://{local}"));
    let server = HttpServer::new(move || {
        App::new()
            .wrap_fn(|req, srv| {
                let path = req.path().to_owned();
                let response = srv.call(req);
                async move {
                    let response = response.await?;
                    if path.starts_with("/shop/") {
                        let _ = rt::spawn(audit(path, response.status().as_u16())).await;
                    }
                    Ok(response)
                }
            })
            .app_data(web::Data::new(awc::Client::default()))
            .app_data(web::Data::new(prices.clone()))
            .route("/prices/{id}", web::get().to(price))
            .route("/quotes/{id}", web::get().to(quote))
            .service(web::scope("/shop").route("/{id}/refresh", web::get().to(refresh)))
            .route("/broken", web::get().to(broken))
    })
    .workers(2)
    .listen(listener)?
    .run();
    println!("actix-shop listening on {local}");
    server.await
}
