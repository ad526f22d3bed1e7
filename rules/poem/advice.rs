// Advice for poem 3.x, spliced as `mod __otel_advice_poem` at poem's crate root. Uses poem's
// own `PathPattern` (the pattern its router matched) only.

use std::future::Future;

use crate::route::PathPattern;
use crate::{Response, Result};

/// Wrap of `Route::call`'s body: when it is ready, report the matched pattern to the server
/// call current here (hyper's SERVER span).
pub fn route_call<F: Future<Output = Result<Response>>>(body: F) -> impl Future<Output = Result<Response>> {
    __otel::instrument_with(__otel::Span::none(), body, |_: &__otel::Span, out: &Result<Response>| {
        if !__otel::enabled("poem") {
            return;
        }
        let pattern = match out {
            Ok(response) => response.data::<PathPattern>(),
            Err(error) => error.data::<PathPattern>(),
        };
        if let Some(pattern) = pattern {
            __otel::http_server_route(&pattern.0);
        }
    })
}
